"""`dockyard charts pull` against a real Helm chart repository on loopback, and render's refusal
of anything unpinned, missing or changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.charts import index, make_chart, package, platform_repo, serve
from tests.helpers import replace, run_cli

CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  greeting: {{ .Values.greeting | quote }}
"""


def _upstream(tmp_path: Path, greeting: str = "hello") -> Path:
    """A chart repository directory with one chart, `hello` 1.0.0."""
    shutil.rmtree(tmp_path / "src", ignore_errors=True)
    chart = make_chart(tmp_path / "src", "hello", values={"greeting": greeting}, templates={"cm.yaml": CONFIGMAP})
    package(chart, tmp_path / "repo")
    return tmp_path / "repo"


def _repo_using(tmp_path: Path, url: str) -> Path:
    return platform_repo(
        tmp_path / "platform",
        f"  hello:\n    chart: {{repository: '{url}', name: hello, version: 1.0.0}}\n"
        "    namespace: hello\n    stage: platform-services\n",
    )


@pytest.mark.tools
def test_pull_pins_then_verifies_and_render_uses_the_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    upstream = _upstream(tmp_path)
    with serve(upstream) as url:
        index(upstream, url)
        repo = _repo_using(tmp_path, url)
        first = run_cli(capsys, "charts", "pull", str(repo))
        assert first.code == 0, first.err
        assert first.out == f"    pinned  hello  {url} hello 1.0.0\n"
        second = run_cli(capsys, "charts", "pull", str(repo))
        assert second.out == f"  verified  hello  {url} hello 1.0.0\n"
        (repo / "charts" / "hello-1.0.0.tgz").unlink()
        third = run_cli(capsys, "charts", "pull", str(repo))
        assert third.out == f"downloaded  hello  {url} hello 1.0.0\n"
    lock = (repo / "charts.lock").read_text()
    assert "archive: charts/hello-1.0.0.tgz\n" in lock
    rendered = run_cli(capsys, "render", str(repo), "-c", "local")
    assert rendered.code == 0, rendered.err
    assert "name: hello-settings\n  namespace: hello\n" in rendered.out
    assert "greeting: hello\n" in rendered.out


@pytest.mark.tools
def test_a_changed_upstream_archive_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    upstream = _upstream(tmp_path)
    with serve(upstream) as url:
        index(upstream, url)
        repo = _repo_using(tmp_path, url)
        assert run_cli(capsys, "charts", "pull", str(repo)).code == 0
        pinned = (repo / "charts.lock").read_text()
        (repo / "charts" / "hello-1.0.0.tgz").unlink()
        _upstream(tmp_path, greeting="changed")  # same name and version, other bytes
        index(upstream, url)
        result = run_cli(capsys, "charts", "pull", str(repo))
    assert result.code == 1
    assert "now has sha256" in result.err
    assert "the upstream archive changed since it was pinned" in result.err
    assert (repo / "charts.lock").read_text() == pinned
    assert not (repo / "charts" / "hello-1.0.0.tgz").exists()


@pytest.mark.tools
def test_render_refuses_an_unpinned_a_missing_and_a_tampered_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    upstream = _upstream(tmp_path)
    with serve(upstream) as url:
        index(upstream, url)
        repo = _repo_using(tmp_path, url)
        unpinned = run_cli(capsys, "render", str(repo), "-c", "local")
        assert unpinned.code == 1
        assert unpinned.err.splitlines()[:2] == [
            f"platform.yaml:16:5: component `hello`: chart {url} hello 1.0.0 is not pinned in charts.lock",
            "  hint: run `dockyard charts pull` and commit charts/ and charts.lock",
        ]
        assert run_cli(capsys, "charts", "pull", str(repo)).code == 0
    archive = repo / "charts" / "hello-1.0.0.tgz"
    good = archive.read_bytes()
    archive.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    tampered = run_cli(capsys, "render", str(repo), "-c", "local")
    assert tampered.code == 1
    assert tampered.err.startswith("charts.lock:4:3: component `hello`: charts/hello-1.0.0.tgz has sha256 ")
    assert ", but charts.lock pins " in tampered.err
    archive.unlink()
    missing = run_cli(capsys, "render", str(repo), "-c", "local")
    assert missing.err.startswith("charts.lock:4:3: component `hello`: chart archive charts/hello-1.0.0.tgz is missing")
    replace(repo, "platform.yaml", "version: 1.0.0", "version: 1.0.1")
    moved = run_cli(capsys, "render", str(repo), "-c", "local")
    assert moved.err.startswith(
        f"charts.lock:4:3: component `hello`: charts.lock pins {url} hello 1.0.0, but the component asks for "
        f"{url} hello 1.0.1"
    )


@pytest.mark.tools
def test_an_unreachable_repository_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _repo_using(tmp_path, "http://127.0.0.1:9")
    result = run_cli(capsys, "charts", "pull", str(repo))
    assert result.code == 1
    assert result.err.startswith("error: could not pull:\n`hello`: http://127.0.0.1:9 hello 1.0.0: ")
    assert "connection refused" in result.err
    assert "Traceback" not in result.err


@pytest.mark.tools
def test_verify_and_tidy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    upstream = _upstream(tmp_path)
    with serve(upstream) as url:
        index(upstream, url)
        repo = _repo_using(tmp_path, url)
        assert run_cli(capsys, "charts", "pull", str(repo)).code == 0
        verified = run_cli(capsys, "charts", "verify", str(repo))
        assert (verified.code, verified.out) == (0, "verified: 1 charts match charts.lock\n")
        replace(repo, "platform.yaml", "  hello:\n", "  hello:\n    enabled: false\n")
        tidied = run_cli(capsys, "charts", "pull", str(repo))
    assert tidied.code == 0, tidied.err
    assert tidied.out == "   removed  hello  no longer used by any cluster\n"
    assert not (repo / "charts" / "hello-1.0.0.tgz").exists()
    assert "hello" not in (repo / "charts.lock").read_text()


@pytest.mark.tools
def test_a_new_version_replaces_the_old_archive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    upstream = _upstream(tmp_path)
    newer = make_chart(tmp_path / "newer", "hello", "1.0.1", templates={"cm.yaml": CONFIGMAP})
    package(newer, upstream)
    with serve(upstream) as url:
        index(upstream, url)
        repo = _repo_using(tmp_path, url)
        assert run_cli(capsys, "charts", "pull", str(repo)).code == 0
        replace(repo, "platform.yaml", "version: 1.0.0", "version: 1.0.1")
        bumped = run_cli(capsys, "charts", "pull", str(repo))
    assert bumped.out == f"    pinned  hello  {url} hello 1.0.1\n"
    assert sorted(p.name for p in (repo / "charts").iterdir()) == ["hello-1.0.1.tgz"]


@pytest.mark.parametrize(
    ("lock_text", "message"),
    [
        ("charts: [\n", "charts.lock:2:1: "),
        ("charts: []\n", "charts.lock:1:1: charts.lock has no `charts` mapping\n  hint: run `dockyard charts pull`"),
        (
            "charts:\n  hello: {version: 1.0.0}\n",
            "charts.lock:2:3: charts.lock entry `hello` lacks archive, sha256, version or kind\n"
            "  hint: run `dockyard charts pull` to write it again",
        ),
    ],
)
def test_a_broken_charts_lock_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lock_text: str, message: str
) -> None:
    repo = _repo_using(tmp_path, "http://127.0.0.1:9")
    (repo / "charts.lock").write_text(lock_text)
    result = run_cli(capsys, "render", str(repo), "-c", "local")
    assert result.code == 1
    assert result.err.startswith(message)
    assert "Traceback" not in result.err


@pytest.mark.tools
def test_a_missing_helm_says_how_to_build_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    upstream = _upstream(tmp_path)
    with serve(upstream) as url:
        index(upstream, url)
        repo = _repo_using(tmp_path, url)
        assert run_cli(capsys, "charts", "pull", str(repo)).code == 0
    monkeypatch.setenv("DOCKYARD_HELM", str(tmp_path / "no-helm"))
    result = run_cli(capsys, "render", str(repo), "-c", "local")
    assert result.code == 1
    assert result.err.startswith(
        "platform.yaml:16:5: component `hello`: helm template failed: "
        f"helm is not installed at {tmp_path / 'no-helm'}; run `dockyard localcluster build helm`"
    )


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (
            ["render", "REPO", "-c", "local", "--only", "all-of-it"],
            "--only must be one of all, platform, services, not `all-of-it`",
        ),
        (
            ["policies", "export", "REPO", "-c", "local", "-o", "out"],
            "say which format: --gatekeeper (the only one so far)",
        ),
    ],
)
def test_usage_errors(capsys: pytest.CaptureFixture[str], command: list[str], message: str) -> None:
    from tests.helpers import EXAMPLES

    result = run_cli(capsys, *(str(EXAMPLES / "shop") if part == "REPO" else part for part in command))
    assert (result.code, result.err) == (2, f"error: {message}\n")


def _pulled(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    upstream = _upstream(tmp_path)
    with serve(upstream) as url:
        index(upstream, url)
        repo = _repo_using(tmp_path, url)
        assert run_cli(capsys, "charts", "pull", str(repo)).code == 0
    return repo


def _moved_out(repo: Path, relative: str) -> Path:
    """`relative` moves next to the repo and a symlink to it takes its place."""
    outside = repo.parent / ("outside-" + relative.replace("/", "-"))
    shutil.move(repo / relative, outside)
    (repo / relative).symlink_to(outside)
    return outside


@pytest.mark.tools
def test_a_charts_lock_outside_the_repo_is_not_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _pulled(tmp_path, capsys)
    _moved_out(repo, "charts.lock")
    for command in (["render", str(repo), "-c", "local"], ["charts", "verify", str(repo)]):
        result = run_cli(capsys, *command)
        assert (result.code, result.err.splitlines()[:2]) == (
            1,
            [
                "charts.lock:1:1: `charts.lock` resolves outside the platform repo",
                "  hint: files must live inside the repo; replace the symlink or `..` path with a real file",
            ],
        )


@pytest.mark.parametrize("moved", ["charts", "charts/hello-1.0.0.tgz"])
@pytest.mark.tools
def test_a_chart_archive_outside_the_repo_is_not_read(
    moved: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _pulled(tmp_path, capsys)
    _moved_out(repo, moved)
    result = run_cli(capsys, "charts", "verify", str(repo))
    assert (result.code, result.err.splitlines()[0]) == (
        1,
        "charts.lock:4:3: component `hello`: chart archive charts/hello-1.0.0.tgz resolves outside the platform repo",
    )


@pytest.mark.tools
def test_pull_never_writes_or_deletes_through_a_symlinked_charts_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _pulled(tmp_path, capsys)
    outside = _moved_out(repo, "charts")
    (outside / "hello-1.0.0.tgz").unlink()
    result = run_cli(capsys, "charts", "pull", str(repo))
    assert result.code == 1
    assert result.err.startswith(
        "error: could not pull:\n`charts/` resolves outside the platform repo; Dockyard writes charts only inside "
        "the platform repo"
    )
    assert list(outside.iterdir()) == []
