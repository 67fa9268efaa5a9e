"""A contract validated and read once per content, not once per service, caller and cluster.

Whether a contract is a valid OpenAPI document, its operations and its unenforceable parts depend
only on the bytes of its files (and on Dockyard's version). So the result is kept in memory for
the run (every cluster and every caller of the API reuse it) and on disk beside the parse cache,
keyed by a hash of exactly those and of the code that reads them (this package's own source, so a
changed reader reads every contract again): an unchanged contract is never validated again.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dockyard import __version__
from dockyard.errors import Problem, Problems
from dockyard.load.parsed import PARALLEL_THRESHOLD, cache_dir, read_cached, write_cached
from dockyard.render.openapi.operations import Contract, read
from dockyard.render.openapi.sources import Sources
from dockyard.render.openapi.validate import validate

KEPT_IN_MEMORY = 4096
"""Readings a long-running process keeps (the sync controller reads the same contracts every cycle)."""


@dataclass(frozen=True)
class Reading:
    invalid: tuple[Problem, ...]
    """Why the contract is not a valid OpenAPI document (then it is not read further)."""
    contract: Contract | None
    unenforceable: tuple[Problem, ...]
    """What the platform could not enforce exactly (see operations.read)."""


_memory: OrderedDict[str, Reading] = OrderedDict()


def reading(sources: Sources) -> Reading:
    if any(not document.raw for document in sources.documents.values()):
        return _read(sources)  # built in memory, without the bytes a key is made of
    key = _key(sources)
    found = _memory.get(key)
    if found is not None:
        _memory.move_to_end(key)
        return found
    directory = cache_dir()
    stored = read_cached(directory, key) if directory else None
    found = stored if isinstance(stored, Reading) else None
    if found is None:
        found = _read(sources)
        if directory:
            write_cached(directory, key, found)
    _remember(key, found)
    return found


def read_all(every: Sequence[Sources]) -> None:
    """Read each contract not read yet (in memory or in the cache) ahead of its services, in
    parallel processes when there are many: validating one takes milliseconds of pure Python, so
    a thousand took seconds on one core. Each reading lands where `reading` finds it."""
    directory = cache_dir()
    missing: dict[str, Sources] = {}
    for sources in every:
        if any(not document.raw for document in sources.documents.values()):
            continue
        key = _key(sources)
        if key in _memory or key in missing:
            continue
        stored = read_cached(directory, key) if directory else None
        if isinstance(stored, Reading):
            _remember(key, stored)
        else:
            missing[key] = sources
    if len(missing) < PARALLEL_THRESHOLD or (os.cpu_count() or 1) < 2:
        return  # `reading` reads each as its service asks
    global _todo
    _todo = list(missing.values())  # the forked workers find them here: nothing to send them
    workers = min(os.cpu_count() or 1, 8)
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            found = list(pool.map(_read_todo, range(len(_todo)), chunksize=max(1, len(_todo) // (workers * 4))))
    finally:
        _todo = []
    for key, result in zip(missing, found, strict=True):
        _remember(key, result)
        if directory:
            write_cached(directory, key, result)


_todo: list[Sources] = []


def _read_todo(index: int) -> Reading:
    return _read(_todo[index])


def _remember(key: str, found: Reading) -> None:
    _memory[key] = found
    if len(_memory) > KEPT_IN_MEMORY:
        _memory.popitem(last=False)


def _read(sources: Sources) -> Reading:
    invalid = validate(sources)
    if invalid:
        return Reading(tuple(invalid), None, ())
    problems = Problems()
    contract = read(sources, problems)
    return Reading((), contract, tuple(problems))


@cache
def _salt() -> bytes:
    digest = hashlib.sha256(b"contract-reading\0" + __version__.encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    return digest.digest()


def _key(sources: Sources) -> str:
    digest = hashlib.sha256(_salt())
    for part in (sources.main, *(p for file in sorted(sources.documents) for p in (file, sources.documents[file].raw))):
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()
