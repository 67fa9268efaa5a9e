"""Chart archives: packed deterministically, unpacked safely.

Unpacking refuses anything that could write outside the target or exhaust the disk:
absolute paths, `..`, links, devices, more than MAX_MEMBERS entries, a file over MAX_FILE
bytes or MAX_TOTAL bytes in all. Packing sorts entries and clears times and owners, so the
same files always give the same bytes (and the same digest).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import zlib
from pathlib import Path, PurePosixPath

MAX_MEMBERS = 20_000
MAX_FILE = 16 * 1024 * 1024
MAX_TOTAL = 128 * 1024 * 1024


class UnsafeArchive(Exception):
    """The archive holds something Dockyard will not unpack; the message says what."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _checked_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or name.startswith(("/", "\\")) or ".." in path.parts or "\\" in name:
        raise UnsafeArchive(f"entry `{name}` would be written outside the chart directory")
    if not path.parts or path.parts == (".",):
        raise UnsafeArchive(f"entry `{name}` has no name")
    return path


def unpack(archive: Path, target: Path) -> None:
    """Unpack the gzipped tar `archive` into `target` (which must not exist yet); UnsafeArchive on anything unsafe."""
    members: list[tuple[PurePosixPath, tarfile.TarInfo]] = []
    seen: set[PurePosixPath] = set()
    total = 0
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for count, member in enumerate(tar, start=1):
                if count > MAX_MEMBERS:
                    raise UnsafeArchive(f"more than {MAX_MEMBERS} entries")
                path = _checked_name(member.name)
                if path in seen and not member.isdir():
                    raise UnsafeArchive(f"entry `{member.name}` appears twice")
                seen.add(path)
                if member.issym() or member.islnk():
                    raise UnsafeArchive(f"entry `{member.name}` is a link")
                if not (member.isfile() or member.isdir()):
                    raise UnsafeArchive(f"entry `{member.name}` is not a regular file or directory")
                if member.size > MAX_FILE:
                    raise UnsafeArchive(f"entry `{member.name}` is larger than {MAX_FILE // (1024 * 1024)} MiB")
                total += member.size
                if total > MAX_TOTAL:
                    raise UnsafeArchive(f"it unpacks to more than {MAX_TOTAL // (1024 * 1024)} MiB")
                members.append((path, member))
            target.mkdir(parents=True)
            for path, member in members:
                destination = target.joinpath(*path.parts)
                if member.isdir():
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                if source is None:
                    raise UnsafeArchive(f"entry `{member.name}` cannot be read")
                with destination.open("xb") as out:
                    out.write(source.read())
    except (tarfile.TarError, EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise UnsafeArchive(f"not a readable .tgz archive ({error})") from None
    except (FileExistsError, NotADirectoryError):
        raise UnsafeArchive("an entry is both a file and a directory") from None


def pack(files: dict[str, bytes]) -> bytes:
    """A .tgz of `files` (relative POSIX path -> content): sorted, no times, no owners."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            data = files[name]
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)
