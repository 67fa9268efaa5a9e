"""Write a Bundle: one file per object in a stable tree, or one stream.

Tree: `<DIR>/<stage index>-<stage>/<namespace or _cluster>/<kind>-<name>.<yaml|json>`. Files
from an earlier render that the new one does not produce are removed, so the tree always equals
the render; anything else in DIR is left alone.

`DIR/.dockyard-render` records each file with a hash of the object it holds and the file's size
and modification time (as git's index does), so a render after a small change serialises and
writes only the objects that changed, and a file edited by hand is written again.

Nothing is ever written or deleted outside DIR: every path is walked from an open descriptor of
DIR one name at a time, never following a symlink (a planted link is an error, or, at a file's
own place, replaced rather than followed), and the marker's entries are only trusted when they
have the shape of a path this module writes.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

from dockyard.errors import DockyardError
from dockyard.render.bundle import STAGES, Bundle, Rendered, to_json, to_yaml

MARKER = ".dockyard-render"
MAX_MARKER = 64 * 1024 * 1024
_OURS = re.compile(r"[1-9][0-9]*-[a-z-]+/(?:_cluster|[a-z0-9-]+)/[a-z0-9]+-[!-.0-~]+\.(?:yaml|json)")
"""The shape of every path `relative_path` gives (a name has no `/`; see identity_problem)."""
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class Format(StrEnum):
    """How rendered objects are written: YAML or JSON."""

    YAML = "yaml"
    JSON = "json"


class OutputError(DockyardError):
    """The output directory cannot be written as asked (a file, a symlink inside it, no permission)."""


def relative_path(rendered: Rendered, fmt: Format) -> str:
    stage = f"{STAGES.index(rendered.stage) + 1}-{rendered.stage}"
    return f"{stage}/{rendered.namespace or '_cluster'}/{rendered.kind.lower()}-{rendered.name}.{fmt}"


def write_tree(bundle: Bundle, directory: Path, fmt: Format) -> list[str]:
    planned = [(relative_path(rendered, fmt), rendered) for rendered in bundle.objects]
    for relative, _rendered in planned:
        if not _OURS.fullmatch(relative) or ".." in relative.split("/"):
            raise OutputError(f"refusing to write `{relative}`: not a path of a render tree (a bug: please report it)")
    with _Tree.open(directory) as tree:
        previous = tree.read_marker()
        written: dict[str, list[object]] = {}
        for relative, rendered in planned:
            digest = hashlib.sha256(json.dumps(rendered.manifest, sort_keys=False).encode()).hexdigest()
            if previous.get(relative, [None])[0] == digest and tree.stat(relative) == previous[relative][1:]:
                written[relative] = previous[relative]
                continue
            text = to_json(rendered.manifest) if fmt is Format.JSON else to_yaml([rendered.manifest])
            tree.write(relative, text.encode())
            written[relative] = [digest, *tree.stat(relative)]
        for stale in sorted(set(previous) - set(written)):
            if _OURS.fullmatch(stale) and ".." not in stale.split("/"):  # anything else was not written by us
                tree.remove(stale)
        tree.write(MARKER, (json.dumps(dict(sorted(written.items())), indent=0) + "\n").encode())
    return list(written)


class _Tree:
    """DIR, held open; paths below it are reached name by name, never through a symlink."""

    def __init__(self, directory: Path, descriptor: int) -> None:
        self.directory = directory
        self.root = descriptor
        self.folders: dict[str, int] = {"": descriptor}

    @classmethod
    @contextmanager
    def open(cls, directory: Path) -> Iterator[_Tree]:
        try:
            if directory.exists() and not directory.is_dir():
                raise FileExistsError(directory)
            directory.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
        except FileExistsError:
            raise OutputError(f"{directory} is a file, not a directory; give --output a directory") from None
        except NotADirectoryError:
            raise OutputError(f"{directory}: a part of the path is a file, not a directory") from None
        except OSError as error:
            raise OutputError(f"cannot write to {directory}: {error.strerror}") from None
        tree = cls(directory, descriptor)
        try:
            yield tree
        except OSError as error:
            raise OutputError(f"cannot write to {directory}: {error.strerror}") from None
        finally:
            for folder in tree.folders.values():
                os.close(folder)

    def _folder(self, relative: str, *, create: bool) -> int | None:
        """The descriptor of the folder `relative` (a/b), made if `create`; None if it is missing."""
        if relative in self.folders:
            return self.folders[relative]
        parent_path, _slash, name = relative.rpartition("/")
        parent = self._folder(parent_path, create=create)
        if parent is None:
            return None
        try:
            descriptor = os.open(name, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW, dir_fd=parent)
        except FileNotFoundError:
            if not create:
                return None
            os.mkdir(name, 0o755, dir_fd=parent)
            descriptor = os.open(name, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW, dir_fd=parent)
        except OSError as error:
            if error.errno in (errno.ELOOP, errno.ENOTDIR):
                shown = self.directory / relative
                raise OutputError(
                    f"{shown} is a symbolic link or a file; Dockyard writes only inside the output directory "
                    "and follows no links: remove it, or choose another --output"
                ) from None
            raise
        self.folders[relative] = descriptor
        return descriptor

    def read_marker(self) -> dict[str, list[object]]:
        try:
            descriptor = os.open(MARKER, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW, dir_fd=self.root)
        except OSError:
            return {}
        try:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_MARKER:
                return {}
            recorded = json.loads(os.read(descriptor, MAX_MARKER))
        except (OSError, ValueError):
            return {}
        finally:
            os.close(descriptor)
        if not isinstance(recorded, dict):
            return {}
        return {k: v for k, v in recorded.items() if isinstance(k, str) and isinstance(v, list) and len(v) == 3}

    def stat(self, relative: str) -> list[object]:
        folder_path, _slash, name = relative.rpartition("/")
        folder = self._folder(folder_path, create=False)
        try:
            if folder is None:
                raise FileNotFoundError
            info = os.stat(name, dir_fd=folder, follow_symlinks=False)
        except OSError:
            return [None, None]
        if not stat.S_ISREG(info.st_mode):
            return [None, None]
        return [info.st_size, info.st_mtime_ns]

    def write(self, relative: str, data: bytes) -> None:
        """Write a new file and rename it over `relative` (a symlink there is replaced, not followed)."""
        folder_path, _slash, name = relative.rpartition("/")
        folder = self._folder(folder_path, create=True)
        assert folder is not None
        temporary = f".{name}.{os.getpid()}.tmp"
        with contextlib.suppress(FileNotFoundError):  # left by a run that was killed
            os.unlink(temporary, dir_fd=folder)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644, dir_fd=folder)
        try:
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(data)
            os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=folder)
            raise

    def remove(self, relative: str) -> None:
        """Remove a file of an earlier render, then its folders if they are left empty."""
        parts = relative.split("/")
        folder = self._folder("/".join(parts[:-1]), create=False)
        if folder is None:
            return
        try:
            os.unlink(parts[-1], dir_fd=folder)
        except (FileNotFoundError, IsADirectoryError, PermissionError):
            return
        for depth in range(len(parts) - 1, 0, -1):
            path = "/".join(parts[:depth])
            parent = self.folders["/".join(parts[: depth - 1])]
            try:
                os.rmdir(parts[depth - 1], dir_fd=parent)
            except OSError:  # not empty (or not ours to remove): stop climbing
                return
            os.close(self.folders.pop(path))


def stream(bundle: Bundle, fmt: Format) -> str:
    manifests = [r.manifest for r in bundle.objects]
    if fmt is Format.JSON:
        return json.dumps({"apiVersion": "v1", "kind": "List", "items": manifests}, indent=2, ensure_ascii=False) + "\n"
    return to_yaml(manifests)
