"""The drafts' private copy of the repo (console/drafts.py `_overlay`): the repo's regular files
linked, never a file outside the repo (through a symlinked file or folder) nor git's own folder,
and the draft's files written over the links, never through them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from dockyard.console.drafts import _overlay
from tests.helpers import copy_example


def test_the_copy_holds_the_repos_files_and_nothing_from_outside_it(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "secret.txt").write_text("not the repo's\n")
    (outside / "deep" / "key.pem").write_text("not the repo's either\n")
    orders = repo / "services" / "orders"
    (orders / "leak.txt").symlink_to(outside / "secret.txt")
    (orders / "elsewhere").symlink_to(outside / "deep", target_is_directory=True)
    (orders / ".git").mkdir()
    (orders / ".git" / "config").write_text("[core]\n")
    (repo / "services" / "web" / ".git").write_text("gitdir: ../../.git/modules/web\n")  # a submodule's
    (orders / "inside.yaml").symlink_to(orders / "openapi.yaml")  # a symlink that stays inside: read as a copy
    (repo / "services" / "web" / "nested" / "deeper").mkdir(parents=True)
    (repo / "services" / "web" / "nested" / "deeper" / "page.html").write_text("<p>hello</p>\n")
    draft = {"services/orders/score.yaml": b"changed\n"}
    with _overlay(repo, draft, ["orders", "web"]) as folder:
        copied = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
        assert "services/orders/leak.txt" not in copied
        assert not any(path.startswith(("services/orders/elsewhere", "services/orders/.git")) for path in copied)
        assert "services/web/.git" not in copied
        assert {"services/orders/openapi.yaml", "services/web/nested/deeper/page.html", "platform.yaml"} <= copied
        assert (folder / "services/orders/inside.yaml").read_bytes() == (orders / "openapi.yaml").read_bytes()
        assert not (folder / "services/orders/inside.yaml").is_symlink()
        linked = folder / "services/orders/openapi.yaml"
        assert os.stat(linked).st_ino == os.stat(orders / "openapi.yaml").st_ino  # a link, not a copy
        assert (folder / "services/orders/score.yaml").read_bytes() == b"changed\n"
    assert (orders / "score.yaml").read_bytes() != b"changed\n"  # written over the link, not through it
    assert not folder.exists()


def test_a_service_folder_that_resolves_outside_the_repo_is_not_copied(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    outside = tmp_path / "outside-service"
    outside.mkdir()
    (outside / "score.yaml").write_text("not the repo's\n")
    services = repo / "services"
    real = tmp_path / "real-services"
    services.rename(real)
    services.symlink_to(outside.parent, target_is_directory=True)  # services/ now points outside the repo
    with _overlay(repo, {}, ["outside-service"]) as folder:
        assert not (folder / "services" / "outside-service" / "score.yaml").exists()


def test_a_folder_swapped_for_a_symlink_during_the_copy_leads_nowhere_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a pull into the working tree does while a live check copies it: a folder becomes a
    symlink to a folder outside the repo, right after the copy linked the first file inside it."""
    repo = copy_example(tmp_path)
    deep = repo / "services" / "orders" / "deep"
    (deep / "inner").mkdir(parents=True)
    (deep / "inner" / "a.yaml").write_text("a: inside\n")
    (deep / "inner" / "b.yaml").write_text("b: inside\n")
    outside = tmp_path / "outside"
    (outside / "inner").mkdir(parents=True)
    (outside / "inner" / "b.yaml").write_text("token: from outside the repo\n")
    link = os.link
    swapped: list[bool] = []

    def swapping(*args: Any, **kwargs: Any) -> None:
        link(*args, **kwargs)
        if str(args[1]).endswith("deep/inner/a.yaml") and not swapped:
            deep.rename(deep.with_name("deep.gone"))
            deep.symlink_to(outside, target_is_directory=True)
            swapped.append(True)

    monkeypatch.setattr(os, "link", swapping)
    with _overlay(repo, {}, ["orders"]) as folder:
        copied = folder / "services/orders/deep/inner/b.yaml"
        assert swapped
        assert not copied.exists() or copied.read_text() == "b: inside\n"
