"""The console in the cluster (`dockyard-console`): the same app `dockyard console` serves, at
console.<domain> behind the platform's gateway, signing people in with the platform's Keycloak,
switched on by `console.inCluster` in the layers.

It runs the release the sync controller runs (`sync.controller`: image, version, digest) beside
it, in its namespace, and works on a clone of the same source: it follows the branch and pushes
each change as it commits it (so it needs the git credentials to be allowed to push), and the
controller applies it. One replica: the clone and its saves are one process's.

Its access is to read, never to write what the platform applies: in each team's namespace the
cluster role `view` (no Secrets) and its jobs' runs (started from a CronJob's template, cancelled,
their logs read), bound with the team's namespace objects; beside that, the Platform objects (the
sync controller's status) and its platform's inventory. So it does not plan against the cluster
(a plan dry-runs what applying writes, which needs the controller's rights): `dockyard plan` and
the controller's status do. Its client secret and session key are Secrets a task generates; its
Keycloak client is made by a task, its tokens naming the person's groups, which the layers' `teams`
and `platformAdmins` turn into roles.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dockyard.errors import InputError, Position, Problem
from dockyard.model.platform import Platform
from dockyard.model.settings import SyncController
from dockyard.render import platform_names
from dockyard.render.bundle import Stage, TaskRequest, obj
from dockyard.render.components import controller
from dockyard.render.components.component import Component, TaskSpec, installs
from dockyard.render.components.gateway import edge_route
from dockyard.render.components.identity import sign_in_groups
from dockyard.render.provisioners.route import served_scheme
from dockyard.render.task_data import KeyValue, TaskKind

NAMESPACE, NAME = platform_names.CONSOLE_SERVICE_ACCOUNT
"""Beside the sync controller: the same release, the same source and its git credentials."""
PORT = 8400
SECRET = "dockyard-console"
"""Keys `client-secret` (its Keycloak client's) and `session-key` (signs the session cookies)."""
CLIENT = "dockyard-console"
FORGE_SECRET = "dockyard-console-forge"
"""The Secret holding the forge's token (key `token`) when `console.review` is set."""
MOUNTS = "/var/run/dockyard"
SELECTOR = {"app.kubernetes.io/name": NAME}
JOB_RULES = [
    {"apiGroups": ["batch"], "resources": ["cronjobs"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list", "watch", "create", "delete"]},
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]},
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
]
"""A job's runs: started from its CronJob's template, cancelled (with their pods), their logs read;
bound in the teams' namespaces only (render/services.py)."""


def wanted(platform: Platform) -> Position | None:
    return platform.locate(("console", "inCluster")) if platform.settings.console_in_cluster else None


def _url(platform: Platform) -> str:
    return f"{served_scheme(platform.profile)}://console.{platform.domain}"


def _settings(platform: Platform) -> SyncController:
    """The release and source it shares with the sync controller; what it needs beside it."""
    where = wanted(platform) or platform.locate(("components", NAME))
    missing = [
        what
        for what, present in (
            ("the sync controller (`sync.controller`: its release and source)", platform.settings.sync_controller),
            ("Keycloak (the `sso` feature, or the component `keycloak`)", installs(platform, "keycloak", "sso")),
            ("the edge gateway (the component `envoy-gateway`)", installs(platform, "envoy-gateway", "gateway")),
        )
        if not present
    ]
    if platform.settings.console_changes == "branch" and platform.settings.console_remote != "origin":
        raise InputError(
            [
                Problem(
                    platform.locate(("console", "changes")),
                    "in the cluster, each change's branch must be pushed (the clone is lost when its pod goes): "
                    "the console's clone has one remote, `origin`",
                    "set console.remote: origin",
                )
            ]
        )
    if missing:
        raise InputError(
            [
                Problem(
                    where,
                    f"the console in the cluster needs {' and '.join(missing)}",
                    "set them in the layers for this cluster, or run the console outside it (`dockyard console`)",
                )
            ]
        )
    settings = platform.settings.sync_controller
    assert settings is not None
    return settings


def console_objects(platform: Platform, _requests: Sequence[TaskRequest]) -> list[dict[str, Any]]:
    settings = _settings(platform)
    rbac = "rbac.authorization.k8s.io"
    status = [
        {"apiGroups": ["dockyard.dev"], "resources": ["platforms"], "verbs": ["get", "list", "watch"]},
        {  # its platform's inventory: what the last apply wrote (drift is compared with it)
            "apiGroups": [""],
            "resources": ["configmaps"],
            "verbs": ["get"],
            "resourceNames": [f"{platform.name}-{platform.cluster.name}"],
        },
    ]
    subjects = [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}]
    status_ref = {"apiGroup": rbac, "kind": "ClusterRole", "name": f"{NAME}-status"}
    return [
        obj("v1", "ServiceAccount", NAME, NAMESPACE),
        obj(f"{rbac}/v1", "ClusterRole", platform_names.CONSOLE_JOBS_ROLE, None, rules=JOB_RULES),
        obj(f"{rbac}/v1", "ClusterRole", f"{NAME}-status", None, rules=status),
        obj(f"{rbac}/v1", "ClusterRoleBinding", f"{NAME}-status", None, roleRef=status_ref, subjects=subjects),
        _deployment(platform, settings),
        obj(
            "v1",
            "Service",
            NAME,
            NAMESPACE,
            spec={"selector": dict(SELECTOR), "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
        ),
        edge_route(platform, "console", NAMESPACE, NAME, 80),
    ]


def _deployment(platform: Platform, settings: SyncController) -> dict[str, Any]:
    issuer = platform_names.keycloak_issuer(platform.domain, platform.name)
    args = ["console", "--cluster", platform.cluster.name, "--host", "0.0.0.0", "--port", str(PORT)]
    args += ["--source", settings.source, "--branch", settings.branch, "--path", settings.path]
    args += ["--workdir", "/tmp/repo", "--public-url", _url(platform)]
    args += ["--oidc-issuer", issuer, "--oidc-client-id", CLIENT]
    args += ["--oidc-client-secret-file", f"{MOUNTS}/console/client-secret"]
    args += ["--session-key-file", f"{MOUNTS}/console/session-key"]
    mounts: list[dict[str, Any]] = [
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "console", "mountPath": f"{MOUNTS}/console", "readOnly": True},
    ]
    volumes: list[dict[str, Any]] = [
        {"name": "tmp", "emptyDir": {"sizeLimit": "2Gi"}},
        {"name": "console", "secret": {"secretName": SECRET, "defaultMode": 0o440}},
    ]
    if settings.credentials:
        args += ["--credentials", f"{MOUNTS}/git"]
        mounts.append({"name": "git", "mountPath": f"{MOUNTS}/git", "readOnly": True})
        volumes.append({"name": "git", "secret": {"secretName": settings.credentials, "defaultMode": 0o440}})
    args.append("--no-plans")  # it may read, not dry-run what applying writes
    container = {
        "name": "console",
        "image": controller.image(settings),
        "args": args,
        "env": [{"name": "XDG_CACHE_HOME", "value": "/tmp/cache"}, *_forge_token(platform)],
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        **controller.runs_as_dockyard(),
        "volumeMounts": mounts,
    }
    return obj(
        "apps/v1",
        "Deployment",
        NAME,
        NAMESPACE,
        spec={
            "replicas": 1,
            "selector": {"matchLabels": dict(SELECTOR)},
            "strategy": {"type": "Recreate"},  # never two clones saving at once
            "template": {
                "metadata": {"labels": dict(SELECTOR)},
                "spec": {
                    "serviceAccountName": NAME,
                    "securityContext": controller.pod_security(),
                    "containers": [container],
                    "volumes": volumes,
                },
            },
        },
    )


def _forge_token(platform: Platform) -> list[dict[str, Any]]:
    """The forge's token (`console.review`) from the Secret FORGE_SECRET, which the platform team
    makes from the repo's encrypted secrets (`components.dockyard-console.secrets`)."""
    forge = platform.settings.console_review
    if forge is None:
        return []
    ref = {"name": FORGE_SECRET, "key": "token"}
    return [{"name": forge.token_env, "valueFrom": {"secretKeyRef": ref}}]


def console_tasks(platform: Platform) -> list[TaskSpec]:
    """Its client secret and session key; its client in Keycloak, redirecting to its callback."""
    keys: dict[str, KeyValue] = {"client-secret": {"generate": "password"}, "session-key": {"generate": "password"}}
    return [
        TaskSpec(TaskKind.ENSURE_SECRET, SECRET, {"name": SECRET, "namespaces": [NAMESPACE], "keys": keys}),
        TaskSpec(
            TaskKind.KEYCLOAK_CLIENT,
            CLIENT,
            {
                "realm": platform.name,
                "clientId": CLIENT,
                "title": "Dockyard console",
                "redirectUris": [f"{_url(platform)}/auth/callback"],
                "groups": sign_in_groups(platform),
                "secretFrom": {"namespace": NAMESPACE, "name": SECRET, "key": "client-secret"},
            },
        ),
    ]


CONSOLE = Component(
    name=NAME,
    namespace=NAMESPACE,
    stage=Stage.PLATFORM_SERVICES,  # with Keycloak, whose client its task makes
    features=frozenset(),
    wanted=wanted,
    objects=console_objects,
    tasks=console_tasks,
    description="The web console in the cluster (`console.inCluster`), at console.<domain> behind the platform's SSO.",
)

COMPONENTS = (CONSOLE,)
