"""Certificates and GitOps: cert-manager, and Argo CD syncing the platform repo."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dockyard.charts.source import ChartSource
from dockyard.model.platform import Platform
from dockyard.render.bundle import TaskRequest
from dockyard.render.components.component import Component, has
from dockyard.render.components.gateway import edge_route

CERT_MANAGER_VERSION = "v1.21.2"


def cert_manager_values(platform: Platform) -> dict[str, Any]:
    """The chart from cert-manager's source tag: its release tool would set the chart's appVersion
    (the images' default tag), so Dockyard names the release's tag for each image instead."""
    tag = {"image": {"tag": CERT_MANAGER_VERSION}}
    return {
        "crds": {"enabled": True},
        "prometheus": {"servicemonitor": {"enabled": has(platform, "metrics")}},
        **tag,
        "webhook": tag,
        "cainjector": tag,
        "acmesolver": tag,
        "startupapicheck": tag,
    }


CERT_MANAGER = Component(
    name="cert-manager",
    namespace="cert-manager",
    stage="platform-networking",
    features=frozenset({"certs"}),
    source=ChartSource(
        name="cert-manager",
        version=CERT_MANAGER_VERSION,
        gomodule="github.com/cert-manager/cert-manager",
        path="deploy/charts/cert-manager",
    ),
    values=cert_manager_values,
    description="Certificates for the gateway and the platform UIs (the chart from cert-manager's own module).",
)


def argo_cd_values(platform: Platform) -> dict[str, Any]:
    return {
        "global": {"domain": f"argocd.{platform.domain}"},
        "configs": {"params": {"server.insecure": True}},
        "dex": {"enabled": False},
        "server": {"metrics": {"enabled": True, "serviceMonitor": {"enabled": has(platform, "metrics")}}},
    }


def argo_cd_objects(platform: Platform, _requests: Sequence[TaskRequest]) -> list[dict[str, Any]]:
    return [edge_route(platform, "argocd", "argocd", "argo-cd-server", 80)]


ARGO_CD = Component(
    name="argo-cd",
    namespace="argocd",
    stage="platform-services",
    features=frozenset({"gitops"}),
    source=ChartSource(name="argo-cd", version="10.8.0", repository="https://argoproj.github.io/argo-helm"),
    values=argo_cd_values,
    objects=argo_cd_objects,
    description="Argo CD, for teams that sync their own repos next to Dockyard's.",
)

COMPONENTS = (CERT_MANAGER, ARGO_CD)
