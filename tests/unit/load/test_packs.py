"""The cache on disk in packs: what one process stores, the next one reads; several writers each
add packs of their own; too many packs are merged, the newest copy of an entry kept; a broken pack
is a miss, never an error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dockyard.load import packs
from dockyard.load.packs import Packs
from tests.helpers import copy_example


def test_what_one_process_stores_the_next_one_reads_without_parsing(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    env = {**os.environ, "DOCKYARD_PARSE_CACHE": str(tmp_path / "cache")}
    env.pop("DOCKYARD_NO_CACHE", None)
    load = f"from pathlib import Path; from dockyard.load.repo import load; load(Path({str(repo)!r}))"
    subprocess.run([sys.executable, "-c", load], env=env, check=True)
    assert len(list((tmp_path / "cache" / "packs").glob("*.index"))) >= 1
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name != "packs"]  # no file per entry
    refuse_parsing = (
        "from dockyard.load import parsed\n"
        "def refused(*_a):\n    raise AssertionError('parsed again')\n"
        "parsed.parse_and_check = refused\n" + load
    )
    subprocess.run([sys.executable, "-c", refuse_parsing], env=env, check=True)


def test_each_writer_adds_its_own_packs_and_reads_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packs, "RESCAN_AFTER", 0.0)
    first, second = Packs(tmp_path), Packs(tmp_path)
    first.add({"a": b"one"})
    second.add({"b": b"two"})
    assert (first.get("a"), first.get("b")) == (b"one", b"two")
    assert (second.get("a"), second.get("b")) == (b"one", b"two")
    assert Packs(tmp_path).get("c") is None


def test_too_many_packs_are_merged_keeping_the_newest_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packs, "MAX_PACKS", 2)
    monkeypatch.setattr(packs, "RESCAN_AFTER", 0.0)
    reader = Packs(tmp_path)
    writer = Packs(tmp_path)
    writer.add({"a": b"old", "b": b"kept"})
    assert reader.get("a") == b"old"  # the reader has the first pack open
    writer.add({"a": b"new"})
    writer.add({"c": b"third"})  # a third pack: merged into one
    assert len(list((tmp_path / "packs").glob("*.index"))) == 1
    assert len(list((tmp_path / "packs").glob("*.pack"))) == 1
    fresh = Packs(tmp_path)
    assert (fresh.get("a"), fresh.get("b"), fresh.get("c")) == (b"new", b"kept", b"third")
    assert (writer.get("a"), writer.get("b")) == (b"new", b"kept")
    assert reader.get("b") == b"kept"  # from the pack it opened before the merge removed it


def test_a_broken_pack_or_index_is_a_miss(tmp_path: Path) -> None:
    Packs(tmp_path).add({"a": b"x" * 100})
    (tmp_path / "packs" / "0-garbage.index").write_bytes(b"not a pickle")
    pack = next((tmp_path / "packs").glob("*.pack"))
    assert Packs(tmp_path).get("a") == b"x" * 100
    pack.write_bytes(b"x" * 10)  # cut short
    assert Packs(tmp_path).get("a") is None
    (tmp_path / "packs").chmod(0o500)
    try:
        Packs(tmp_path).add({"b": b"y"})  # a cache that cannot be written only costs speed
    finally:
        (tmp_path / "packs").chmod(0o700)


def test_an_index_of_another_shape_is_a_miss_and_packs_still_merge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pickle

    monkeypatch.setattr(packs, "MAX_PACKS", 1)
    folder = tmp_path / "packs"
    folder.mkdir()
    (folder / "0-shape.index").write_bytes(pickle.dumps({"k": ("a", 1)}))
    (folder / "0-shape.pack").write_bytes(b"x")
    (folder / "1-list.index").write_bytes(pickle.dumps(["not", "an", "index"]))
    store = Packs(tmp_path)
    assert store.get("k") is None
    store.add({"good": b"kept"})  # merges: the broken ones are left out, nothing raises
    assert Packs(tmp_path).get("good") == b"kept"
