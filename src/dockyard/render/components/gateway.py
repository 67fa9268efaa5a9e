"""The edge: Gateway API CRDs and Envoy Gateway serving the platform Gateway every HTTPRoute
attaches to, with TLS from cert-manager when the profile has certificates.

Envoy Gateway comes from its own Go module at the release tag: the chart's source tree
(`charts/gateway-helm`), whose values.yaml its release writes from `values.tmpl.yaml` with the
release's image; Dockyard fills that template the same way (as data). Its own CRDs are a
component of their own (its chart bundles the experimental Gateway API channel beside them;
the platform installs the standard channel from the Gateway API module). Dockyard renders the
GatewayClass, the proxies' settings (EnvoyProxy) and the Gateway `platform`; Envoy Gateway runs
the proxies for it in `dockyard-gateway`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dockyard.charts.source import ChartSource
from dockyard.model.platform import Platform
from dockyard.render import platform_names
from dockyard.render.bundle import Stage, TaskRequest, obj
from dockyard.render.components.component import Component, has

ENVOY_GATEWAY_MODULE = "github.com/envoyproxy/gateway"
ENVOY_GATEWAY_VERSION = "v1.9.1"
GATEWAY_CLASS = "envoy"
CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"
TLS_SECRET = "platform-tls"
CA_ISSUER = "dockyard-ca"

GATEWAY_API = Component(
    name="gateway-api",
    namespace=platform_names.GATEWAY_NAMESPACE,
    stage=Stage.PLATFORM_NETWORKING,
    features=frozenset({"gateway"}),
    source=ChartSource(
        name="gateway-api",
        version="v1.5.1",
        kind="manifests",
        gomodule="sigs.k8s.io/gateway-api",
        path="config/crd/standard",
    ),
    description="Gateway API CRDs (standard channel), as the project releases them.",
    # v1.5: Istio 1.30 needs it (see mesh.py). Envoy Gateway v1.9 asks for v1.6 (its release notes:
    # without it, TCP and UDP routes are skipped); it watches a route kind only when its CRD exists,
    # and the platform renders no TCP or UDP route
    # Kubernetes: not declared (the project supports the five newest minors; TLSRoute needs 1.31)
)

ENVOY_GATEWAY_CRDS = Component(
    name="envoy-gateway-crds",
    namespace=platform_names.GATEWAY_NAMESPACE,
    stage=Stage.PLATFORM_NETWORKING,
    features=frozenset({"gateway"}),
    source=ChartSource(
        name="envoy-gateway-crds",
        version=ENVOY_GATEWAY_VERSION,
        kind="manifests",
        gomodule=ENVOY_GATEWAY_MODULE,
        path="charts/gateway-helm/charts/crds/crds/generated",
    ),
    kubernetes=("1.33", "1.36"),  # Envoy Gateway's compatibility matrix for v1.9
    description="Envoy Gateway's own CRDs (SecurityPolicy, ClientTrafficPolicy, EnvoyProxy, ...).",
)


def envoy_gateway_values(platform: Platform) -> dict[str, Any]:
    return {
        "crds": {"enabled": False},  # the Gateway API CRDs and Envoy Gateway's are components of their own
        "deployment": {
            "envoyGateway": {
                "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1024Mi"}}
            }
        },
        "config": {
            "envoyGateway": {
                "gateway": {"controllerName": CONTROLLER},
                "provider": {"type": "Kubernetes"},
                "logging": {"level": {"default": "info"}},
            }
        },
    }


def edge_objects(platform: Platform, _requests: Sequence[TaskRequest]) -> list[dict[str, Any]]:
    """The GatewayClass, the proxies' settings and the Gateway `platform` (HTTP, and HTTPS with the
    platform's certificate when the profile has certificates)."""
    namespace = platform_names.GATEWAY_NAMESPACE
    settings = obj(
        "gateway.envoyproxy.io/v1alpha1",
        "EnvoyProxy",
        platform_names.GATEWAY_NAME,
        namespace,
        spec={
            "provider": {
                "type": "Kubernetes",
                "kubernetes": {"envoyService": {"type": platform.settings.gateway_service_type}},
            }
        },
    )
    gateway_class = obj(
        "gateway.networking.k8s.io/v1",
        "GatewayClass",
        GATEWAY_CLASS,
        None,
        spec={
            "controllerName": CONTROLLER,
            "parametersRef": {
                "group": "gateway.envoyproxy.io",
                "kind": "EnvoyProxy",
                "name": platform_names.GATEWAY_NAME,
                "namespace": namespace,
            },
        },
    )
    everyone = {"namespaces": {"from": "All"}}
    listeners: list[dict[str, Any]] = [{"name": "http", "protocol": "HTTP", "port": 80, "allowedRoutes": everyone}]
    objects = [settings, gateway_class]
    if has(platform, "certs"):
        listeners.append(
            {
                "name": "https",
                "protocol": "HTTPS",
                "port": 443,
                "hostname": f"*.{platform.domain}",
                "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": TLS_SECRET}]},
                "allowedRoutes": everyone,
            }
        )
        objects += certificates(platform)
    objects.append(
        obj(
            "gateway.networking.k8s.io/v1",
            "Gateway",
            platform_names.GATEWAY_NAME,
            namespace,
            spec={"gatewayClassName": GATEWAY_CLASS, "listeners": listeners},
        )
    )
    # paths are normalised before routing and before the contracts' checks, as in the mesh:
    # `/orders/1%2Finvoice` is checked (and forwarded) as the `/orders/1/invoice` a service sees
    objects.append(
        obj(
            "gateway.envoyproxy.io/v1alpha1",
            "ClientTrafficPolicy",
            platform_names.GATEWAY_NAME,
            namespace,
            spec={
                "targetRefs": [
                    {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": platform_names.GATEWAY_NAME}
                ],
                "path": {"escapedSlashesAction": "UnescapeAndForward", "disableMergeSlashes": False},
            },
        )
    )
    return objects


def edge_route(platform: Platform, name: str, namespace: str, service: str, port: int) -> dict[str, Any]:
    """An HTTPRoute on the platform gateway for a platform UI or endpoint at `<name>.<domain>`."""
    return obj(
        "gateway.networking.k8s.io/v1",
        "HTTPRoute",
        name,
        namespace,
        spec={
            "parentRefs": [{"name": platform_names.GATEWAY_NAME, "namespace": platform_names.GATEWAY_NAMESPACE}],
            "hostnames": [f"{name}.{platform.domain}"],
            "rules": [{"backendRefs": [{"name": service, "port": port}]}],
        },
    )


def certificates(platform: Platform) -> list[dict[str, Any]]:
    """The gateway's certificate for the platform domain, from the layers' ClusterIssuer, or else
    from a platform CA of Dockyard's own (self-signed root, then a CA issuer)."""
    issuer = platform.settings.certificate_issuer
    objects: list[dict[str, Any]] = []
    if issuer is None:
        issuer = CA_ISSUER
        objects += [
            obj("cert-manager.io/v1", "ClusterIssuer", "dockyard-selfsigned", None, spec={"selfSigned": {}}),
            obj(
                "cert-manager.io/v1",
                "Certificate",
                "platform-ca",
                "cert-manager",
                spec={
                    "isCA": True,
                    "commonName": f"{platform.name} platform CA",
                    "secretName": "platform-ca",
                    "privateKey": {"algorithm": "ECDSA", "size": 256},
                    "issuerRef": {"kind": "ClusterIssuer", "name": "dockyard-selfsigned", "group": "cert-manager.io"},
                },
            ),
            obj("cert-manager.io/v1", "ClusterIssuer", CA_ISSUER, None, spec={"ca": {"secretName": "platform-ca"}}),
        ]
    objects.append(
        obj(
            "cert-manager.io/v1",
            "Certificate",
            TLS_SECRET,
            platform_names.GATEWAY_NAMESPACE,
            spec={
                "secretName": TLS_SECRET,
                "dnsNames": [platform.domain, f"*.{platform.domain}"],
                "issuerRef": {"kind": "ClusterIssuer", "name": issuer, "group": "cert-manager.io"},
            },
        )
    )
    return objects


ENVOY_GATEWAY = Component(
    name="envoy-gateway",
    namespace=platform_names.GATEWAY_NAMESPACE,
    stage=Stage.PLATFORM_NETWORKING,
    features=frozenset({"gateway"}),
    source=ChartSource(
        name="envoy-gateway",
        version=ENVOY_GATEWAY_VERSION,
        gomodule=ENVOY_GATEWAY_MODULE,
        path="charts/gateway-helm",
        values_template="values.tmpl.yaml",
        placeholders=(
            ("GatewayImage", f"docker.io/envoyproxy/gateway:{ENVOY_GATEWAY_VERSION}"),
            ("GatewayImagePullPolicy", "IfNotPresent"),
        ),
    ),
    values=envoy_gateway_values,
    objects=edge_objects,
    runtime_secrets=("envoy-gateway", "envoy", "envoy-rate-limit"),
    in_mesh=True,  # with the mesh, services' pods admit the edge by its identity (their waypoint is skipped)
    kubernetes=("1.33", "1.36"),  # Envoy Gateway's compatibility matrix for v1.9
    description="Envoy Gateway, the edge: the GatewayClass `envoy` and the Gateway `platform`.",
)

COMPONENTS = (GATEWAY_API, ENVOY_GATEWAY_CRDS, ENVOY_GATEWAY)
