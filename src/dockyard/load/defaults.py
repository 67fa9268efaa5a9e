"""Dockyard's built-in defaults: the most generic layer, under platform.yaml."""

from __future__ import annotations

from typing import Any

from dockyard.errors import Position

LAYER_NAME = "built-in defaults"
POSITION = Position("<built-in defaults>")

VALUES: dict[str, Any] = {
    "profile": "dev-fast",
    "imagePolicy": {"requireDigest": False},
    "postgres": {"mode": "dedicated", "instances": 1, "storage": "1Gi"},
    "gateway": {"serviceType": "LoadBalancer"},
    "sync": {"drift": "repair"},
    "checks": {"severity": {}, "waivers": []},
    "serviceDefaults": {
        "replicas": 1,
        "rollout": {"strategy": "RollingUpdate", "maxSurge": "25%", "maxUnavailable": 0},
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"memory": "256Mi"},
        },
        "autoscaling": {"enabled": False, "minReplicas": 2, "maxReplicas": 5, "targetCPUUtilizationPercentage": 75},
        "auth": {"jwt": True},
        "metrics": {"path": "/metrics"},
    },
    "components": {},
}
