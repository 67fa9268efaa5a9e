"""Parse and schema-check each file once per content: results are cached by content hash.

The per-file work (YAML parsing with positions, JSON Schema validation) depends only on
the file's path, kind and bytes, so its result is stored in the parse cache (locations.py, in
packs: packs.py) keyed by a hash of exactly those (and of Dockyard's version and schemas). An
unchanged file is never parsed again. A cold load of many files is spread over the machine's
cores.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import pickle
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from dockyard import __version__, locations
from dockyard.errors import InputError, Problem
from dockyard.load import schemas
from dockyard.load.files import RepoFile
from dockyard.load.packs import Packs
from dockyard.load.validate import schema_problems
from dockyard.load.yamlsafe import CONTRACT_LIMITS, Document, Limits, parse

PARALLEL_THRESHOLD = 200
"""Below this many files to parse, starting worker processes costs more than it saves."""


@dataclass(frozen=True)
class Parsed:
    """One file after parsing and schema validation: the document (if it parsed) and its problems."""

    file: RepoFile
    document: Document | None
    problems: tuple[Problem, ...]


Outcome = tuple[bool, Any, tuple[Problem, ...]]
"""(parsed, data, problems): what is cached per file. Positions are not: they are found again when needed."""


def parse_and_check(kind: str, path: str, raw: bytes) -> Outcome:
    """The uncached per-file work."""
    try:
        result = parse(path, raw, CONTRACT_LIMITS if kind == "contract" else Limits())
    except InputError as error:
        return False, None, tuple(error.problems)
    schema = schemas.schema_for(kind, result.data)
    if schema is None:  # a file Dockyard only needs as YAML (a contract): later steps validate it
        return True, result.data, ()
    return True, result.data, tuple(schema_problems(_without_removals(kind, result, schema), schema))


LAYERED = frozenset({"platform", "environment", "cluster", "score", "servicesettings", "serviceoverride"})
"""The kinds of files merged as layers (docs/platform-repo.md), where an explicit `null` removes a key."""


def _without_removals(kind: str, document: Document, schema: dict[str, Any]) -> Document:
    """The document as the schema sees it: an explicit `null` in a layer removes a key, so it is
    valid wherever the key is one the schema knows; a `null` under an unknown key stays, and is
    reported as an unknown key (`disruptionBuget: null` is a typo, not a removal)."""
    data = document.data
    if not isinstance(data, dict) or kind not in LAYERED:
        return document  # a provisioner is no layer: a null there is a missing value
    if kind == "score":
        if isinstance(data.get("x-dockyard"), dict):
            settings = (schema.get("properties") or {}).get("x-dockyard") or {}
            data = {**data, "x-dockyard": _drop_nulls(data["x-dockyard"], settings)}
    else:
        data = _drop_nulls(data, schema)
    return replace(document, data=data)


def _drop_nulls(value: Any, schema: Any) -> Any:
    if not isinstance(value, dict):
        return value
    properties = (schema.get("properties") or {}) if isinstance(schema, dict) else {}
    extra = schema.get("additionalProperties", True) if isinstance(schema, dict) else True
    kept = {}
    for key, item in value.items():
        child = properties.get(key, extra if isinstance(extra, dict) else None)
        known = key in properties or extra is not False
        if item is None and known:
            continue
        kept[key] = _drop_nulls(item, child)
    return kept


@cache
def _salt() -> bytes:
    """Dockyard's version, the schemas, and the code that parses and checks a file: a changed
    parser or checker reads every file again."""
    schema_text = json.dumps([schemas.BY_KIND, schemas.OLDER], sort_keys=True).encode()
    digest = hashlib.sha256(__version__.encode() + b"\0" + schema_text)
    for module in ("parsed.py", "validate.py", "yamlsafe.py", "yamlnodes.py"):
        digest.update((Path(__file__).parent / module).read_bytes())
    return digest.digest()


def cache_dir() -> Path | None:
    """Where parsed files are cached (see dockyard/locations.py); None when off."""
    return locations.parse_cache()


def _key(file: RepoFile) -> str:
    digest = hashlib.sha256(_salt())
    for part in (file.kind.encode(), file.path.encode(), file.raw):
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()


def read_cached(directory: Path, key: str) -> Any:
    """What `write_cached` stored under `key` (a hash of the content it was computed from), or None."""
    with _lock:
        data = _unwritten.get((directory, key))
    if data is None:  # not stored by this process since its last flush: in the packs, if anywhere
        data = _packs(directory).get(key)
    if data is None:
        return None
    try:
        return pickle.loads(data)  # written by write_cached, keyed by content
    except (pickle.UnpicklingError, EOFError, AttributeError, ValueError, ImportError, IndexError, TypeError):
        return None


FLUSH_AT = 64 * 2**20
"""Bytes of entries kept in memory before they are written (a long-running process's cycles)."""
_stores: dict[Path, Packs] = {}
_unwritten: dict[tuple[Path, str], bytes] = {}
_unwritten_bytes = 0
_lock = threading.Lock()
_flush_registered = False


def _packs(directory: Path) -> Packs:
    with _lock:
        store = _stores.get(directory)
        if store is None:
            store = _stores[directory] = Packs(directory)
        return store


def write_cached(directory: Path, key: str, value: Any) -> None:
    """Store `value` under `key`: kept in memory, written with the others as one pack at the next
    flush (packs.py). A read-only or full cache only costs speed."""
    global _unwritten_bytes, _flush_registered
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    with _lock:
        if not _flush_registered:
            _flush_registered = True
            atexit.register(flush_cache_writes)
        _unwritten_bytes += len(data) - len(_unwritten.get((directory, key), b""))
        _unwritten[(directory, key)] = data
        full = _unwritten_bytes > FLUSH_AT
    if full:
        flush_cache_writes(directory)


def flush_cache_writes(directory: Path | None = None) -> None:
    """Write the entries stored since the last flush (of `directory` alone, when given: a command
    writes its own cache as it ends)."""
    global _unwritten_bytes
    with _lock:
        waiting = {k: v for k, v in _unwritten.items() if directory is None or k[0] == directory}
        for place in waiting:
            del _unwritten[place]
        _unwritten_bytes = sum(len(v) for v in _unwritten.values())
    by_directory: dict[Path, dict[str, bytes]] = {}
    for (folder, key), data in waiting.items():
        by_directory.setdefault(folder, {})[key] = data
    for folder, entries in by_directory.items():
        _packs(folder).add(entries)


def write_parse_cache() -> None:
    """The entries stored for the current parse cache, written now (a command as it ends, a
    long-running process after each piece of work): a process that runs several commands, as the
    tests do, writes each one's to its own cache."""
    directory = cache_dir()
    if directory is not None:
        flush_cache_writes(directory)


def in_forked_child() -> None:
    """In a process forked from this one (which may have had a thread inside the cache): what it
    stores is its own (lost speed only, if it ends without writing it); the packs are opened again."""
    global _lock, _unwritten_bytes
    _lock = threading.Lock()
    _stores.clear()
    _unwritten.clear()
    _unwritten_bytes = 0


def _parse_many(files: list[RepoFile]) -> list[Outcome]:
    if len(files) < PARALLEL_THRESHOLD or (os.cpu_count() or 1) < 2:
        return [parse_and_check(f.kind, f.path, f.raw) for f in files]
    workers = min(os.cpu_count() or 1, 8)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        chunk = max(1, len(files) // (workers * 4))
        return list(
            pool.map(
                parse_and_check,
                [f.kind for f in files],
                [f.path for f in files],
                [f.raw for f in files],
                chunksize=chunk,
            )
        )


def parse_all(files: list[RepoFile]) -> list[Parsed]:
    """Parse and check `files`, reusing cached results for unchanged content."""
    directory = cache_dir()
    keys = [_key(f) for f in files]
    results: list[Outcome | None] = [read_cached(directory, key) if directory else None for key in keys]
    todo = [i for i, result in enumerate(results) if result is None]
    for index, fresh in zip(todo, _parse_many([files[i] for i in todo]), strict=True):
        results[index] = fresh
        if directory:
            write_cached(directory, keys[index], fresh)
    parsed = []
    for file, result in zip(files, results, strict=True):
        assert result is not None
        ok, data, problems = result
        limits = CONTRACT_LIMITS if file.kind == "contract" else Limits()
        parsed.append(Parsed(file, Document(file.path, data, file.raw, limits=limits) if ok else None, problems))
    return parsed
