"""Chart archives: packed deterministically, unpacked safely.

Unpacking refuses anything that could write outside the target or exhaust the disk:
absolute paths, `..`, links, devices, more than MAX_MEMBERS entries, a file over MAX_FILE
bytes or MAX_TOTAL bytes in all. Packing sorts entries and clears times and owners, so the
same files always give the same bytes (and the same digest).
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zlib
from pathlib import Path, PurePosixPath

MAX_MEMBERS = 20_000
MAX_FILE = 16 * 1024 * 1024
MAX_TOTAL = 128 * 1024 * 1024


class UnsafeArchive(Exception):
    """The archive holds something Dockyard will not unpack; the message says what."""


def _checked_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or name.startswith(("/", "\\")) or ".." in path.parts or "\\" in name:
        raise UnsafeArchive(f"entry `{name}` would be written outside the chart directory")
    if not path.parts or path.parts == (".",):
        raise UnsafeArchive(f"entry `{name}` has no name")
    return path


MAX_ARCHIVE = 64 * 1024 * 1024
"""The largest .tgz Dockyard reads (the biggest real charts are a few MiB)."""
MAX_HEADER = 64 * 1024
"""The largest extended header (PAX or GNU long name) Dockyard reads; real ones are a few hundred bytes."""
MAX_HEADERS_TOTAL = 4 * 1024 * 1024
"""All extended headers of one archive together."""
_BLOCK = 512


def gunzip(data: bytes) -> bytes:
    """The tar inside a .tgz, refusing to inflate past what a chart may hold (a gzip bomb)."""
    # contents, a header and a padding block per member, the extended headers, the end blocks
    limit = MAX_TOTAL + MAX_MEMBERS * 3 * _BLOCK + MAX_HEADERS_TOTAL + tarfile.RECORDSIZE
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        tar = inflater.decompress(data, limit + 1)
    except zlib.error as error:
        raise UnsafeArchive(f"not a readable .tgz archive ({error})") from None
    if len(tar) > limit:
        raise UnsafeArchive(f"it unpacks to more than {MAX_TOTAL // (1024 * 1024)} MiB")
    return tar


def _check_headers(tar: bytes) -> None:
    """Refuse extended headers before tarfile parses them: an oversized or malformed PAX record is
    where the interpreter's own parser goes quadratic (CVE-2024-6232)."""
    offset = extended = 0
    while offset + _BLOCK <= len(tar):
        header = tar[offset : offset + _BLOCK]
        if header == bytes(_BLOCK):
            return
        size = _octal(header[124:136])
        kind = header[156:157]
        if kind in (b"x", b"g", b"L", b"K"):
            extended += size
            if size > MAX_HEADER:
                raise UnsafeArchive(f"an extended header of {size:,} bytes (at most {MAX_HEADER:,})")
            if extended > MAX_HEADERS_TOTAL:
                raise UnsafeArchive(f"more than {MAX_HEADERS_TOTAL:,} bytes of extended headers")
            if kind in (b"x", b"g"):
                _check_pax_records(tar[offset + _BLOCK : offset + _BLOCK + size])
        offset += _BLOCK + (size + _BLOCK - 1) // _BLOCK * _BLOCK


def _octal(field: bytes) -> int:
    text = field.rstrip(b"\0 ").lstrip(b" ")
    if field[:1] in (b"\x80", b"\xff"):  # base-256: only for huge files, which are refused anyway
        raise UnsafeArchive("an entry size in base-256 notation")
    if not text:
        return 0
    if not text.isdigit() or b"8" in text or b"9" in text:
        raise UnsafeArchive("a header with an unreadable size field")
    return int(text, 8)


def _check_pax_records(data: bytes) -> None:
    """Each record is `<length> <key>=<value>\\n` and its length counts the whole record."""
    position = 0
    while position < len(data):
        if data[position:] == bytes(len(data) - position):
            return
        space = data.find(b" ", position, position + 21)
        digits = data[position:space] if space != -1 else b""
        if not digits.isdigit():
            raise UnsafeArchive("a malformed PAX header record")
        length = int(digits)
        record = data[position : position + length]
        if length <= space - position + 1 or len(record) != length or not record.endswith(b"\n") or b"=" not in record:
            raise UnsafeArchive("a malformed PAX header record")
        if record[space - position + 1 :].startswith(b"size="):  # only needed past 8 GiB, far over MAX_FILE
            raise UnsafeArchive("a PAX header that overrides an entry's size")
        position += length


def unpack(data: bytes, target: Path) -> None:
    """Unpack the gzipped tar `data` into `target` (which must not exist yet); UnsafeArchive on anything unsafe."""
    if len(data) > MAX_ARCHIVE:
        raise UnsafeArchive(f"the archive is larger than {MAX_ARCHIVE // (1024 * 1024)} MiB")
    raw = gunzip(data)
    _check_headers(raw)
    members: list[tuple[PurePosixPath, tarfile.TarInfo]] = []
    seen: set[PurePosixPath] = set()
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
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
    except (tarfile.TarError, EOFError, UnicodeError, ValueError) as error:
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
