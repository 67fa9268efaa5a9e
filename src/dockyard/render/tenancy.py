"""Teams as a boundary in the cluster: in each of a team's namespaces, its editor groups get the
cluster role `edit` and its viewer groups `view` (nothing outside them), a ResourceQuota and a
LimitRange from the layers' `teams.<name>`; the platform's admin groups get `cluster-admin`.

Groups are named as the API server names them from the sign-in's token (its OIDC groups claim,
with the prefix the cluster's authentication adds, if any): RBAC only binds names."""

from __future__ import annotations

from typing import Any

from dockyard.model.settings import Team
from dockyard.render import platform_names
from dockyard.render.bundle import obj

RBAC = "rbac.authorization.k8s.io"


def team_objects(namespace: str, team: Team) -> list[dict[str, Any]]:
    objects = []
    for role, groups in (("edit", team.editors), ("view", team.viewers)):
        if groups:
            objects.append(_binding("RoleBinding", f"team-{role}", namespace, role, groups))
    if team.quota:
        objects.append(obj("v1", "ResourceQuota", "team-quota", namespace, spec={"hard": dict(team.quota)}))
    if team.limits:
        limit = {"type": "Container", **{key: dict(value) for key, value in sorted(team.limits.items())}}
        objects.append(obj("v1", "LimitRange", "team-limits", namespace, spec={"limits": [limit]}))
    return objects


def console_bindings(namespace: str) -> list[dict[str, Any]]:
    """The in-cluster console may read a team's namespace (`view`: no Secrets) and run its jobs."""
    account_namespace, account = platform_names.CONSOLE_SERVICE_ACCOUNT
    subjects = [{"kind": "ServiceAccount", "name": account, "namespace": account_namespace}]
    return [
        obj(
            f"{RBAC}/v1",
            "RoleBinding",
            f"{account}-{role}",
            namespace,
            roleRef={"apiGroup": RBAC, "kind": "ClusterRole", "name": cluster_role},
            subjects=subjects,
        )
        for role, cluster_role in (("view", "view"), ("jobs", platform_names.CONSOLE_JOBS_ROLE))
    ]


def admin_binding(groups: tuple[str, ...]) -> dict[str, Any]:
    return _binding("ClusterRoleBinding", "dockyard-platform-admins", None, "cluster-admin", groups)


def _binding(kind: str, name: str, namespace: str | None, role: str, groups: tuple[str, ...]) -> dict[str, Any]:
    return obj(
        f"{RBAC}/v1",
        kind,
        name,
        namespace,
        roleRef={"apiGroup": RBAC, "kind": "ClusterRole", "name": role},
        subjects=[{"apiGroup": RBAC, "kind": "Group", "name": group} for group in dict.fromkeys(groups)],
    )
