"""`redis`: a small Redis for one service (or the services that share it), reachable only from them.

A single-replica Deployment and a Service named `<service>-<id>`, with no persistence: a cache
or queue for development and light use (the network policy is its protection; production
platforms plug in a managed Redis through a provisioner of their own).
outputs: host, port.
"""

from __future__ import annotations

from dockyard.render.bundle import Rendered, Stage, obj
from dockyard.render.provisioners.base import Peer, Provision, Provisioner, Request, param

IMAGE = "docker.io/library/redis:7.4.2-alpine"


def provision(request: Request) -> Provision:
    name = request.object_name()
    namespace = request.namespace
    labels = {"app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": name}
    memory = param(request, "memory", str, "128Mi")
    container = {
        "name": "redis",
        "image": IMAGE,
        "args": ["--save", "", "--appendonly", "no", "--maxmemory-policy", "allkeys-lru"],
        "ports": [{"name": "redis", "containerPort": 6379, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "50m", "memory": memory}, "limits": {"memory": memory}},
        "readinessProbe": {"exec": {"command": ["redis-cli", "ping"]}},
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
        outputs={"host": f"{name}.{namespace}.svc.cluster.local", "port": "6379"},
        objects=[Rendered(m, Stage.SERVICES, request.source) for m in (deployment, service, access)],
        egress=[Peer(namespace, labels, (("TCP", 6379),))],
    )


REDIS = Provisioner(
    "redis",
    ("host", "port"),
    provision,
    "A small Redis reachable only from the service (no persistence).",
    {"memory": "memory request and limit (default 128Mi)"},
)
