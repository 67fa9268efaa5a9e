"""The edge: Gateway API CRDs and Traefik serving the platform Gateway every HTTPRoute attaches to."""

from __future__ import annotations

from typing import Any

from dockyard.charts.source import ChartSource
from dockyard.model.platform import Platform
from dockyard.render import platform_names
from dockyard.render.components.component import Component, has

GATEWAY_API = Component(
    name="gateway-api",
    namespace=platform_names.GATEWAY_NAMESPACE,
    stage="platform-networking",
    features=frozenset({"gateway"}),
    source=ChartSource(
        name="gateway-api",
        version="v1.6.3",
        kind="manifests",
        gomodule="sigs.k8s.io/gateway-api",
        path="config/crd/standard",
    ),
    description="Gateway API CRDs (standard channel), as the project releases them.",
)


def traefik_values(platform: Platform) -> dict[str, Any]:
    """Traefik as the Gateway API implementation: one Gateway `platform` for every service route."""
    traces = has(platform, "traces")
    return {
        "providers": {
            "kubernetesGateway": {"enabled": True},
            "kubernetesCRD": {"enabled": False},
            "kubernetesIngress": {"enabled": False},
        },
        "gatewayClass": {"enabled": True, "name": "traefik"},
        "gateway": {
            "enabled": True,
            "name": platform_names.GATEWAY_NAME,
            "listeners": {
                "web": {"port": 8000, "protocol": "HTTP", "namespacePolicy": {"from": "All"}},
            },
        },
        "ingressRoute": {"dashboard": {"enabled": False}},
        "metrics": {"prometheus": {"serviceMonitor": {"enabled": has(platform, "metrics")}}},
        "tracing": {
            "otlp": {
                "enabled": traces,
                "http": {"enabled": traces, "endpoint": f"{platform_names.OTLP_ENDPOINT}/v1/traces"},
            }
        },
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
    }


TRAEFIK = Component(
    name="traefik",
    namespace=platform_names.GATEWAY_NAMESPACE,
    stage="platform-networking",
    features=frozenset({"gateway"}),
    source=ChartSource(
        name="traefik",
        version="v41.6.0+incompatible",
        gomodule="github.com/traefik/traefik-helm-chart",
        path="traefik",
    ),
    values=traefik_values,
    description="Traefik, the edge gateway: the GatewayClass `traefik` and the Gateway `platform`.",
)

COMPONENTS = (GATEWAY_API, TRAEFIK)
