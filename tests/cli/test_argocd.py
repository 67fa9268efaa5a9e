"""Argo CD as the syncer: the Config Management Plugin, run as Argo CD's CMP server runs it, and
one Application per stage in Dockyard's stage order."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dockyard import __version__
from tests.helpers import copy_example, run_cli

pytestmark = pytest.mark.tools  # rendering the example runs helm for its components


def test_the_plugin_renders_a_stage_as_argo_cds_cmp_server_runs_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CMP server (argo-cd's cmpserver) runs spec.generate.command followed by its args in the
    application's directory, with each Application plugin env as ARGOCD_ENV_<name>, and reads
    manifests from stdout; it offers the plugin to repos where spec.discover.fileName exists."""
    repo = copy_example(tmp_path)
    shown = run_cli(capsys, "argocd", "plugin")
    plugin = yaml.safe_load(shown.out)
    assert (plugin["kind"], plugin["metadata"]["name"], plugin["spec"]["version"]) == (
        "ConfigManagementPlugin",
        "dockyard",
        f"v{__version__}",
    )
    assert (repo / plugin["spec"]["discover"]["fileName"]).is_file()
    generate = plugin["spec"]["generate"]
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "ARGOCD_APP_NAME": "shop-local-services",
        "ARGOCD_ENV_CLUSTER": "local",
        "ARGOCD_ENV_STAGE": "services",
        **{k: v for k, v in os.environ.items() if k.startswith(("XDG_", "DOCKYARD_", "UV_"))},
    }
    done = subprocess.run(
        [*generate["command"], *generate["args"]], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    expected = run_cli(capsys, "render", str(repo), "-c", "local", "--stage", "services")
    assert done.stdout == expected.out
    objects = list(yaml.safe_load_all(done.stdout))
    assert objects and {o["metadata"]["annotations"]["dockyard.dev/stage"] for o in objects} == {"services"}


def test_one_application_per_stage_in_stage_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_example(tmp_path)
    url = "https://git.example.org/platform.git"
    shown = run_cli(capsys, "render", str(repo), "-c", "local", "--argocd", "--repo-url", url, "--revision", "main")
    assert shown.code == 0, shown.err
    apps = list(yaml.safe_load_all(shown.out))
    assert [(a["metadata"]["name"], a["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) for a in apps] == [
        ("shop-local-crds", "0"),
        ("shop-local-platform-networking", "1"),
        ("shop-local-platform-services", "2"),
        ("shop-local-namespaces", "3"),
        ("shop-local-services", "4"),
    ]
    source = apps[-1]["spec"]["source"]
    assert source == {
        "repoURL": url,
        "targetRevision": "main",
        "path": ".",
        "plugin": {
            "name": f"dockyard-v{__version__}",
            "env": [{"name": "CLUSTER", "value": "local"}, {"name": "STAGE", "value": "services"}],
        },
    }
    refused = run_cli(capsys, "render", str(repo), "-c", "local", "--argocd")
    assert (refused.code, refused.err.strip()) == (
        2,
        "error: --argocd needs --repo-url (the Applications name the repo) and writes to stdout (no -o)",
    )
    bad = run_cli(capsys, "render", str(repo), "-c", "local", "--stage", "later")
    assert bad.err.strip() == (
        "error: --stage must be one of crds, platform-networking, platform-services, namespaces, services, not `later`"
    )
