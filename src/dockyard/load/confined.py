"""Read a file of the platform repo (or of an unpacked chart) without leaving its root, blocking
or exhausting memory.

Every read Dockyard makes of a file a user controls goes through `read_inside`: the path is
resolved (symlinks included) and must stay under the root; only regular files are read (a FIFO,
a socket or a device would block or never end); the size is checked before a byte is read, and
the read itself stops one byte past the limit, so a file that grows meanwhile cannot get through.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


class Refused(Exception):
    """A file Dockyard will not (or cannot) read; the message says why, in the user's words.

    `missing` tells a caller that may suggest a similar name that nothing is there at all."""

    def __init__(self, message: str, *, missing: bool = False, hint: str | None = None) -> None:
        super().__init__(message)
        self.missing = missing
        self.hint = hint


OUTSIDE_HINT = "files must live inside the repo; replace the symlink or `..` path with a real file"
SIZE_HINT = "split large values into separate files, or check that this is the file you meant"


def resolve_inside(root: Path, relative: str, shown: str | None = None) -> Path:
    """`root/relative` with every symlink resolved; Refused if that leaves `root` or loops."""
    shown = shown or f"`{relative}`"
    if "\0" in relative:
        raise Refused(f"{shown} is not a path: it holds a NUL character")
    try:
        resolved = (root / relative).resolve()
        base = root.resolve()
    except RuntimeError:  # Python 3.11 reports a symlink loop this way
        raise Refused(f"{shown} is a symbolic link loop") from None
    except OSError as error:
        raise Refused(f"cannot read {shown}: {_reason(error)}") from None
    if resolved != base and base not in resolved.parents:
        raise Refused(f"{shown} resolves outside the platform repo", hint=OUTSIDE_HINT)
    if ".git" in resolved.relative_to(base).parts:
        raise Refused(
            f"{shown} is inside .git, git's own folder, which is not part of the platform repo",
            hint="keep the file in the repo's tree, where git tracks it",
        )
    return resolved


def read_regular(path: Path, limit: int, shown: str) -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them; Refused otherwise.

    Opened without following a final symlink and without blocking, then checked with fstat on
    the open descriptor, so what is checked is what is read."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        if error.errno == errno.ENOENT:
            raise Refused(f"{shown} does not exist", missing=True) from None
        if error.errno == errno.ELOOP:
            raise Refused(f"{shown} is a symbolic link, which Dockyard does not follow here") from None
        raise Refused(f"cannot read {shown}: {_reason(error)}") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"{shown} is {_what(info.st_mode)}, not a regular file")
        if info.st_size > limit:
            raise Refused(
                f"{shown} is {info.st_size:,} bytes; Dockyard reads files of at most {limit:,} bytes", hint=SIZE_HINT
            )
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(descriptor, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise Refused(f"{shown} grew past {limit:,} bytes while it was read")
        return b"".join(chunks)
    except OSError as error:
        raise Refused(f"cannot read {shown}: {_reason(error)}") from None
    finally:
        os.close(descriptor)


def read_inside(root: Path, relative: str, limit: int, shown: str | None = None) -> bytes:
    """The bytes of `root/relative`: inside `root` once resolved, a regular file, at most `limit`."""
    shown = shown or f"`{relative}`"
    return read_regular(resolve_inside(root, relative, shown), limit, shown)


def _what(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "something other than a file"


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__
