"""`platforms.dockyard.dev`, the custom resource the sync controller reports on (sync/status.py
writes it): shipped by Dockyard as a CRD, installed by the controller itself, or rendered with
the in-cluster controller (components/controller.py)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

GROUP = "dockyard.dev"
API_VERSION = f"{GROUP}/v1alpha1"
KIND = "Platform"
HISTORY_LIMIT = 10


class Result(StrEnum):
    APPLIED = "applied"
    """The revision's objects are on the cluster (something was written, or nothing needed to be)."""
    FAILED = "failed"
    DRIFTED = "drifted"
    """The revision is applied, but objects on the cluster differ from it (sync.drift: report)."""
    HANDED_OVER = "handed-over"
    """The revision is for another Dockyard release: the in-cluster controller moved itself to it."""


def crd() -> dict[str, Any]:
    """The CustomResourceDefinition of `Platform`."""
    text = {"type": "string"}
    count = {"type": "integer", "minimum": 0}
    condition = {
        "type": "object",
        "required": ["type", "status", "lastTransitionTime", "reason", "message"],
        "properties": {
            "type": text,
            "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
            "observedGeneration": {"type": "integer"},
            "lastTransitionTime": {"type": "string", "format": "date-time"},
            "reason": text,
            "message": text,
        },
    }
    attempt = {
        "type": "object",
        "properties": {
            "revision": text,
            "subject": text,
            "result": {"type": "string", "enum": [r.value for r in Result]},
            "startedAt": {"type": "string", "format": "date-time"},
            "durationSeconds": {"type": "number"},
            "created": count,
            "configured": count,
            "pruned": count,
            "message": text,
        },
    }
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {"source": text, "branch": text, "path": text, "cluster": text, "platform": text},
            },
            "status": {
                "type": "object",
                "properties": {
                    "observedGeneration": {"type": "integer"},
                    "conditions": {
                        "type": "array",
                        "items": condition,
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["type"],
                    },
                    "lastAppliedRevision": text,
                    "lastAttemptedRevision": text,
                    "history": {"type": "array", "maxItems": HISTORY_LIMIT, "items": attempt},
                },
            },
        },
    }
    columns = [
        {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
        {"name": "Applied", "type": "string", "jsonPath": ".status.lastAppliedRevision"},
        {"name": "Reason", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].reason'},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    ]
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"platforms.{GROUP}", "labels": {"app.kubernetes.io/managed-by": "dockyard"}},
        "spec": {
            "group": GROUP,
            "names": {"kind": KIND, "plural": "platforms", "singular": "platform", "listKind": "PlatformList"},
            "scope": "Cluster",
            "versions": [
                {
                    "name": "v1alpha1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema},
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": columns,
                }
            ],
        },
    }
