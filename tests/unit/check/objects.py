"""Objects that pass every policy rule, for the policy tests to break one field at a time."""

from __future__ import annotations

LABELS = {"app.kubernetes.io/name": "web", "app.kubernetes.io/part-of": "p", "app.kubernetes.io/managed-by": "dockyard"}
CONTAINER = {
    "name": "web",
    "image": "registry.example.org/web:1.0",
    "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "32Mi"}},
    "readinessProbe": {"httpGet": {"path": "/", "port": 80}},
    "securityContext": {"runAsNonRoot": True, "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False},
}
DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "n", "labels": LABELS},
    "spec": {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [CONTAINER]}},
    },
}
