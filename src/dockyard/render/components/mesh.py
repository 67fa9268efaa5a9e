"""The mesh: Istio in ambient mode (base CRDs, istiod, the CNI node agent and ztunnel).

Services that need L7 checks (JWT scopes per operation) get a waypoint from the api
provisioner; the mesh gives every pod mTLS without sidecars.
"""

from __future__ import annotations

from typing import Any

from dockyard.charts.source import ChartSource
from dockyard.model.platform import Platform
from dockyard.render.bundle import Stage
from dockyard.render.components.component import Component, Requires
from dockyard.render.openapi import istio

ISTIO_REPOSITORY = "https://istio-release.storage.googleapis.com/charts"
ISTIO_VERSION = "1.30.3"
ISTIO_KUBERNETES = ("1.32", "1.36")
"""Istio's published support table for 1.30."""
ISTIO_GATEWAY_API = Requires(
    "gateway-api",
    maximum="v1.5",
    reason="istiod 1.30 watches TCPRoute at v1alpha2 (pkg/config/schema/gvk), which the standard channel of "
    "Gateway API v1.6 no longer serves: its controller would never sync",
)
ISTIO_NAMESPACE = "istio-system"


def _istio(name: str, chart: str) -> ChartSource:
    return ChartSource(name=chart, version=ISTIO_VERSION, repository=ISTIO_REPOSITORY)


def ambient(_platform: Platform) -> dict[str, Any]:
    return {"profile": "ambient"}


def base_values(_platform: Platform) -> dict[str, Any]:
    return {"defaultRevision": "default"}


def istiod_values(platform: Platform) -> dict[str, Any]:
    return {
        "profile": "ambient",
        "meshConfig": {
            "accessLogFile": "/dev/stdout",
            "trustDomain": "cluster.local",
            "pathNormalization": {"normalization": istio.PATH_NORMALIZATION},
        },
    }


COMPONENTS = (
    Component(
        "istio-base",
        ISTIO_NAMESPACE,
        Stage.PLATFORM_NETWORKING,
        frozenset({"mesh"}),
        _istio("istio-base", "base"),
        base_values,
        kubernetes=ISTIO_KUBERNETES,
        requires=(ISTIO_GATEWAY_API,),
        description="Istio's CRDs and cluster roles.",
    ),
    Component(
        "istiod",
        ISTIO_NAMESPACE,
        Stage.PLATFORM_NETWORKING,
        frozenset({"mesh"}),
        _istio("istiod", "istiod"),
        istiod_values,
        kubernetes=ISTIO_KUBERNETES,
        requires=(ISTIO_GATEWAY_API,),
        description="Istio's control plane, ambient profile.",
    ),
    Component(
        "istio-cni",
        ISTIO_NAMESPACE,
        Stage.PLATFORM_NETWORKING,
        frozenset({"mesh"}),
        _istio("istio-cni", "cni"),
        ambient,
        kubernetes=ISTIO_KUBERNETES,
        requires=(ISTIO_GATEWAY_API,),
        description="The node agent that redirects pod traffic to ztunnel.",
    ),
    Component(
        "ztunnel",
        ISTIO_NAMESPACE,
        Stage.PLATFORM_NETWORKING,
        frozenset({"mesh"}),
        _istio("ztunnel", "ztunnel"),
        ambient,
        kubernetes=ISTIO_KUBERNETES,
        requires=(ISTIO_GATEWAY_API,),
        description="The per-node L4 proxy giving every pod mTLS.",
    ),
)
