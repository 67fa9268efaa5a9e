"""What a command touched while it ran: files opened, listed, written or deleted, and connections,
from the interpreter's audit hooks (PEP 578), so a read outside the repo is seen even when nothing
is printed. One hook per process (hooks cannot be removed); it records only while a watch is on."""

from __future__ import annotations

import os
import sys
import sysconfig
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

READ_EVENTS = {"open", "os.listdir", "os.scandir", "os.walk", "glob.glob", "shutil.copyfile"}
WRITE_EVENTS = {
    "os.remove",
    "os.rename",
    "os.rmdir",
    "os.mkdir",
    "os.symlink",
    "os.link",
    "os.truncate",
    "os.chmod",
    "shutil.rmtree",
    "shutil.move",
}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


@dataclass
class Watch:
    """Where the command may read (`readable`) and write (`writable`); what it did elsewhere."""

    readable: tuple[Path, ...]
    writable: tuple[Path, ...]
    forbidden: tuple[Path, ...]
    """Never even opened (the directory outside the repo that holds the canary)."""
    others: frozenset[int] = frozenset()
    """Threads that ran before the command started (another test's): not the command's doing."""
    escapes: list[str] = field(default_factory=list)

    def saw(self, event: str, args: tuple[object, ...]) -> None:
        if threading.get_ident() in self.others:
            return
        if event in ("socket.connect", "socket.getaddrinfo", "socket.sendto"):
            self.escapes.append(f"{event} {args[1] if event != 'socket.getaddrinfo' else args[0]!r}")
            return
        if event not in READ_EVENTS and event not in WRITE_EVENTS:
            return
        # os.rename and os.link write their destination too; os.symlink only its destination
        targets = {"os.rename": args[:2], "os.link": args[1:2], "os.symlink": args[1:2]}.get(event, args[:1])
        for target in targets:
            self._check(event, target, event in WRITE_EVENTS or (event == "open" and _writes(args)))

    def _check(self, event: str, target: object, writing: bool) -> None:
        """A relative name is taken from the working directory; one opened relative to a
        descriptor (render's output tree) cannot be placed here: the tests compare the trees."""
        if isinstance(target, int) or target is None:
            return  # an open descriptor (a directory Dockyard opened itself, checked when opened)
        if isinstance(target, bytes):
            target = os.fsdecode(target)
        path = Path(os.path.abspath(os.fspath(target)))  # type: ignore[arg-type]
        if event == "os.listdir" and path in _import_directories():
            return  # the import system lists each directory of sys.path once, for a module imported late
        if any(_under(path, place) for place in self.forbidden):
            self.escapes.append(f"{event} {path}")
        elif writing and not any(_under(path, place) for place in self.writable):
            self.escapes.append(f"write {event} {path}")
        elif not writing and not any(_under(path, place) for place in (*self.readable, *self.writable)):
            self.escapes.append(f"read {event} {path}")


def _writes(args: tuple[object, ...]) -> bool:
    mode, flags = (args[1] if len(args) > 1 else None), (args[2] if len(args) > 2 else 0)
    if isinstance(mode, str) and any(letter in mode for letter in "wax+"):
        return True
    return isinstance(flags, int) and bool(flags & WRITE_FLAGS)


def _under(path: Path, place: Path) -> bool:
    return path == place or place in path.parents


def _import_directories() -> set[Path]:
    """Listed (never read) by the import system when a module is imported for the first time."""
    return {Path(os.path.abspath(entry or ".")) for entry in sys.path}


_current: list[Watch] = []


def _hook(event: str, args: tuple[object, ...]) -> None:
    if _current:
        _current[-1].saw(event, args)


_installed = False


def interpreter_places() -> tuple[Path, ...]:
    """What any Python program reads: the interpreter, the standard library, the installed packages
    and Dockyard's own package (its data files), the system's time zones and the devices Python
    itself opens. Not the rest of sys.path: under pytest that is the whole project."""
    import dockyard

    places = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix)}
    places |= {Path(p) for p in sysconfig.get_paths().values()}
    places |= {Path(dockyard.__file__).parent, Path(dockyard.__file__).resolve().parent}
    places |= {Path("/dev/null"), Path("/dev/urandom"), Path("/usr/share/zoneinfo"), Path("/etc/localtime")}
    places |= {Path("/etc/mime.types")}  # the standard library's mimetypes, read once per process
    return tuple(sorted(places))


@contextmanager
def watching(readable: tuple[Path, ...], writable: tuple[Path, ...], forbidden: tuple[Path, ...]) -> Iterator[Watch]:
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True
    others = frozenset(t.ident for t in threading.enumerate() if t.ident is not None) - {threading.get_ident()}
    watch = Watch(readable, writable, forbidden, others)
    _current.append(watch)
    try:
        yield watch
    finally:
        _current.pop()
