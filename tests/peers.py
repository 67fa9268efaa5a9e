"""Peer tools the tests and benchmarks compare Dockyard with, installed into the cache outside the repo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from dockyard.locations import cache as dockyard_cache

KUBECONFORM = ("github.com/yannh/kubeconform/cmd/kubeconform", "v0.8.0")
CONFTEST = ("github.com/open-policy-agent/conftest", "v0.71.1")
"""conftest evaluates Rego with OPA itself, the engine Gatekeeper embeds."""
SCORE_GO = ("github.com/score-spec/score-go", "v1.15.0")
"""Score's reference Go library: it holds the official JSON Schema of score.dev/v1b1."""
OAUTH2_PROXY = ("github.com/oauth2-proxy/oauth2-proxy/v7", "v7.8.1")
"""The version oauth2-proxy's chart 7.12.0 (the platform's pin) runs (its appVersion)."""
PROMTOOL = ("github.com/prometheus/prometheus/cmd/promtool", "v0.316.0")
"""Prometheus 3.16's promtool (the module's v0.316.0): its parser judges the dashboards' PromQL."""
SOPS = ("github.com/getsops/sops/v3/cmd/sops", "v3.13.3")
"""The secrets files' format is sops'; the release Dockyard's writer was checked against."""
GITEA = ("code.gitea.io/gitea", "v1.26.0")
"""A real forge for the console's pull requests (Gitea's API is Forgejo's, and GitHub's for them)."""


def tool_bin() -> Path:
    return dockyard_cache() / "test-tools" / "bin"


def _go_tool(name: str, module: tuple[str, str]) -> Path:
    """A tool built from its Go module once into the cache (scripts/test builds them before the tests)."""
    binary = tool_bin() / name
    if not binary.is_file():
        package, version = module
        env = {**os.environ, "GOBIN": str(tool_bin()), "GOFLAGS": "-mod=mod"}
        subprocess.run(["go", "install", f"{package}@{version}"], env=env, check=True, capture_output=True)
    return binary


def kubeconform() -> Path:
    return _go_tool("kubeconform", KUBECONFORM)


def conftest() -> Path:
    return _go_tool("conftest", CONFTEST)


def oauth2_proxy() -> Path:
    return _go_tool("oauth2-proxy", OAUTH2_PROXY)


def promtool() -> Path:
    return _go_tool("promtool", PROMTOOL)


def sops() -> Path:
    return _go_tool("sops", SOPS)


def gitea() -> tuple[Path, Path]:
    """Gitea's binary and its source tree (its templates and locales: a build without the bundled
    front-end reads them from there), built once from its Go module with SQLite. Its go.mod replaces
    modules, which `go install` refuses: it is built as the main module of its downloaded source."""
    module, version = GITEA
    source = tool_bin().parent / f"gitea-{version}"
    binary = tool_bin() / "gitea"
    if binary.is_file() and source.is_dir():
        return binary, source
    env = {**os.environ, "GOFLAGS": "-mod=mod"}
    done = subprocess.run(
        ["go", "mod", "download", "-json", f"{module}@{version}"], env=env, check=True, capture_output=True, text=True
    )
    downloaded = Path(json.loads(done.stdout)["Dir"])
    building = source.with_name(source.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    shutil.copytree(downloaded, building)
    for folder, _dirs, files in os.walk(building):  # the module cache's copy is read-only
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
    tool_bin().mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["go", "build", "-trimpath", "-tags", "sqlite sqlite_unlock_notify", "-o", str(binary), "."],
        cwd=building,
        env=env,
        check=True,
        capture_output=True,
    )
    shutil.rmtree(source, ignore_errors=True)
    building.rename(source)
    return binary, source


def standalone_schemas(source: Path, target: Path, names: set[str]) -> Path:
    """kubernetes-validate's schemas `names` (file stems such as deployment-apps-v1) of one version
    with the shared definitions they reach inlined, so kubeconform (which cannot follow their
    `/api/_definitions.json` references) reads the same schemas Dockyard uses."""
    definitions = json.loads((source / "_definitions.json").read_text())
    defs = definitions.get("$defs") or definitions.get("definitions") or {}
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        schema = _rewrite(json.loads((source / f"{name}.json").read_text()))
        reached: dict[str, Any] = {}
        pending = _refs(schema)
        while pending:
            ref = pending.pop()
            if ref in reached or ref not in defs:
                continue
            reached[ref] = _rewrite(defs[ref])
            pending |= _refs(reached[ref])
        schema["$defs"] = reached
        (target / f"{name}.json").write_text(json.dumps(schema))
    return target


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                found.add(value.removeprefix("#/$defs/"))
            else:
                found |= _refs(value)
    elif isinstance(node, list):
        for item in node:
            found |= _refs(item)
    return found


def _rewrite(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: ("#/$defs/" + value.split("#/$defs/", 1)[1])
            if key == "$ref" and "#/$defs/" in value
            else _rewrite(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite(item) for item in node]
    return node


def score_schema() -> dict[str, Any]:
    """The official score-v1b1.json, from the score-go module (fetched by `go mod download`)."""
    module, version = SCORE_GO
    done = subprocess.run(
        ["go", "mod", "download", "-json", f"{module}@{version}"], capture_output=True, text=True, check=False
    )
    info = json.loads(done.stdout or "{}")
    if done.returncode or "Dir" not in info:
        raise RuntimeError(f"go mod download {module}@{version}: {info.get('Error') or done.stderr.strip()}")
    schema: dict[str, Any] = json.loads((Path(info["Dir"]) / "schema" / "files" / "score-v1b1.json").read_text())
    return schema


def argocd_crd(name: str = "application-crd.yaml") -> dict[str, Any]:
    """An Argo CD CRD from the argo-cd module at the version the argo-cd component pins (fetched the
    way Dockyard fetches the component itself: charts/gomodule.py)."""
    import io
    import zipfile

    import yaml

    from dockyard.charts.gomodule import download
    from dockyard.render.components.operations import ARGO_CD

    source = ARGO_CD.source
    data, _digest = download(source)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        text = archive.read(f"{source.gomodule}@{source.version}/manifests/crds/{name}")
    crd: dict[str, Any] = yaml.safe_load(text)
    return crd
