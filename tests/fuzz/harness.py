"""Coverage-guided fuzzing (atheris, libFuzzer's engine) of what Dockyard reads from a platform repo.

    python tests/fuzz/harness.py TARGET [CORPUS_DIR ...] [libFuzzer flags: -runs=N, -max_total_time=S, ...]

Each target is one file of the example repo (a copy in a temporary directory). Every input the
fuzzer makes is written over that file, and the repo is loaded, validated and its services
rendered for the local cluster, as `dockyard validate -c local` does. The
contract is the CLI's: a bad file is a Dockyard error (a clear message with its place, exit 1);
any other exception is a crash (the CLI's exit 70), and the fuzzer stops there with the input
that caused it. Dockyard's modules are instrumented as they are imported, so inputs that reach
new branches are kept and mutated further (the corpus directory, when given, keeps them).

The seed of each target is the example's own file, so the first mutations are of a valid file.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import hmac
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import atheris

PROJECT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT))  # run as a script: the project's `tests` package

from tests.fuzz.targets import FILES, TARGETS  # noqa: E402

EXAMPLE = PROJECT / "examples" / "shop"

with atheris.instrument_imports(include=["dockyard"]):
    from dockyard import actions
    from dockyard.charts.archive import UnsafeArchive, pack, unpack
    from dockyard.errors import DockyardError, Problems
    from dockyard.load.parsed import flush_cache_writes
    from dockyard.render.placeholders import Context, SecretRef, Unresolvable, expand
    from dockyard.sync.webhooks import PROVIDERS, Receiver


def unpacked(work: Path) -> Callable[[bytes], None]:
    """The bytes as the tar of a chart archive: refused (UnsafeArchive), or unpacked inside the
    target and nowhere else (the target sits three directories deep in a tree of its own; that tree
    and the work directory's entries are compared before and after)."""
    tree = work / "archive"
    deep = tree / "a" / "b" / "c"
    deep.mkdir(parents=True)

    def listing() -> list[str]:  # the tree around the target, and the work directory's own entries
        return sorted(str(p) for p in tree.rglob("*")) + sorted(p.name for p in work.iterdir())

    before = listing()

    def judged(data: bytes) -> None:
        target = deep / "chart"
        with contextlib.suppress(UnsafeArchive):
            unpack(gzip.compress(data, mtime=0), target)
        shutil.rmtree(target, ignore_errors=True)
        after = listing()
        assert after == before, f"written outside the target: {sorted(set(after) - set(before))}"

    return judged


def received(_work: Path) -> Callable[[bytes], None]:
    """The bytes as a push webhook's body, signed as each provider signs (so the body is read):
    every delivery gets a verdict, none an exception."""
    secret = b"fuzz-secret"

    def judged(data: bytes) -> None:
        provider = sorted(PROVIDERS)[data[0] % len(PROVIDERS)] if data else "github"
        spec = PROVIDERS[provider]
        signature = hmac.new(secret, data, hashlib.sha256).hexdigest()
        signed = next(v for v in (f"sha256={signature}", signature, secret.decode()) if spec.check(v, secret, data))
        outcome = Receiver(secret, "main").receive(provider, {spec.signature: signed, spec.event: spec.pushes[0]}, data)
        assert outcome.verdict.value != "unsigned", outcome  # the body was read, not turned away

    return judged


def expanded(_work: Path) -> Callable[[bytes], None]:
    """The bytes as text with placeholders: expanded, or refused as Unresolvable."""
    context = Context(
        {"name": "orders", "annotations": {"a": "b"}},
        {"db": {"host": "db.shop.svc", "password": SecretRef("orders-db", "password")}},
    )

    def judged(data: bytes) -> None:
        with contextlib.suppress(Unresolvable):
            expand(data.decode("utf-8", "surrogateescape"), context)

    return judged


def seeds(name: str, repo: Path) -> list[bytes]:
    """What the fuzzer starts from: the example's own file, or a valid input of the reader."""
    if name in FILES:
        return [(repo / FILES[name]).read_bytes()]
    if name == "archive":
        chart = {"chart/Chart.yaml": b"apiVersion: v2\nname: chart\nversion: 1.0.0\n", "chart/values.yaml": b"a: 1\n"}
        return [gzip.decompress(pack(chart))]
    if name == "webhook":
        return [b'{"ref": "refs/heads/main", "after": "' + b"a" * 40 + b'"}']
    return [b"postgres://${resources.db.host}:5432/${metadata.name}?p=${resources.db.password}&$${x}"]


def one_input(repo: Path, target: Path) -> Callable[[bytes], None]:
    def judged(data: bytes) -> None:
        target.write_bytes(data)
        found = Problems()
        try:
            loaded = actions.load_repo(repo, lambda _line: None, found)
            actions.validate_repo(loaded, ["local"], None, found)  # loads, merges and renders the services
        except DockyardError:
            return  # a clear error: what a bad file must give
        finally:
            flush_cache_writes()

    return judged


SYNTAX = (
    ": ", "- ", "\n  ", "{", "}", "[", "]", ", ", "#", "---", "...", "? ", "|", ">", "&a ", "*a", "<<: ",
    "!!str ", "!!int ", "!!binary ", '"', "'", "\\u00", "0x", "0b", "1e9", "~", "null", "true", "yes",
    "${", "${resources.", "${metadata.name}", "${params.", "$${", "$(", "../", "/etc/passwd",
)  # fmt: skip
FIELDS = (
    "apiVersion", "kind", "metadata", "name", "containers", "image", "variables", "resources", "type", "params",
    "service", "ports", "port", "files", "source", "content", "route", "postgres", "secret", "openapi", "paths",
    "$ref", "components", "schemas", "security", "x-dockyard", "enabled", "values",
)  # fmt: skip
TOKENS = (*SYNTAX, *FIELDS)
"""Pieces the fuzzer splices into inputs (libFuzzer's dictionary): YAML's syntax, Dockyard's
placeholders, and the names of fields the files have."""


def _dictionary(path: Path) -> Path:
    """TOKENS in libFuzzer's dictionary format: one quoted string a line, other bytes as \\xNN."""
    lines = []
    for token in TOKENS:
        quoted = "".join(c if " " <= c <= "~" and c not in '"\\' else f"\\x{ord(c):02X}" for c in token)
        lines.append(f'"{quoted}"\n')
    path.write_text("".join(lines))
    return path


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: harness.py {{{','.join(TARGETS)}}} [CORPUS_DIR ...] [libFuzzer flags]")
    name = sys.argv.pop(1)
    work = Path(tempfile.mkdtemp(prefix=f"dockyard-fuzz-{name}-"))
    os.environ["DOCKYARD_NO_CACHE"] = "1"  # every input parsed anew; nothing written outside `work`
    try:
        repo = work / "repo"
        shutil.copytree(EXAMPLE, repo)
        if not any(not arg.startswith("-") for arg in sys.argv[1:]):  # no corpus given: seed it
            corpus = work / "corpus"
            corpus.mkdir()
            for index, seed in enumerate(seeds(name, repo)):
                (corpus / f"seed-{index}").write_bytes(seed)
            sys.argv.append(str(corpus))
        sys.argv += [f"-dict={_dictionary(work / 'tokens.dict')}", "-max_len=16384"]  # a crash is written to the cwd
        readers = {"archive": unpacked, "webhook": received, "placeholders": expanded}
        judged = readers[name](work) if name in readers else one_input(repo, repo / FILES[name])
        atheris.Setup(sys.argv, judged)
        atheris.Fuzz()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
