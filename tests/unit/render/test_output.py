"""The render tree equals the render: changed objects rewritten, stale files removed, nothing else touched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import copy_example, replace, run_cli


def render(capsys: pytest.CaptureFixture[str], repo: Path, out: Path) -> None:
    result = run_cli(capsys, "render", str(repo), "--cluster", "local", "--output", str(out))
    assert result.code == 0, result.err


def test_only_changed_objects_are_rewritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo, out = copy_example(tmp_path), tmp_path / "out"
    render(capsys, repo, out)
    times = {p: p.stat().st_mtime_ns for p in out.rglob("*.yaml")}
    replace(repo, "services/web/score.yaml", "replicas: 2", "replicas: 3")
    render(capsys, repo, out)
    changed = sorted(str(p.relative_to(out)) for p in times if p.stat().st_mtime_ns != times[p])
    assert changed == ["5-services/shop/deployment-web.yaml"]
    assert "replicas: 3" in (out / "5-services/shop/deployment-web.yaml").read_text()


def test_a_file_edited_by_hand_is_restored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo, out = copy_example(tmp_path), tmp_path / "out"
    render(capsys, repo, out)
    target = out / "5-services/shop/service-web.yaml"
    original = target.read_text()
    target.write_text(original.replace("port: 80", "port: 81"))
    os.utime(target, ns=(1, 1))
    render(capsys, repo, out)
    assert target.read_text() == original


def test_files_no_longer_rendered_are_removed_and_others_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, out = copy_example(tmp_path), tmp_path / "out"
    render(capsys, repo, out)
    (out / "README.txt").write_text("mine")
    replace(
        repo,
        "services/web/score.yaml",
        "  public:\n    type: route\n    params:\n      host: www\n      path: /\n      port: 80\n",
        "",
    )
    replace(repo, "services/web/score.yaml", "      PUBLIC_HOST: ${resources.public.host}\n", "")
    render(capsys, repo, out)
    assert not (out / "5-services/shop/httproute-web-public.yaml").exists()
    assert (out / "README.txt").read_text() == "mine"


def test_json_stream_is_a_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    result = run_cli(capsys, "render", str(copy_example(tmp_path)), "-c", "local", "--format", "json")
    document = json.loads(result.out)
    assert document["kind"] == "List"
    assert {item["kind"] for item in document["items"]} >= {"Deployment", "Service", "Namespace"}


def test_unknown_format_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "render", str(copy_example(tmp_path)), "-c", "local", "--format", "toml")
    assert (result.code, result.err) == (2, "error: --format must be yaml or json, not `toml`\n")


def test_no_secret_value_is_rendered(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "render", str(copy_example(tmp_path)), "-c", "prod-eu", "--only", "services")
    assert "kind: Secret" not in result.out
    assert "secretKeyRef" in result.out
