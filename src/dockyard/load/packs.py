"""The content-keyed cache on disk, kept in packs: many entries in one file.

A cold `validate` of 1,000 services stores about 4,300 entries (a parsed file, a contract's
reading, ...). As one small file each, written and renamed into place, they cost this machine kind
about 3 s of system time and 1 to 1.5 s of wall time, more than the parsing they save; a pack
costs two files. So entries are kept in memory as they are stored and written together at a
flush (before a fork, when many are waiting, and when the process ends):

    <directory>/packs/<name>.pack   the entries' bytes, one after the other
    <directory>/packs/<name>.index  {key: (offset, length)} (pickled); renamed into place last,
                                    so a pack is seen whole or not at all

Readers load every index once and read an entry where its index says (a process that misses a
key looks again when packs were added since). Several processes may write at once: each writes
packs of its own. When there are more than MAX_PACKS, a flush merges them into one (the newest
copy of each entry; at most MAX_BYTES, newest packs first) under a lock, and removes the old
ones; a reader that still has one open keeps reading it.

The cache only ever saves time: an entry that cannot be read is a miss, and everything that goes
wrong when writing is ignored.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle
import secrets
import threading
import time
from pathlib import Path

MAX_PACKS = 8
MAX_BYTES = 512 * 2**20
RESCAN_AFTER = 1.0
"""Seconds between two looks for packs other processes added (on a miss)."""


class Packs:
    """One cache directory's packs, as this process reads and adds to them."""

    def __init__(self, directory: Path) -> None:
        self.folder = directory / "packs"
        self._index: dict[str, tuple[str, int, int]] = {}
        self._known: set[str] = set()
        self._files: dict[str, int] = {}
        self._scanned = 0.0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            found = self._index.get(key)
            if found is None and time.monotonic() - self._scanned > RESCAN_AFTER:
                self._scan()
                found = self._index.get(key)
            if found is None:
                return None
            name, offset, length = found
            try:
                descriptor = self._files.get(name)
                if descriptor is None:
                    descriptor = self._files[name] = os.open(self.folder / f"{name}.pack", os.O_RDONLY | os.O_CLOEXEC)
                data = os.pread(descriptor, length, offset)
            except OSError:
                return None
            return data if len(data) == length else None

    def add(self, entries: dict[str, bytes]) -> None:
        """Write `entries` as a new pack (and merge the packs when there are too many)."""
        if not entries:
            return
        with contextlib.suppress(OSError):
            self.folder.mkdir(parents=True, exist_ok=True)
            name = self._write(entries)
            with self._lock:
                self._known.add(name)
                offset = 0
                for key, data in entries.items():
                    self._index[key] = (name, offset, len(data))
                    offset += len(data)
            self._merge_when_many()

    def _write(self, entries: dict[str, bytes]) -> str:
        name = f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}"
        index: dict[str, tuple[int, int]] = {}
        offset = 0
        pack = self.folder / f"{name}.pack"
        with open(pack, "xb") as stream:
            for key, data in entries.items():
                stream.write(data)
                index[key] = (offset, len(data))
                offset += len(data)
        temporary = self.folder / f".{name}.index.tmp"
        temporary.write_bytes(pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(temporary, self.folder / f"{name}.index")  # the pack exists from here on
        return name

    def _names(self) -> list[str]:
        """The packs there now, oldest first."""
        try:
            return sorted(e.name.removesuffix(".index") for e in os.scandir(self.folder) if e.name.endswith(".index"))
        except OSError:
            return []

    def _scan(self) -> None:
        """Read the indexes of packs not known yet (oldest first, so a newer copy of a key wins)."""
        self._scanned = time.monotonic()
        for name in self._names():
            if name in self._known:
                continue
            index = _index_of(self.folder / f"{name}.index")
            if index is None:
                continue
            self._known.add(name)
            for key, (offset, length) in index.items():
                self._index[key] = (name, offset, length)

    def _merge_when_many(self) -> None:
        names = self._names()
        if len(names) <= MAX_PACKS:
            return
        with open(self.folder / ".merge.lock", "a+b") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return  # another process merges them
            merged: dict[str, bytes] = {}
            total = 0
            for name in reversed(names):  # newest first: its copy of a key is kept
                index = _index_of(self.folder / f"{name}.index")
                try:
                    data = (self.folder / f"{name}.pack").read_bytes() if index is not None else b""
                except OSError:
                    continue
                if index is None:
                    continue
                for key, (offset, length) in index.items():
                    if key not in merged and total + length <= MAX_BYTES:
                        merged[key] = data[offset : offset + length]
                        total += length
            kept = self._write(dict(reversed(list(merged.items()))))
            for name in names:
                for suffix in (".index", ".pack"):
                    with contextlib.suppress(OSError):
                        (self.folder / f"{name}{suffix}").unlink()
            with self._lock:
                self._index, self._known = {}, set()
                self._scan()
                self._known.add(kept)
                for name in [n for n in self._files if n not in self._known]:
                    with contextlib.suppress(OSError):
                        os.close(self._files.pop(name))


def _index_of(path: Path) -> dict[str, tuple[int, int]] | None:
    """A pack's index as written by `_write`; None for anything else (a broken or foreign file)."""
    try:
        index = pickle.loads(path.read_bytes())
    except Exception:  # a cache file of any content: a miss, never an error
        return None
    if not isinstance(index, dict):
        return None
    kept = {}
    for key, place in index.items():
        if (
            isinstance(key, str)
            and isinstance(place, tuple)
            and len(place) == 2
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in place)
        ):
            kept[key] = (place[0], place[1])
    return kept
