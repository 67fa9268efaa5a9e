"""`dockyard validate` remembered: what a run printed and its exit code, kept under a digest of
everything the verdict can depend on. A later run with the same digest replays it without
loading anything; any difference runs validate in full (and keeps its verdict in turn).

The digest covers:
- the repo: every entry under the folder holding platform.yaml (but `.git`, which the loader never
  reads), by path and type, regular files by content (by size and times above 1 MiB), symlinks by
  their text and by where their whole chain ends (resolved as the loader resolves them, no file's
  content is read outside the repo);
- the command line and working directory, the whole environment, whether stdout and stderr are
  terminals and the terminal's size;
- Dockyard itself (its version and every file of its package, by size and time), the Python
  version and the installed distributions.

A verdict is kept only when the repo was the same before and after the run, and only when it is
valid (exit 0): an invalid one can come from the machine (a cache that cannot be written, a full
disk) rather than the repo, so it is judged again every time. Kept in the parse cache
(`verdicts/`); `DOCKYARD_NO_CACHE` turns both off. Imports nothing of Dockyard's pipeline: a replay
costs reading the repo's files once.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import stat
import sys
import sysconfig
from pathlib import Path
from typing import Any

from dockyard import __version__, locations
from dockyard.atomic import write_atomic

FORMAT = "verdicts-1"
CONTENT_UP_TO = 2**20
"""Files up to this size are keyed by content; larger ones by size and times, as git does."""
KEPT = 64
"""Verdicts kept at most (the oldest go first)."""
OPTIONS_WITH_VALUES = ("--cluster", "-c", "--image")
VOLATILE = ("_", "PWD", "OLDPWD", "SHLVL")
"""Environment variables a shell changes between two identical commands."""


def _repo_argument(arguments: list[str]) -> Path | None:
    """The REPO of `validate [OPTIONS] [REPO]`; None for anything this does not recognise (then
    nothing is remembered and the command line is left to the command)."""
    positional: list[str] = []
    index = 0
    while index < len(arguments):
        argument = arguments[index]
        if argument in OPTIONS_WITH_VALUES:
            index += 2
            continue
        if argument.startswith("--cluster=") or argument.startswith("--image="):
            index += 1
            continue
        if argument.startswith("-"):
            return None  # --help, or an option this does not know
        positional.append(argument)
        index += 1
    if index > len(arguments) or len(positional) > 1:
        return None
    return Path(positional[0] if positional else ".")


def _repo_root(start: Path) -> Path | None:
    """The repo the loader will judge: found as it finds it (load/files.find_repo: the path as given,
    not resolved, and the nearest folder upwards with an entry platform.yaml)."""
    here = start.absolute()
    if not here.exists():
        return None
    for folder in (here, *here.parents):
        if os.path.lexists(folder / "platform.yaml"):
            return folder
    return None


def _tree(root: Path, digest: Any) -> None:
    for top, folders, files in os.walk(root):
        folders[:] = sorted(f for f in folders if f != ".git")
        try:
            mode = os.lstat(top).st_mode  # a folder made unreadable (or readable) changes what the loader sees
        except OSError:
            mode = 0
        digest.update(b"D" + os.fsencode(os.path.relpath(top, root)) + f"\0{mode}\0".encode())
        for name in sorted(files + [f for f in folders if os.path.islink(os.path.join(top, f))]):
            path = os.path.join(top, name)
            try:
                found = os.lstat(path)
            except OSError:
                digest.update(b"?" + os.fsencode(name) + b"\0")
                continue
            digest.update(b"F" + os.fsencode(name) + b"\0" + str(found.st_mode).encode() + b"\0")
            if stat.S_ISLNK(found.st_mode):  # its text, and where its chain ends (a hop may be outside)
                ends = os.path.realpath(path)
                digest.update(os.fsencode(os.readlink(path)) + b"\0" + os.fsencode(ends) + b"\0")
            elif stat.S_ISREG(found.st_mode) and found.st_size <= CONTENT_UP_TO:
                digest.update(_content(path))
            else:  # large files and anything that is not a regular file (never opened: a FIFO would block)
                times = (found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino)
                digest.update(repr(times).encode())


def _content(path: str) -> bytes:
    """A regular file's digest, read as the loader reads (no symlink followed, never blocking: a file
    swapped for a FIFO or a link since it was listed is said, not opened)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError:
        return b"unreadable\0"
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return b"not a regular file\0"
        chunks, total = [], 0
        while total <= CONTENT_UP_TO:
            chunk = os.read(descriptor, CONTENT_UP_TO + 1 - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        return hashlib.blake2b(b"".join(chunks)).digest()
    except OSError:
        return b"unreadable\0"
    finally:
        os.close(descriptor)


def _dockyard(digest: Any) -> None:
    package = Path(__file__).parent
    for top, folders, files in os.walk(package):
        folders[:] = sorted(f for f in folders if f != "__pycache__")
        for name in sorted(files):
            found = os.stat(os.path.join(top, name))
            digest.update(f"{os.path.relpath(top, package)}/{name}:{found.st_size}:{found.st_mtime_ns}\n".encode())
    installed = sysconfig.get_paths()["purelib"]
    try:
        digest.update("\n".join(sorted(os.listdir(installed))).encode())
    except OSError:
        digest.update(b"no site-packages")


def _terminal() -> str:
    def tty(stream: Any) -> bool:
        try:
            return bool(stream.isatty())
        except (AttributeError, ValueError):
            return False

    size = shutil.get_terminal_size()
    return f"{tty(sys.stdout)}:{tty(sys.stderr)}:{size.columns}x{size.lines}"


class Memo:
    """One `validate` command line: its verdict replayed, or recorded while it runs."""

    def __init__(self, arguments: list[str], root: Path, folder: Path) -> None:
        self.arguments = arguments
        self.root = root
        self.folder = folder
        self.before = self._repo_digest()
        context = hashlib.blake2b(FORMAT.encode())
        context.update(json.dumps([__version__, sys.version, arguments, os.getcwd(), _terminal()]).encode())
        context.update(json.dumps(sorted((k, v) for k, v in os.environ.items() if k not in VOLATILE)).encode())
        _dockyard(context)
        context.update(self.before.encode())
        self.key = context.hexdigest()
        self.written: list[tuple[int, str]] = []
        self._streams: tuple[Any, Any] | None = None

    @classmethod
    def of(cls, arguments: list[str]) -> Memo | None:
        """The memo of `dockyard validate ARGUMENTS`, or None when nothing may be remembered (then
        validate judges, and says what is wrong, as it always does)."""
        try:
            cache = locations.parse_cache()
            repo = _repo_argument(arguments)
            root = _repo_root(repo) if repo is not None else None
            if cache is None or root is None:
                return None
            return cls(arguments, root, cache / "verdicts")
        except (OSError, RuntimeError, ValueError):  # a working directory gone, a folder not searchable
            return None

    def _repo_digest(self) -> str:
        digest = hashlib.blake2b()
        _tree(self.root, digest)
        return digest.hexdigest()

    @property
    def _file(self) -> Path:
        return self.folder / f"{self.key}.json"

    def replay(self) -> int | None:
        """The exit code after printing what the remembered run printed; None if there is none (or
        what is kept is not a verdict this Dockyard wrote: nothing is printed then)."""
        try:
            kept = json.loads(self._file.read_text())
        except (OSError, ValueError):
            return None
        written = kept.get("written") if isinstance(kept, dict) else None
        if not isinstance(kept, dict) or kept.get("code") != 0 or not isinstance(written, list):
            return None
        if not all(isinstance(w, list) and len(w) == 2 and w[0] in (1, 2) and isinstance(w[1], str) for w in written):
            return None
        for where, text in written:
            (sys.stderr if where == 2 else sys.stdout).write(text)
        sys.stdout.flush()
        sys.stderr.flush()
        return int(kept["code"])

    def record(self) -> None:
        """From now on, what goes to stdout and stderr is also kept."""
        self._streams = (sys.stdout, sys.stderr)
        sys.stdout = _Tee(sys.stdout, 1, self.written)
        sys.stderr = _Tee(sys.stderr, 2, self.written)

    def finish(self, code: int) -> None:
        """Keep the verdict if it may be replayed: a valid repo that did not change while it was
        judged."""
        if self._streams is not None:
            sys.stdout, sys.stderr = self._streams
        if code != 0 or self._repo_digest() != self.before:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            data = json.dumps({"code": code, "written": self.written}).encode()
            write_atomic(self._file, data, mode=0o600)
            kept = sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
            for old in kept[:-KEPT]:
                old.unlink(missing_ok=True)
        except OSError:
            pass  # a cache that cannot be written is a slower next run, not an error


class _Tee(io.TextIOBase):
    """A text stream that writes through to `stream` and keeps what was written."""

    def __init__(self, stream: Any, number: int, kept: list[tuple[int, str]]) -> None:
        self._stream = stream
        self._number = number
        self._kept = kept

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError("write() argument must be str")  # as a text stream says (click asks)
        self._kept.append((self._number, text))
        return int(self._stream.write(text))

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return bool(self._stream.isatty())

    def fileno(self) -> int:
        return int(self._stream.fileno())

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(self._stream.encoding)

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return self._stream.errors  # type: ignore[no-any-return]
