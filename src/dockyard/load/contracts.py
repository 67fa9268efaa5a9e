"""Load an OpenAPI contract and every file its `$ref`s name, from the platform repo only.

A contract may be split over files (`$ref: schemas/order.yaml#/Order`). Each reference is
read here, once, as a repo file: relative to the file that holds it, inside the repo once
resolved, a regular file of bounded size. Anything else (a URL of any scheme, an absolute
path, a path out of the repo) is a problem at the `$ref`'s line; nothing is ever fetched.
Whether a reference's `#/pointer` exists is render's to check, over the loaded documents.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from dockyard.errors import Position, Problem, Problems
from dockyard.load.files import RepoFile, read_inside
from dockyard.load.parsed import parse_all
from dockyard.load.yamlsafe import CONTRACT_LIMITS, Document

MAX_FILES = 200
"""Files one contract may span; real multi-file contracts have tens."""

OFFLINE_HINT = (
    "Dockyard resolves only references to files of the platform repo, relative to the file that "
    "refers to them, and never fetches anything; copy the document into the repo and refer to it by path"
)


def references(data: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path of the `$ref` value, the reference) for every `$ref` with a text value, in document order."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [(path, data)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str):
                yield (*where, "$ref"), reference
            stack.extend(((*where, key), value) for key, value in reversed(node.items()) if key != "$ref")
        elif isinstance(node, list):
            stack.extend(((*where, index), value) for index, value in reversed(list(enumerate(node))))


def referenced_file(referrer: str, reference: str) -> str | None:
    """The repo-relative file a reference names (None: the referrer itself), or ValueError with why
    it cannot be read."""
    parts = urlsplit(reference)
    if parts.scheme or parts.netloc:
        raise ValueError(f"`$ref` `{_clip(reference)}` is a URL")
    if not parts.path:
        return None
    target = unquote(parts.path)
    if target.startswith("/"):
        raise ValueError(f"`$ref` `{_clip(reference)}` is an absolute path")
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(referrer), target))
    if joined == ".." or joined.startswith("../"):
        raise ValueError(f"`$ref` `{_clip(reference)}` leads out of the platform repo")
    return joined


@dataclass(frozen=True)
class ContractRef:
    """A service's reference to its contract: the repo path, where it is written, and as written."""

    path: str
    referrer: Callable[[], Position]
    written: str


def load_contracts(root: Path, wanted: list[ContractRef], problems: Problems) -> dict[str, dict[str, Document]]:
    """Each wanted contract with every file it references, transitively, by repo path. Every file
    is read and parsed once, however many contracts share it, and the files of all contracts are
    parsed together (in parallel when they are many), one round per depth of references."""
    documents: dict[str, Document] = {}
    failed: set[str] = set()
    targets: dict[str, list[str]] = {}
    pending = [(w.path, w.referrer, w.written) for w in wanted]
    while pending:
        wave: dict[str, tuple[Callable[[], Position], str]] = {}
        for path, where, shown in pending:
            if path not in documents and path not in failed and path not in wave:
                wave[path] = (where, shown)
        pending = []
        files = []
        for path, (where, shown) in wave.items():
            raw = read_inside(root, path, problems, referrer=where, written=shown, limit=CONTRACT_LIMITS.bytes)
            if raw is None:
                failed.add(path)
            else:
                files.append(RepoFile("contract", path, raw))
        for parsed in parse_all(files):
            path = parsed.file.path
            if parsed.document is None:
                failed.add(path)
                problems.extend(parsed.problems)
                continue
            document = documents[path] = parsed.document
            targets[path] = []
            for ref_path, reference in references(document.data):
                try:
                    target = referenced_file(path, reference)
                except ValueError as refused:
                    problems.append(Problem(document.position(ref_path), str(refused), OFFLINE_HINT))
                    continue
                if target is not None and target != path:
                    targets[path].append(target)
                    pending.append((target, _locator(document, ref_path), reference.split("#", 1)[0]))
    loaded: dict[str, dict[str, Document]] = {}
    for contract in wanted:
        files_of = _spanned(contract.path, targets)
        if len(files_of) > MAX_FILES:
            problems.append(Problem(contract.referrer(), f"the contract spans more than {MAX_FILES} files"))
        elif contract.path in documents and all(f in documents for f in files_of):
            loaded[contract.path] = {f: documents[f] for f in files_of}
    return loaded


def _spanned(main: str, targets: dict[str, list[str]]) -> list[str]:
    """`main` and every file it references, transitively, in the order first reached."""
    seen = {main: None}
    stack = [main]
    while stack and len(seen) <= MAX_FILES:
        for target in targets.get(stack.pop(), ()):
            if target not in seen:
                seen[target] = None
                stack.append(target)
    return list(seen)


def _locator(document: Document, path: tuple[str | int, ...]) -> Callable[[], Position]:
    return lambda: document.position(path)


def _clip(text: str) -> str:
    shown = text.encode("unicode_escape").decode("ascii")
    return shown if len(shown) <= 120 else shown[:120] + "…"
