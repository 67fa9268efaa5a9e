"""`redis`: a small Redis for one service (or the services that share it), reachable only from them.

A single-replica Deployment and a Service named `<service>-<id>` (or the shared `id`), with no
persistence: a cache or queue for development and light use. Clients authenticate (user
`default`, a password generated once by an ensure-secret task into `<name>-redis`, never in the
render) and the network policy admits only them; production platforms plug in a managed Redis
through a provisioner of their own (`provisioners/redis.yaml`, or a class).
outputs: host, port, username, password (as Score's reference provisioners name them).
"""

from __future__ import annotations

from dockyard.render.bundle import Rendered, Stage, TaskRequest, obj
from dockyard.render.placeholders import SecretRef
from dockyard.render.provisioners.base import Peer, Provision, Provisioner, Request, param
from dockyard.render.task_data import TaskKind

IMAGE = "docker.io/library/redis:7.4.2-alpine"
SERVER = (
    "exec redis-server - --save '' --appendonly no --maxmemory-policy allkeys-lru <<EOF\n"
    "requirepass $REDIS_PASSWORD\n"
    "EOF\n"
)
"""The server replaces the shell (it is the container's first process, and gets its signals);
its password comes on its standard input, through a here-document (a pipe, no file)."""
PING = 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli ping | grep -q PONG'
"""redis-cli reads the password from REDISCLI_AUTH, not from its arguments."""


def provision(request: Request) -> Provision:
    name = request.object_name()
    namespace = request.namespace
    labels = {"app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": name}
    memory = param(request, "memory", str, "128Mi")
    secret = f"{name}-redis"
    credentials = TaskRequest(
        TaskKind.ENSURE_SECRET,
        secret,
        {
            "name": secret,
            "namespaces": [namespace],
            "keys": {"username": {"value": "default"}, "password": {"generate": "password"}},
        },
        request.source,
    )
    container = {
        "name": "redis",
        "image": IMAGE,
        # the password reaches the server on its standard input (`redis-server -` reads its
        # configuration there), never in a process's arguments, where any process could read it
        "command": ["sh", "-c", SERVER],
        "env": [{"name": "REDIS_PASSWORD", "valueFrom": {"secretKeyRef": {"name": secret, "key": "password"}}}],
        "ports": [{"name": "redis", "containerPort": 6379, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "50m", "memory": memory}, "limits": {"memory": memory}},
        "readinessProbe": {"exec": {"command": ["sh", "-c", PING]}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": 999,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
    }
    deployment = obj(
        "apps/v1",
        "Deployment",
        name,
        namespace,
        spec={
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [container],
                    "volumes": [{"name": "data", "emptyDir": {}}],
                },
            },
        },
    )
    service = obj(
        "v1",
        "Service",
        name,
        namespace,
        spec={"selector": labels, "ports": [{"name": "redis", "port": 6379, "targetPort": 6379, "protocol": "TCP"}]},
    )
    access = obj(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        f"{name}-redis",
        namespace,
        spec={
            "podSelector": {"matchLabels": labels},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [{"podSelector": {"matchLabels": client}} for client in request.client_selectors()],
                    "ports": [{"protocol": "TCP", "port": 6379}],
                }
            ],
        },
    )
    return Provision(
        outputs={
            "host": f"{name}.{namespace}.svc.cluster.local",
            "port": "6379",
            "username": SecretRef(secret, "username"),
            "password": SecretRef(secret, "password"),
        },
        objects=[Rendered(m, Stage.SERVICES, request.source) for m in (deployment, service, access)],
        tasks=[credentials],
        egress=[Peer(namespace, labels, (("TCP", 6379),))],
    )


REDIS = Provisioner(
    "redis",
    ("host", "port", "username", "password"),
    provision,
    "A small Redis reachable only from the services that use it, with a password (no persistence).",
    {"memory": "memory request and limit (default 128Mi)"},
)
