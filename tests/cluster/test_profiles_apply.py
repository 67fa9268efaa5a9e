"""The `full` and `complete` profiles apply to the real local control plane, in stage order, with
every check on (schemas, policies, wiring, versions, contracts): the example shop with every
component, their charts the real pinned ones where this machine can pull them and stand-ins with
the real charts' names and ports elsewhere; Keycloak's tasks against a real Keycloak."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.localcluster import control_plane
from tests.cluster.test_deploy import dockyard, writes_during
from tests.helpers import replace, run_cli
from tests.standin_charts import complete_repo


@pytest.mark.parametrize("profile", ["full", "complete"])
def test_a_profile_applies_in_stage_order_and_then_writes_nothing(
    profile: str,
    tmp_path: Path,
    local_cluster: control_plane.Running,
    keycloak_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo, _standins = complete_repo(tmp_path)
    replace(repo, "environments/dev.yaml", "profile: complete", f"profile: {profile}")
    replace(repo, "platform.yaml", "name: shop", f"name: shop-{profile}")  # an inventory of its own
    replace(repo, "clusters/local.yaml", "gateway:\n", f"identity:\n  adminUrl: {keycloak_url}\ngateway:\n")
    checked = run_cli(capsys, "check", str(repo), "-c", "local")
    assert checked.out.splitlines()[-1].startswith("check: 0 deny"), checked.out + checked.err
    first = dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes", "--timeout", "120")
    assert first.code == 0, first.err
    progress = [line for line in first.err.splitlines() if line.startswith("applying ")]
    groups = [line.split(" ", 4)[-1] for line in progress]
    order = ["CRDs", "namespaces", "cluster-scoped objects", "stage platform-networking"]
    assert [g for g in groups if g in order] == order
    assert "task keycloak-client orders:" in first.err and "task keycloak-client payments:" in first.err
    again: dict = {}
    writes = writes_during(
        local_cluster,
        lambda: again.update(r=dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes")),
    )
    assert again["r"].code == 0, again["r"].err
    assert writes == []
