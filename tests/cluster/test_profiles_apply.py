"""The `full` and `complete` profiles apply to the real local control plane, in stage order, with
every check on (schemas, policies, wiring, versions, contracts): the example shop with every
component, their charts the real pinned ones where this machine can pull them and stand-ins with
the real charts' names and ports elsewhere; Keycloak's tasks against a real Keycloak.

They run on a control plane of their own, so the other cluster tests find the session's cluster
as they expect it (the dev-fast apply test creates what these would leave behind)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Secret

from dockyard.localcluster import control_plane, readiness
from tests.cluster.commands import dockyard, writes_during
from tests.helpers import ensure_namespace, replace, run_cli
from tests.standin_charts import complete_repo


@pytest.fixture(scope="module")
def profiles_cluster(
    local_cluster: control_plane.Running, keycloak_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[control_plane.Running]:
    """A second control plane, holding the Keycloak admin Secret the session's Keycloak was started
    with (the ensure-secret task keeps a value that exists)."""
    home = tmp_path_factory.mktemp("profiles-home")
    admin = readiness.client(local_cluster.kubeconfig).get(Secret, "keycloak-admin", namespace="dockyard-identity")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DOCKYARD_HOME", str(home))
        running = control_plane.up("pytest-profiles", 2, die_with_parent=True, user_kubeconfig=False)
        try:
            api = readiness.client(running.kubeconfig)
            ensure_namespace(api, "dockyard-identity")
            copy = Secret(metadata=ObjectMeta(name="keycloak-admin", namespace="dockyard-identity"), data=admin.data)
            api.create(copy)
            yield running
        finally:
            control_plane.down("pytest-profiles", purge=True)


@pytest.mark.parametrize("profile", ["full", "complete"])
def test_a_profile_applies_in_stage_order_and_then_writes_nothing(
    profile: str,
    tmp_path: Path,
    local_cluster: control_plane.Running,
    profiles_cluster: control_plane.Running,
    keycloak_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo, _standins = complete_repo(tmp_path)
    replace(repo, "environments/dev.yaml", "profile: complete", f"profile: {profile}")
    replace(repo, "platform.yaml", "name: shop", f"name: shop-{profile}")  # an inventory of its own
    replace(repo, "clusters/local.yaml", "gateway:\n", f"identity:\n  adminUrl: {keycloak_url}\ngateway:\n")
    checked = run_cli(capsys, "check", str(repo), "-c", "local")
    assert checked.out.splitlines()[-1].startswith("check: 0 deny"), checked.out + checked.err
    first = dockyard(capsys, profiles_cluster, "apply", str(repo), "-c", "local", "--yes", "--timeout", "120")
    assert first.code == 0, first.err
    progress = [line for line in first.err.splitlines() if line.startswith("applying ")]
    groups = [line.split(" ", 4)[-1] for line in progress]
    order = ["CRDs", "namespaces", "cluster-scoped objects", "stage platform-networking"]
    assert [g for g in groups if g in order] == order
    assert "task keycloak-client orders:" in first.err and "task keycloak-client payments:" in first.err
    again: dict = {}
    writes = writes_during(
        profiles_cluster,
        lambda: again.update(r=dockyard(capsys, profiles_cluster, "apply", str(repo), "-c", "local", "--yes")),
    )
    assert again["r"].code == 0, again["r"].err
    assert writes == []
    if profile == "complete":
        _kinds_stay_with_their_cluster(local_cluster)


def _kinds_stay_with_their_cluster(other: control_plane.Running) -> None:
    """This process has now seen Istio's kinds on this cluster; the session's cluster has no Istio,
    and a connection to it must say so, not send an AuthorizationPolicy to a path it does not serve
    (that was an unexplained HTTP 404, exit 70)."""
    from dockyard.deploy.client import Connection, ObjectError

    policy = {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": "x", "namespace": "default"},
        "spec": {},
    }
    result = Connection(other.kubeconfig, other.context).apply(policy, dry_run=True)
    assert isinstance(result, ObjectError) and result.reason == "unknown-kind", result
