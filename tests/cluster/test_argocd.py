"""The Applications `render --argocd` writes, checked by the real API server against Argo CD's own
Application CRD at the version the argo-cd component pins."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from dockyard.deploy.client import Connection, ObjectError
from dockyard.localcluster import control_plane
from tests.helpers import copy_example, ensure_namespace, run_cli
from tests.peers import argocd_crd

pytestmark = pytest.mark.tools


def _until_established(connection: Connection, crd: dict, seconds: float = 60) -> None:
    """The API server serves a new CRD's kind once it is Established (not at once)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        live = connection.get(crd) or {}
        conditions = live.get("status", {}).get("conditions", [])
        if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
            connection.refresh_kinds()
            return
        time.sleep(0.2)
    raise AssertionError(f"{crd['metadata']['name']} was not Established within {seconds:.0f} s")


def test_the_applications_are_valid_for_argo_cds_crd(
    tmp_path: Path, local_cluster: control_plane.Running, capsys: pytest.CaptureFixture[str]
) -> None:
    from dockyard.localcluster import readiness

    connection = Connection(Path(local_cluster.kubeconfig), local_cluster.context)
    crd = argocd_crd()
    assert not isinstance(connection.apply(crd, force=True), ObjectError)
    ensure_namespace(readiness.client(local_cluster.kubeconfig), "argocd")
    _until_established(connection, crd)
    repo = copy_example(tmp_path)
    shown = run_cli(
        capsys, "render", str(repo), "-c", "local", "--argocd", "--repo-url", "https://git.example.org/p.git"
    )
    apps = list(yaml.safe_load_all(shown.out))
    assert len(apps) == 5
    for app in apps:
        result = connection.apply(app, dry_run=True)
        assert not isinstance(result, ObjectError), result
        assert result["spec"]["source"]["plugin"]["env"][1]["value"] == app["metadata"]["labels"]["dockyard.dev/stage"]
    broken = {**apps[0], "spec": {**apps[0]["spec"], "syncPolicy": {"automated": {"prune": "always"}}}}
    refused = connection.apply(broken, dry_run=True)
    assert isinstance(refused, ObjectError) and "prune" in refused.message  # the CRD's schema is in force
