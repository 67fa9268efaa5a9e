"""Charts and manifests from a tagged Go module, through a Go module proxy on loopback: the h1
hash Dockyard records is the one the go command itself computes."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.charts import crd, platform_repo, serve
from tests.helpers import run_cli

MODULE = "example.com/bundles"
VERSION = "v1.2.3"
WIDGETS = (
    f"  widgets:\n    chart: {{gomodule: {MODULE}, version: {VERSION}, path: deploy/crds, name: widgets, "
    "kind: manifests}\n    namespace: widgets\n    stage: platform-services\n"
)
"""The component the tests pull: the module's CRD directory as manifests."""


def _proxy(root: Path, go_mod: str = f"module {MODULE}\n") -> Path:
    """A GOPROXY directory serving MODULE@VERSION: a go.mod, a CRD bundle and an unrelated file."""
    import yaml

    files = {
        "go.mod": go_mod,
        "deploy/crds/widgets.yaml": yaml.safe_dump(crd("example.com", "Widget", "widgets")),
        "deploy/crds/README.md": "not YAML, not an object\n",
        "cmd/main.go": "package main\n",
    }
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for name, text in files.items():
            archive.writestr(f"{MODULE}@{VERSION}/{name}", text)
    where = root / MODULE / "@v"
    where.mkdir(parents=True)
    (where / f"{VERSION}.zip").write_bytes(data.getvalue())
    (where / f"{VERSION}.mod").write_text(files["go.mod"])
    (where / f"{VERSION}.info").write_text(json.dumps({"Version": VERSION, "Time": "2026-01-01T00:00:00Z"}))
    (where / "list").write_text(VERSION + "\n")
    return root


@pytest.fixture(autouse=True)
def _private_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The go command Dockyard runs reads its configuration from the environment: a module cache of
    the test's own, and no checksum database (the test module exists only on loopback)."""
    monkeypatch.setenv("GOSUMDB", "off")
    monkeypatch.setenv("GOMODCACHE", str(tmp_path / "dockyard-modcache"))
    monkeypatch.setenv("GOFLAGS", "-modcacherw")
    monkeypatch.setenv("GOTOOLCHAIN", "local")


def _go_sum(url: str, tmp_path: Path) -> str:
    """What `go mod download` says the module's hash is."""
    env = {
        **os.environ,
        "GOPROXY": url,
        "GOSUMDB": "off",
        "GOFLAGS": "-modcacherw",
        "GOMODCACHE": str(tmp_path / "modcache"),
        "GOTOOLCHAIN": "local",
    }
    done = subprocess.run(
        [shutil.which("go") or "go", "mod", "download", "-json", f"{MODULE}@{VERSION}"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)["Sum"]


@pytest.mark.tools
def test_a_go_module_directory_is_pinned_with_the_go_commands_own_hash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(_proxy(tmp_path / "proxy")) as url:
        monkeypatch.setenv("GOPROXY", url)
        repo = platform_repo(tmp_path / "platform", WIDGETS)
        pulled = run_cli(capsys, "charts", "pull", str(repo))
        assert pulled.code == 0, pulled.err
        expected = _go_sum(url, tmp_path)
    lock = (repo / "charts.lock").read_text()
    assert f"originDigest: {expected}\n" in lock
    rendered = run_cli(capsys, "render", str(repo), "-c", "local", "--output", str(tmp_path / "out"))
    assert rendered.code == 0, rendered.err
    files = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*.yaml"))
    assert files == ["1-crds/_cluster/customresourcedefinition-widgets.example.com.yaml"]


@pytest.mark.tools
def test_a_module_that_asks_for_a_newer_go_is_still_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Argo CD's module asks for a newer Go than this machine's: the go command fetches and verifies
    it, then objects that it cannot build it. Dockyard builds nothing, so it reads the files."""
    with serve(_proxy(tmp_path / "proxy", f"module {MODULE}\n\ngo 1.99.0\n")) as url:
        monkeypatch.setenv("GOPROXY", url)
        repo = platform_repo(tmp_path / "platform", WIDGETS)
        pulled = run_cli(capsys, "charts", "pull", str(repo))
    assert pulled.code == 0, pulled.err
    assert "originDigest: h1:" in (repo / "charts.lock").read_text()


@pytest.mark.tools
def test_packing_is_deterministic_so_a_second_pull_matches_the_pin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(_proxy(tmp_path / "proxy")) as url:
        monkeypatch.setenv("GOPROXY", url)
        repo = platform_repo(
            tmp_path / "platform",
            f"  widgets:\n    chart: {{gomodule: {MODULE}, version: {VERSION}, path: deploy/crds/widgets.yaml, "
            "name: widgets, kind: manifests}\n    namespace: widgets\n    stage: platform-services\n",
        )
        assert run_cli(capsys, "charts", "pull", str(repo)).code == 0
        (repo / "charts" / f"widgets-{VERSION}.tgz").unlink()
        again = run_cli(capsys, "charts", "pull", str(repo))
    assert again.code == 0, again.err
    assert again.out.startswith("downloaded  widgets  go module example.com/bundles@v1.2.3/deploy/crds/widgets.yaml")


@pytest.mark.tools
def test_a_path_the_module_does_not_have_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(_proxy(tmp_path / "proxy")) as url:
        monkeypatch.setenv("GOPROXY", url)
        repo = platform_repo(
            tmp_path / "platform",
            f"  widgets:\n    chart: {{gomodule: {MODULE}, version: {VERSION}, path: deploy/nothing, name: widgets, "
            "kind: manifests}\n    namespace: widgets\n    stage: platform-services\n",
        )
        result = run_cli(capsys, "charts", "pull", str(repo))
    assert result.code == 1
    assert result.err.splitlines()[1] == (
        f"`widgets`: go module {MODULE}@{VERSION}/deploy/nothing: {MODULE}@{VERSION} has no file or directory "
        "`deploy/nothing`"
    )


def test_a_dependency_left_out_leaves_chart_yaml_and_its_lock() -> None:
    """An optional subchart the upstream's release vendors, and this source cannot: Chart.yaml and
    Chart.lock lose it (the others stay); naming one the chart does not have is an error."""
    import yaml

    from dockyard.charts.gomodule import FetchFailed, select
    from dockyard.charts.source import ChartSource

    chart = {
        "apiVersion": "v2",
        "name": "app",
        "version": "1.0.0",
        "dependencies": [
            {"name": "vendored", "version": "1.0.0", "repository": "oci://example.org/c", "condition": "v.enabled"},
            {"name": "kept", "version": "2.0.0", "repository": "https://example.org/charts"},
        ],
    }
    lock = {"dependencies": chart["dependencies"], "digest": "sha256:0", "generated": "2026-01-01T00:00:00Z"}
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr(f"{MODULE}@{VERSION}/deploy/app/Chart.yaml", yaml.safe_dump(chart))
        archive.writestr(f"{MODULE}@{VERSION}/deploy/app/Chart.lock", yaml.safe_dump(lock))
        archive.writestr(f"{MODULE}@{VERSION}/deploy/app/values.yaml", "v: {enabled: false}\n")
    source = ChartSource("app", VERSION, gomodule=MODULE, path="deploy/app", without=("vendored",))
    files = select(data.getvalue(), source)
    for name in ("Chart.yaml", "Chart.lock"):
        written = yaml.safe_load(files[f"app/{name}"])
        assert [d["name"] for d in written["dependencies"]] == ["kept"], name
    assert yaml.safe_load(files["app/Chart.yaml"])["name"] == "app"
    with pytest.raises(FetchFailed, match=r"the chart has no dependency absent to leave out$"):
        select(data.getvalue(), ChartSource("app", VERSION, gomodule=MODULE, path="deploy/app", without=("absent",)))
