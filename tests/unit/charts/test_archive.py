"""Chart archives: packed byte-identically, and unpacked only when nothing in them is unsafe."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from dockyard.charts import archive
from dockyard.charts.archive import UnsafeArchive, pack, unpack


def _tgz(path: Path, entries: list[tarfile.TarInfo], data: bytes = b"x") -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info in entries:
            if info.isfile():
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return path


def _entry(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info


def test_packing_the_same_files_gives_the_same_bytes_in_any_order() -> None:
    files = {"chart/Chart.yaml": b"name: a\n", "chart/templates/a.yaml": b"kind: A\n"}
    again = dict(reversed(list(files.items())))
    assert pack(files) == pack(again)
    assert pack(files) != pack({**files, "chart/values.yaml": b"{}\n"})


def test_a_packed_archive_unpacks_to_the_same_files(tmp_path: Path) -> None:
    files = {"chart/Chart.yaml": b"name: a\n", "chart/templates/a.yaml": b"kind: A\n"}
    (tmp_path / "a.tgz").write_bytes(pack(files))
    unpack((tmp_path / "a.tgz").read_bytes(), tmp_path / "out")
    unpacked = {
        str(p.relative_to(tmp_path / "out")): p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()
    }
    assert unpacked == files


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (_entry("../evil.yaml"), "entry `../evil.yaml` would be written outside the chart directory"),
        (_entry("chart/../../evil.yaml"), "entry `chart/../../evil.yaml` would be written outside the chart directory"),
        (_entry("/etc/evil.yaml"), "entry `/etc/evil.yaml` would be written outside the chart directory"),
        (_entry("chart/link", tarfile.SYMTYPE, "/etc/passwd"), "entry `chart/link` is a link"),
        (_entry("chart/hard", tarfile.LNKTYPE, "chart/a"), "entry `chart/hard` is a link"),
        (_entry("chart/fifo", tarfile.FIFOTYPE), "entry `chart/fifo` is not a regular file or directory"),
    ],
)
def test_an_unsafe_entry_is_refused_and_nothing_is_written(
    tmp_path: Path, entry: tarfile.TarInfo, message: str
) -> None:
    bad = _tgz(tmp_path / "bad.tgz", [_entry("chart/a"), entry])
    with pytest.raises(UnsafeArchive) as refused:
        unpack(bad.read_bytes(), tmp_path / "out")
    assert str(refused.value) == message
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "evil.yaml").exists()


def test_size_and_count_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "MAX_FILE", 4)
    big = _tgz(tmp_path / "big.tgz", [_entry("chart/a")], data=b"12345")
    with pytest.raises(UnsafeArchive, match=r"^entry `chart/a` is larger than 0 MiB$"):
        unpack(big.read_bytes(), tmp_path / "out1")
    monkeypatch.setattr(archive, "MAX_FILE", 100)
    monkeypatch.setattr(archive, "MAX_TOTAL", 8)
    total = _tgz(tmp_path / "total.tgz", [_entry("chart/a"), _entry("chart/b")], data=b"12345")
    with pytest.raises(UnsafeArchive, match=r"^it unpacks to more than 0 MiB$"):
        unpack(total.read_bytes(), tmp_path / "out2")
    monkeypatch.setattr(archive, "MAX_MEMBERS", 1)
    many = _tgz(tmp_path / "many.tgz", [_entry("chart/a"), _entry("chart/b")])
    with pytest.raises(UnsafeArchive, match=r"^more than 1 entries$"):
        unpack(many.read_bytes(), tmp_path / "out3")


def test_a_file_that_is_not_a_tgz_is_refused(tmp_path: Path) -> None:
    (tmp_path / "junk.tgz").write_bytes(b"not gzip at all")
    with pytest.raises(UnsafeArchive, match=r"^not a readable \.tgz archive"):
        unpack((tmp_path / "junk.tgz").read_bytes(), tmp_path / "out")


def test_an_entry_twice_is_refused(tmp_path: Path) -> None:
    twice = _tgz(tmp_path / "twice.tgz", [_entry("chart/a"), _entry("chart/a")])
    with pytest.raises(UnsafeArchive, match=r"^entry `chart/a` appears twice$"):
        unpack(twice.read_bytes(), tmp_path / "out")


def _raw_tar_with_pax(record: bytes) -> bytes:
    """A tar whose first member carries the PAX header `record` as it is (tarfile would not write a bad one)."""
    header = tarfile.TarInfo("././@PaxHeader")
    header.type = tarfile.XHDTYPE
    header.size = len(record)
    blocks = header.tobuf(format=tarfile.USTAR_FORMAT)
    blocks += record + bytes(-len(record) % 512)
    member = tarfile.TarInfo("chart/a")
    member.size = 1
    blocks += member.tobuf(format=tarfile.USTAR_FORMAT) + b"x" + bytes(511)
    return gzip.compress(blocks + bytes(1024))


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (b"4" * 400_000 + b" path=a\n", "an extended header of 400,008 bytes (at most 65,536)"),
        (b"9" * 30 + b" path=a\n", "a malformed PAX header record"),
        (b"99 path=a\n", "a malformed PAX header record"),
        (b"10 pathXa\n", "a malformed PAX header record"),
        (b"14 size=99999\n", "a PAX header that overrides an entry's size"),
    ],
)
def test_extended_headers_are_checked_before_tarfile_reads_them(record: bytes, message: str, tmp_path: Path) -> None:
    """CVE-2024-6232: the interpreter's PAX parser backtracks on long digit runs; such headers never reach it."""
    with pytest.raises(UnsafeArchive) as refused:
        unpack(_raw_tar_with_pax(record), tmp_path / "out")
    assert str(refused.value) == message
    assert not (tmp_path / "out").exists()


def test_a_well_formed_pax_header_is_read(tmp_path: Path) -> None:
    unpack(_raw_tar_with_pax(b"16 path=chart/b\n"), tmp_path / "out")
    assert (tmp_path / "out" / "chart" / "b").read_bytes() == b"x"


def test_a_gzip_bomb_is_refused_without_inflating_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "MAX_TOTAL", 1024 * 1024)
    monkeypatch.setattr(archive, "MAX_MEMBERS", 10)
    bomb = gzip.compress(bytes(512) * 0 + b"\xff" * (64 * 1024 * 1024))
    with pytest.raises(UnsafeArchive, match=r"^it unpacks to more than 1 MiB$"):
        unpack(bomb, tmp_path / "out")
