"""The built-in policies' findings for each object, remembered by the object's content.

Every built-in rule judges one object of the input at a time: what it needs of other objects
(how many workloads a Service selects, which route first took a host, whether a namespace has a
default-deny NetworkPolicy) is computed in Python and given to the object as a fact
(policy.with_relations). So an object's findings depend only on its entry in the input (the
manifest with those facts), on `requireDigest`, and on the rules and the engine: an entry seen
before is not evaluated again. A changed object, or a changed fact about it (a NetworkPolicy
removed from its namespace), is another entry and is evaluated.

Kept in memory for the process (the console and the sync controller judge the same objects again
and again) and in the parse cache across commands, under a digest of the rules, the engine and
Dockyard's version: a new rule or engine judges everything again. The repo's own policies may
relate objects in any way and are always evaluated over the whole input.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from functools import cache

from dockyard import __version__
from dockyard.load.parsed import cache_dir, read_cached, write_cached

KEPT = 200_000
"""Objects remembered at most (in memory and on disk); the oldest go first."""

Verdict = tuple[tuple[str, str, str], ...]
"""An object's findings: (policy package, path, message) each."""

_memory: OrderedDict[bytes, Verdict] = OrderedDict()
_judged: list[tuple[str, list[tuple[bytes, Verdict]]]] = []
_loaded: set[str] = set()


@cache
def library_digest(sources: tuple[tuple[str, str], ...], input_code: bytes) -> str:
    """The rules, the code that makes their input, the engine's build and Dockyard's version."""
    import dockyard_rego

    digest = hashlib.sha256(f"policy-verdicts-1\0{__version__}\0".encode())
    digest.update(hashlib.sha256(input_code).digest())
    engine = os.stat(dockyard_rego.__file__)
    digest.update(f"{dockyard_rego.__file__}\0{engine.st_size}\0{engine.st_mtime_ns}\0".encode())
    for name, source in sources:
        digest.update(f"{len(name)}:{name}{len(source)}:{source}".encode())
    return digest.hexdigest()


def key(entry_json: bytes, require_digest: bool) -> bytes:
    return hashlib.blake2b(entry_json, digest_size=16, person=b"digest" if require_digest else b"tag").digest()


def recall(library: str, keys: Iterable[bytes]) -> dict[bytes, Verdict]:
    """The verdicts remembered for `keys` (from memory, else from the parse cache)."""
    _load(library)
    prefix = library.encode()
    found = {}
    for k in keys:
        verdict = _memory.get(prefix + k)
        if verdict is not None:
            found[k] = verdict
    return found


def remember(library: str, verdicts: Sequence[tuple[bytes, Verdict]]) -> None:
    """Keep newly judged objects' verdicts, in memory and (when the process writes its cache) in the
    parse cache; `judged_here` hands them to a parent process."""
    if not verdicts:
        return
    _judged.append((library, list(verdicts)))
    prefix = library.encode()
    for k, verdict in verdicts:
        _memory[prefix + k] = verdict
    while len(_memory) > KEPT:
        _memory.popitem(last=False)
    directory = cache_dir()
    if directory is not None:
        kept = {k[len(prefix) :]: v for k, v in _memory.items() if k.startswith(prefix)}
        write_cached(directory, _file_key(library), kept)


def judged_here() -> list[tuple[str, list[tuple[bytes, Verdict]]]]:
    """The verdicts remembered in this process since the last call (a child that judged the policies
    within limits sends them to its parent, whose memory and cache outlive it)."""
    taken = list(_judged)
    _judged.clear()
    return taken


def adopt(judged: Sequence[tuple[str, list[tuple[bytes, Verdict]]]]) -> None:
    """Remember what a child process judged (see `judged_here`)."""
    for library, verdicts in judged:
        remember(library, verdicts)
    _judged.clear()


def forget() -> None:
    """Everything remembered in memory (for tests and benchmarks; the parse cache stays)."""
    _memory.clear()
    _loaded.clear()


def _load(library: str) -> None:
    if library in _loaded:
        return
    _loaded.add(library)
    directory = cache_dir()
    stored = read_cached(directory, _file_key(library)) if directory is not None else None
    if isinstance(stored, dict):
        prefix = library.encode()
        for k, verdict in stored.items():
            if isinstance(k, bytes) and isinstance(verdict, tuple):
                _memory.setdefault(prefix + k, verdict)


def _file_key(library: str) -> str:
    return hashlib.sha256(f"policy-verdicts\0{library}".encode()).hexdigest()
