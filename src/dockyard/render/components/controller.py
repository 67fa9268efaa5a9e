"""The sync controller in the cluster (`dockyard-controller`): Dockyard following the platform repo
from inside the cluster it keeps in sync, switched on by `sync.controller` in the layers.

Two candidates (a Deployment) elect a leader with a Lease in their namespace; the leader labels
its own pod, and the webhook Service selects only that pod, so a push reaches the one that acts.
Kubernetes probes `/healthz` (a candidate is healthy while it waits to lead); `/readyz` stays what
it is for people and pipelines: the newest revision is applied.

Its access is derived from the render (`grant`): for every kind of object the platform renders,
what applying, planning by list, watching for drift and pruning need, and nothing for kinds it
does not render; beside that, its inventory and status objects, Events, and what the render's
lifecycle tasks call. Installing charts that bring their own roles takes the right to grant roles
(`bind` and `escalate` on roles): whoever can commit to the platform repo can give any access,
as with every GitOps syncer, which is why the repo is reviewed like code (and commits can be
required to be signed, `--allowed-signers`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from lightkube.core.exceptions import LoadResourceError
from lightkube.core.resource_registry import resource_registry
from packaging.specifiers import SpecifierSet

from dockyard.errors import InputError, Position, Problem
from dockyard.model.platform import Platform
from dockyard.model.settings import SyncController
from dockyard.render import platform_crd
from dockyard.render.bundle import Rendered, Stage, TaskRequest, obj
from dockyard.render.components.component import Component, TaskSpec, installs
from dockyard.render.components.gateway import edge_route
from dockyard.render.task_data import TaskKind

NAME = "dockyard-controller"
NAMESPACE = "dockyard-sync"
PORT = 8080
LEADER_LABEL = "dockyard.dev/leader"
WEBHOOK_SECRET = "dockyard-webhook"
"""The webhooks' shared secret (key `secret`), generated once: give it to the git host."""
MOUNTS = "/var/run/dockyard"
AGE_KEYS = "keys.txt"
"""The key of the `sync.controller.decryption` Secret that holds the age keys (age-keygen's file)."""
SELECTOR = {"app.kubernetes.io/name": NAME}
APPLY_VERBS = ["get", "list", "watch", "create", "patch", "update", "delete"]
"""Server-side apply (patch, create), plan by list (list), drift (watch), prune (delete)."""
PLATFORM_ACCESS = (
    ("", "namespaces", ("get", "list", "watch", "create", "patch")),
    ("", "configmaps", ("get", "list", "watch", "create", "patch", "update")),
    ("", "events", ("create", "patch")),
    ("events.k8s.io", "events", ("create", "patch")),
    ("apiextensions.k8s.io", "customresourcedefinitions", ("get", "list", "watch")),
    ("dockyard.dev", "platforms", ("get", "list", "watch", "create", "patch", "update")),
    ("dockyard.dev", "platforms/status", ("get", "patch", "update")),
)
"""What the controller needs whatever the render holds: the inventory (a ConfigMap in
dockyard-system), the Platform object and its status, Events, and the cluster's kinds."""
TASK_ACCESS: dict[TaskKind, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    TaskKind.ENSURE_SECRET: (("", "secrets", ("get", "create", "patch")),),
    TaskKind.POSTGRES_ROLE: (("", "secrets", ("get", "create", "patch")),),
    TaskKind.S3_BUCKET: (("", "secrets", ("get", "create", "patch")),),
    TaskKind.KEYCLOAK_CLIENT: (
        ("", "secrets", ("get",)),
        ("", "services/proxy", ("get", "create", "update", "patch", "delete")),
    ),
    TaskKind.KEYCLOAK_PRUNE: (
        ("", "secrets", ("get",)),
        ("", "services/proxy", ("get", "create", "update", "patch", "delete")),
    ),
    TaskKind.RESTART: (
        ("apps", "deployments", ("get", "patch")),
        ("apps", "statefulsets", ("get", "patch")),
        ("apps", "daemonsets", ("get", "patch")),
    ),
}
"""What each kind of lifecycle task calls (deploy/tasks): Secrets it reads or makes, Keycloak's
admin API through the API server's service proxy, the workloads it restarts."""


def runs_as_dockyard() -> dict[str, Any]:
    """What a container of Dockyard's own image gets in the cluster (the controller, the console): its
    health probes on `/healthz` of its port `http`, its resources, and a hardened security context."""
    probe = {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10}
    return {
        "readinessProbe": probe,
        "livenessProbe": {**probe, "failureThreshold": 6},
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }


def pod_security() -> dict[str, Any]:
    """The pod of Dockyard's own image: its non-root user, RuntimeDefault seccomp."""
    return {
        "runAsNonRoot": True,
        "runAsUser": 65532,
        "runAsGroup": 65532,
        "fsGroup": 65532,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def wanted(platform: Platform) -> Position | None:
    """Where the layers set `sync.controller` (None: they do not, and the component is off)."""
    return None if platform.settings.sync_controller is None else platform.locate(("sync", "controller"))


def credentials(platform: Platform) -> tuple[str, ...]:
    """The Secrets of git credentials and of age keys, which people make (or a secrets tool of theirs)."""
    settings = platform.settings.sync_controller
    if settings is None:
        return ()
    return tuple(name for name in (settings.credentials, settings.decryption) if name)


def image(settings: SyncController) -> str:
    """`<repository>:<version>[@digest]`: exactly the release the layers pin, whoever renders."""
    return f"{settings.image}:{settings.version}" + (f"@{settings.digest}" if settings.digest else "")


def _settings(platform: Platform) -> SyncController:
    settings = platform.settings.sync_controller
    if settings is None:
        raise InputError(
            [
                Problem(
                    platform.locate(("components", NAME)),
                    f"component `{NAME}` needs `sync.controller` (at least its source, image and version)",
                    "set sync.controller.source, .image and .version in platform.yaml or a cluster file",
                )
            ]
        )
    if platform.settings.require_digest and settings.digest is None:
        raise InputError(
            [
                Problem(
                    platform.locate(("sync", "controller")),
                    "the controller's image is not pinned by digest (this environment requires digests)",
                    "set sync.controller.digest to the digest of the release's image (sha256:...)",
                )
            ]
        )
    if urlsplit(settings.source).password is not None:
        raise InputError(
            [
                Problem(
                    platform.locate(("sync", "controller", "source")),
                    "the source URL holds a password or token, which would be in the controller's arguments "
                    "(and in every render and plan)",
                    "remove it from the URL and name a Secret with it in sync.controller.credentials",
                )
            ]
        )
    written = platform.values.get("dockyard")
    if isinstance(written, str) and settings.version not in SpecifierSet(written):
        raise InputError(
            [
                Problem(
                    platform.locate(("sync", "controller", "version")),
                    f"the controller's version {settings.version} is outside the Dockyard versions this repo "
                    f'is written for ("{written}")',
                    "choose a version inside the range, or widen the range in platform.yaml (`dockyard`)",
                )
            ]
        )
    return settings


def controller_objects(platform: Platform, _requests: Sequence[TaskRequest]) -> list[dict[str, Any]]:
    settings = _settings(platform)
    cluster_role = obj(
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
        NAME,
        None,
        rules=_rules(((g, r, list(v)) for g, r, v in PLATFORM_ACCESS)),
    )
    objects = [
        platform_crd.crd(),
        obj("v1", "ServiceAccount", NAME, NAMESPACE),
        cluster_role,
        _binding("ClusterRoleBinding", "ClusterRole", None),
        obj(
            "rbac.authorization.k8s.io/v1",
            "Role",
            NAME,
            NAMESPACE,
            rules=[
                {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "create", "patch"]},
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "patch"]},
            ],
        ),
        _binding("RoleBinding", "Role", NAMESPACE),
        _deployment(platform, settings),
        obj(
            "v1",
            "Service",
            NAME,
            NAMESPACE,
            spec={
                "selector": {**SELECTOR, LEADER_LABEL: "true"},
                "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
            },
        ),
    ]
    if installs(platform, "envoy-gateway", "gateway"):
        route = edge_route(platform, "sync", NAMESPACE, NAME, 80)
        route["spec"]["rules"] = [
            {
                "matches": [{"path": {"type": "PathPrefix", "value": "/hooks/"}}],
                "backendRefs": [{"name": NAME, "port": 80}],
            }
        ]
        objects.append(route)
    if installs(platform, "kube-prometheus-stack", "metrics"):
        objects.append(
            obj(
                "monitoring.coreos.com/v1",
                "PodMonitor",
                NAME,
                NAMESPACE,
                spec={"selector": {"matchLabels": SELECTOR}, "podMetricsEndpoints": [{"port": "http"}]},
            )
        )
    return objects


def _binding(kind: str, role_kind: str, namespace: str | None) -> dict[str, Any]:
    return obj(
        "rbac.authorization.k8s.io/v1",
        kind,
        NAME,
        namespace,
        roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": NAME},
        subjects=[{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}],
    )


def _deployment(platform: Platform, settings: SyncController) -> dict[str, Any]:
    args = ["sync", "run", settings.source, "--cluster", platform.cluster.name, "--branch", settings.branch]
    args += ["--path", settings.path, "--interval", str(settings.interval), "--listen", f"0.0.0.0:{PORT}"]
    args += ["--leader-elect", "--lease-namespace", NAMESPACE]
    args += ["--webhook-secret-file", f"{MOUNTS}/webhook/secret"]
    mounts: list[dict[str, Any]] = [
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "webhook", "mountPath": f"{MOUNTS}/webhook", "readOnly": True},
    ]
    volumes: list[dict[str, Any]] = [
        {"name": "tmp", "emptyDir": {"sizeLimit": "2Gi"}},
        {"name": "webhook", "secret": {"secretName": WEBHOOK_SECRET, "defaultMode": 0o440}},
    ]
    if settings.credentials:
        args += ["--credentials", f"{MOUNTS}/git"]
        mounts.append({"name": "git", "mountPath": f"{MOUNTS}/git", "readOnly": True})
        volumes.append({"name": "git", "secret": {"secretName": settings.credentials, "defaultMode": 0o440}})
    env: list[dict[str, Any]] = [
        {"name": "DOCKYARD_POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "DOCKYARD_POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
    ]
    if settings.decryption:  # the age keys as a file only this pod mounts; sops' own variable names it
        mounts.append({"name": "age", "mountPath": f"{MOUNTS}/age", "readOnly": True})
        items = [{"key": AGE_KEYS, "path": AGE_KEYS}]
        volumes.append(
            {"name": "age", "secret": {"secretName": settings.decryption, "defaultMode": 0o440, "items": items}}
        )
        env.append({"name": "SOPS_AGE_KEY_FILE", "value": f"{MOUNTS}/age/{AGE_KEYS}"})
    container = {
        "name": "controller",
        "image": image(settings),
        "args": args,
        "env": env,
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        **runs_as_dockyard(),
        "volumeMounts": mounts,
    }
    return obj(
        "apps/v1",
        "Deployment",
        NAME,
        NAMESPACE,
        spec={
            "replicas": settings.replicas,
            "selector": {"matchLabels": SELECTOR},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": dict(SELECTOR)},
                "spec": {
                    "serviceAccountName": NAME,
                    "securityContext": pod_security(),
                    "affinity": {
                        "podAntiAffinity": {
                            "preferredDuringSchedulingIgnoredDuringExecution": [
                                {
                                    "weight": 100,
                                    "podAffinityTerm": {
                                        "topologyKey": "kubernetes.io/hostname",
                                        "labelSelector": {"matchLabels": SELECTOR},
                                    },
                                }
                            ]
                        }
                    },
                    "terminationGracePeriodSeconds": 60,
                    "containers": [container],
                    "volumes": volumes,
                },
            },
        },
    )


def controller_tasks(_platform: Platform) -> list[TaskSpec]:
    return [
        TaskSpec(
            TaskKind.ENSURE_SECRET,
            WEBHOOK_SECRET,
            {"name": WEBHOOK_SECRET, "namespaces": [NAMESPACE], "keys": {"secret": {"generate": "password"}}},
        )
    ]


def grant(objects: Sequence[Rendered], tasks: Iterable[TaskRequest]) -> list[Rendered]:
    """`objects` with the controller's ClusterRole (when rendered) granting what applying them needs:
    every kind rendered, and what the lifecycle tasks call."""
    index = next(
        (i for i, r in enumerate(objects) if r.kind == "ClusterRole" and r.name == NAME and r.namespace is None), None
    )
    if index is None:
        return list(objects)
    plurals = {
        (c.manifest["spec"]["group"], c.manifest["spec"]["names"]["kind"]): c.manifest["spec"]["names"]["plural"]
        for c in objects
        if c.kind == "CustomResourceDefinition"
    }
    wanted: list[tuple[str, str, list[str]]] = [(g, r, list(v)) for g, r, v in PLATFORM_ACCESS]
    for rendered in objects:
        group = rendered.api_version.rpartition("/")[0]
        wanted.append((group, _plural(group, rendered.api_version, rendered.kind, plurals), APPLY_VERBS))
        if rendered.kind in ("Role", "ClusterRole"):
            wanted.append(("rbac.authorization.k8s.io", f"{rendered.kind.lower()}s", ["bind", "escalate"]))
    for task in tasks:
        wanted += [(g, r, list(v)) for g, r, v in TASK_ACCESS.get(TaskKind(task.kind), ())]
    role = objects[index]
    manifest = {**role.manifest, "rules": _rules(wanted)}
    return [*objects[:index], Rendered(manifest, role.stage, role.source), *objects[index + 1 :]]


def _plural(group: str, api_version: str, kind: str, crds: dict[tuple[str, str], str]) -> str:
    """The resource name of a kind: from the render's CRDs, else Kubernetes' own (lightkube's
    registry), else Kubernetes' own guess (lower case, -s, -es, -ies)."""
    if (group, kind) in crds:
        return crds[(group, kind)]
    try:
        return str(resource_registry.load(api_version, kind)._api_info.plural)
    except (LoadResourceError, AttributeError):
        lower = kind.lower()
        if lower.endswith("y") and lower[-2:-1] not in "aeiou":
            return lower[:-1] + "ies"
        return lower + ("es" if lower.endswith(("s", "x", "z", "ch", "sh")) else "s")


def _rules(wanted: Iterable[tuple[str, str, list[str]]]) -> list[dict[str, Any]]:
    """One rule per API group and set of verbs, resources sorted: the same access always reads the same."""
    verbs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for group, resource, allowed in wanted:
        verbs[(group, resource)].update(allowed)
    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
    for (group, resource), granted in sorted(verbs.items()):
        grouped[(group, tuple(sorted(granted)))].append(resource)
    return [
        {"apiGroups": [group], "resources": resources, "verbs": list(verb_list)}
        for (group, verb_list), resources in sorted(grouped.items())
    ]


CONTROLLER = Component(
    name=NAME,
    namespace=NAMESPACE,
    stage=Stage.PLATFORM_NETWORKING,
    features=frozenset(),
    wanted=wanted,
    secrets_outside=credentials,
    objects=controller_objects,
    tasks=controller_tasks,
    description="The sync controller in the cluster (`sync.controller`): it keeps the cluster on the repo's branch.",
)

COMPONENTS = (CONTROLLER,)
