"""Teams as a boundary, judged by the real API server's authorizer: the plain repo with two teams
(each service its own), applied with `teams` and `platformAdmins` set; then, for every group x
namespace x action, a SubjectAccessReview asks RBAC whether a member may (the answer the API
server gives a signed-in person of that group)."""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from lightkube import Client
from lightkube.core.exceptions import ApiError
from lightkube.models.authorization_v1 import ResourceAttributes, SubjectAccessReviewSpec
from lightkube.resources.authorization_v1 import SubjectAccessReview
from lightkube.resources.core_v1 import LimitRange, Namespace, ResourceQuota

from dockyard.localcluster import control_plane
from tests.cluster.commands import dockyard
from tests.helpers import replace, write

PLAIN = Path(__file__).parent / "repos" / "plain"


@pytest.fixture
def teams(tmp_path: Path, api: Client) -> Iterator[tuple[Path, str, str]]:
    """The plain repo: service api in team `<a>`, client in team `<b>`, each with its groups."""
    a, b = f"ta{uuid.uuid4().hex[:8]}", f"tb{uuid.uuid4().hex[:8]}"
    root = tmp_path / "repo"
    shutil.copytree(PLAIN, root)
    replace(root, "platform.yaml", "name: plain", f"name: {a}")
    replace(root, "platform.yaml", "team: plain", f"team: {a}")
    settings = f"apiVersion: dockyard.dev/v1alpha1\nkind: ServiceSettings\nteam: {b}\n"
    write(root, "services/client/dockyard.yaml", settings)
    with (root / "services" / "api" / "dockyard.yaml").open("a") as api_settings:
        api_settings.write(f"callers: [{b}]\n")  # client, of team b, depends on api
    with (root / "platform.yaml").open("a") as platform:
        platform.write(
            "teams:\n"
            f"  {a}:\n    editors: [{a}-developers]\n    viewers: [support]\n"
            "    quota: {pods: '20', limits.memory: 8Gi}\n"
            "    limits: {default: {memory: 128Mi}, defaultRequest: {cpu: 50m, memory: 64Mi}}\n"
            f"  {b}:\n    editors: [{b}-developers]\n"
            f"platformAdmins: [{a}-platform-admins]\n"
        )
    yield root, a, b
    for namespace in (a, b):
        with contextlib.suppress(ApiError):
            api.delete(Namespace, namespace)


def _may(api: Client, group: str, verb: str, resource: str, namespace: str | None, api_group: str = "") -> bool:
    review = SubjectAccessReview(
        spec=SubjectAccessReviewSpec(
            user=f"someone-of-{group}",
            groups=[group, "system:authenticated"],
            resourceAttributes=ResourceAttributes(verb=verb, resource=resource, namespace=namespace, group=api_group),
        )
    )
    answer = api.create(review)
    return bool(answer.status and answer.status.allowed)


def test_each_team_edits_its_own_namespaces_only_and_admins_everything(
    teams: tuple[Path, str, str], local_cluster: control_plane.Running, api: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    root, a, b = teams
    applied = dockyard(capsys, local_cluster, "apply", str(root), "-c", "local", "--yes", "--timeout", "120")
    assert applied.code == 0, applied.err
    assert api.get(ResourceQuota, "team-quota", namespace=a).spec.hard == {"pods": "20", "limits.memory": "8Gi"}
    assert api.get(LimitRange, "team-limits", namespace=a).spec.limits[0].default == {"memory": "128Mi"}

    actions = [
        ("create", "deployments", "apps"),
        ("delete", "services", ""),
        ("get", "secrets", ""),
        ("list", "pods", ""),
    ]
    matrix = {}
    for group in (f"{a}-developers", f"{b}-developers", "support", f"{a}-platform-admins", "nobody"):
        for namespace in (a, b, "kube-system"):
            for verb, resource, api_group in actions:
                matrix[(group, namespace, verb, resource)] = _may(api, group, verb, resource, namespace, api_group)
    expected = {}
    for group, namespace, verb, resource in matrix:
        if group == f"{a}-platform-admins":
            allowed = True
        elif group == f"{a}-developers":
            allowed = namespace == a
        elif group == f"{b}-developers":
            allowed = namespace == b
        elif group == "support":  # view in team a: reads, but never Secrets, and changes nothing
            allowed = namespace == a and verb in ("get", "list") and resource != "secrets"
        else:
            allowed = False
        expected[(group, namespace, verb, resource)] = allowed
    wrong = {key: value for key, value in matrix.items() if value != expected[key]}
    assert wrong == {}, wrong
    for group in (f"{a}-developers", f"{b}-developers", "support"):  # nobody but admins changes the cluster's scope
        assert not _may(api, group, "delete", "namespaces", None)
        assert not _may(api, group, "create", "clusterrolebindings", None, "rbac.authorization.k8s.io")
    assert _may(api, f"{a}-platform-admins", "delete", "namespaces", None)
