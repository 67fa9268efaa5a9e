"""The render tree equals the render: changed objects rewritten, stale files removed, nothing else touched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import copy_example, replace, run_cli


def render(capsys: pytest.CaptureFixture[str], repo: Path, out: Path) -> None:
    result = run_cli(capsys, "render", str(repo), "--cluster", "local", "--output", str(out))
    assert result.code == 0, result.err


@pytest.mark.tools
def test_only_changed_objects_are_rewritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo, out = copy_example(tmp_path), tmp_path / "out"
    render(capsys, repo, out)
    times = {p: p.stat().st_mtime_ns for p in out.rglob("*.yaml")}
    replace(repo, "services/web/dockyard.yaml", "replicas: 2", "replicas: 3")
    render(capsys, repo, out)
    changed = sorted(str(p.relative_to(out)) for p in times if p.stat().st_mtime_ns != times[p])
    assert changed == ["5-services/shop/deployment-web.yaml"]
    assert "replicas: 3" in (out / "5-services/shop/deployment-web.yaml").read_text()


@pytest.mark.tools
def test_a_file_edited_by_hand_is_restored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo, out = copy_example(tmp_path), tmp_path / "out"
    render(capsys, repo, out)
    target = out / "5-services/shop/service-web.yaml"
    original = target.read_text()
    target.write_text(original.replace("port: 80", "port: 81"))
    os.utime(target, ns=(1, 1))
    render(capsys, repo, out)
    assert target.read_text() == original


@pytest.mark.tools
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


@pytest.mark.tools
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


def _render_services(capsys: pytest.CaptureFixture[str], repo: Path, out: Path) -> tuple[int, str]:
    result = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "services", "-o", str(out))
    assert "Traceback" not in result.err
    return result.code, result.err


def test_a_symlinked_stage_directory_is_refused_and_nothing_is_written_through_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, out, outside = copy_example(tmp_path), tmp_path / "out", tmp_path / "outside"
    outside.mkdir()
    out.mkdir()
    os.symlink(outside, out / "5-services")
    code, err = _render_services(capsys, repo, out)
    assert code == 1
    assert err == (
        f"error: {out}/5-services is a symbolic link or a file; Dockyard writes only inside the output directory "
        "and follows no links: remove it, or choose another --output\n"
    )
    assert list(outside.iterdir()) == []


def test_a_symlink_at_an_object_file_is_replaced_not_followed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, out = copy_example(tmp_path), tmp_path / "out"
    _render_services(capsys, repo, out)
    target = out / "5-services/shop/deployment-web.yaml"
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    target.unlink()
    os.symlink(victim, target)
    assert _render_services(capsys, repo, out)[0] == 0
    assert victim.read_text() == "keep me"
    assert not target.is_symlink() and "kind: Deployment" in target.read_text()


def test_a_crafted_marker_never_deletes_outside_the_output_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    repo, out = copy_example(tmp_path), tmp_path / "out"
    _render_services(capsys, repo, out)
    victims = [tmp_path / "victim-a.yaml", tmp_path / "victim-b.yaml"]
    for victim in victims:
        victim.write_text("keep me")
    marker = out / ".dockyard-render"
    recorded = json.loads(marker.read_text())
    recorded[str(victims[0])] = ["x", 1, 1]
    recorded["../victim-b.yaml"] = ["x", 1, 1]
    recorded["5-services/../../victim-b.yaml"] = ["x", 1, 1]
    marker.write_text(json.dumps(recorded))
    assert _render_services(capsys, repo, out)[0] == 0
    assert [v.read_text() for v in victims] == ["keep me", "keep me"]


def test_an_output_that_is_a_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo, out = copy_example(tmp_path), tmp_path / "out"
    out.write_text("a file")
    assert _render_services(capsys, repo, out) == (
        1,
        f"error: {out} is a file, not a directory; give --output a directory\n",
    )
    assert out.read_text() == "a file"


def test_an_unwritable_output_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo, out = copy_example(tmp_path), tmp_path / "out"
    out.mkdir()
    (out / "5-services").write_text("a file where a folder goes")
    code, err = _render_services(capsys, repo, out)
    assert code == 1
    assert err.startswith(f"error: {out}/5-services is a symbolic link or a file")


def test_a_variable_reference_in_args_is_not_expanded_by_kubernetes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`$(DB_PASSWORD)` in args would make the kubelet put a secret into the process's command line."""
    repo = copy_example(tmp_path)
    replace(
        repo, "services/orders/score.yaml", 'args: ["--listen", ":8080"]', 'args: ["--password=$(DATABASE_PASSWORD)"]'
    )
    result = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "services")
    assert result.code == 0, result.err
    assert "- --password=$$(DATABASE_PASSWORD)\n" in result.out
    assert "- --password=$(DATABASE_PASSWORD)\n" not in result.out
