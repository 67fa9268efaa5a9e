"""Certificates and GitOps: cert-manager, and Argo CD syncing the platform repo."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from dockyard.charts.source import ChartSource
from dockyard.model.platform import Platform
from dockyard.render import platform_names
from dockyard.render.bundle import Stage, TaskRequest, obj
from dockyard.render.components.component import Component, TaskSpec, has
from dockyard.render.components.gateway import CA_ISSUER, edge_route
from dockyard.render.task_data import TaskKind

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
    stage=Stage.PLATFORM_NETWORKING,
    features=frozenset({"certs"}),
    source=ChartSource(
        name="cert-manager",
        version=CERT_MANAGER_VERSION,
        gomodule="github.com/cert-manager/cert-manager",
        path="deploy/charts/cert-manager",
    ),
    values=cert_manager_values,
    kubernetes=("1.33", "1.36"),  # cert-manager's supported-releases table, row 1.21
    description="Certificates for the gateway and the platform UIs (the chart from cert-manager's own module).",
)


ARGOCD = "argocd"
ARGO_CD_VERSION = "v3.6.1"
ARGOCD_OIDC = "argocd-oidc"
"""Argo CD's client secret in Keycloak, made by the ensure-secret task; Argo CD reads `$<secret>:<key>`
references in its OIDC settings from Secrets labelled as its own."""
ARGOCD_TRUST = "argocd-platform-trust"
"""A certificate from the platform CA in Argo CD's namespace, for its `ca.crt`: Argo CD fetches the
issuer's discovery document from https://sso.<domain>, signed by that CA."""
ARGOCD_PART_OF = {"app.kubernetes.io/part-of": "argocd"}
ARGOCD_METRICS = ("argocd-metrics", "argocd-server-metrics", "argocd-repo-server", "argocd-applicationset-controller")
"""Argo CD's Services with a `metrics` port (the application controller, server, repo server and
ApplicationSet controller), each scraped by a ServiceMonitor Dockyard renders."""


def argo_cd_settings(platform: Platform) -> list[dict[str, Any]]:
    """Argo CD is configured through its own ConfigMaps, which its install manifest ships (the
    controller and the UI defaults in argocd-cm stay as upstream wrote them): TLS ends at the gateway,
    its public URL, and with SSO, Keycloak as its OIDC provider and read access for those who sign in."""
    scheme = "https" if has(platform, "certs") else "http"
    settings: dict[str, Any] = {"url": f"{scheme}://argocd.{platform.domain}", "admin.enabled": "true"}
    rbac: dict[str, Any] = {}
    if has(platform, "sso"):
        oidc: dict[str, Any] = {
            "name": "Keycloak",
            "issuer": platform_names.keycloak_issuer(platform.domain, platform.name),
            "clientID": ARGOCD,
            "clientSecret": f"${ARGOCD_OIDC}:client-secret",
            "requestedScopes": ["openid", "profile", "email"],
        }
        if _platform_ca(platform):
            oidc["rootCA"] = f"${ARGOCD_TRUST}:ca.crt"
        settings["oidc.config"] = yaml.safe_dump(oidc, sort_keys=True)
        rbac["policy.default"] = "role:readonly"
    patches = [
        obj("v1", "ConfigMap", "argocd-cmd-params-cm", None, data={"server.insecure": "true"}),
        obj("v1", "ConfigMap", "argocd-cm", None, data=settings),
    ]
    if rbac:
        patches.append(obj("v1", "ConfigMap", "argocd-rbac-cm", None, data=rbac))
    return patches


def _platform_ca(platform: Platform) -> bool:
    """Whether the platform's certificates come from Dockyard's own CA (no issuer named in a layer)."""
    return platform.settings.certificate_issuer is None


def argo_cd_objects(platform: Platform, _requests: Sequence[TaskRequest]) -> list[dict[str, Any]]:
    objects = [edge_route(platform, "argocd", ARGOCD, "argocd-server", 80)]
    if has(platform, "metrics"):
        objects += [
            obj(
                "monitoring.coreos.com/v1",
                "ServiceMonitor",
                service,
                ARGOCD,
                spec={
                    "selector": {"matchLabels": {"app.kubernetes.io/name": service}},
                    "endpoints": [{"port": "metrics"}],
                },
            )
            for service in ARGOCD_METRICS
        ]
    if has(platform, "sso") and _platform_ca(platform):
        objects.append(
            obj(
                "cert-manager.io/v1",
                "Certificate",
                ARGOCD_TRUST,
                ARGOCD,
                spec={
                    "secretName": ARGOCD_TRUST,
                    "secretTemplate": {"labels": ARGOCD_PART_OF},
                    "commonName": f"argocd trust of {platform.name}",
                    "privateKey": {"algorithm": "ECDSA", "size": 256},
                    "issuerRef": {"kind": "ClusterIssuer", "name": CA_ISSUER, "group": "cert-manager.io"},
                },
            )
        )
    return objects


def argo_cd_tasks(platform: Platform) -> list[TaskSpec]:
    """With SSO: Argo CD's client in Keycloak (people sign in at argocd.<domain>), its secret in a
    Secret Argo CD reads."""
    if not has(platform, "sso"):
        return []
    return [
        TaskSpec(
            TaskKind.ENSURE_SECRET,
            ARGOCD_OIDC,
            {
                "name": ARGOCD_OIDC,
                "namespaces": [ARGOCD],
                "labels": ARGOCD_PART_OF,
                "keys": {"client-secret": {"generate": "password"}},
            },
        ),
        TaskSpec(
            TaskKind.KEYCLOAK_CLIENT,
            ARGOCD,
            {
                "realm": platform.name,
                "clientId": ARGOCD,
                "title": "Argo CD",
                "scopes": {},
                "redirectUris": [f"https://argocd.{platform.domain}/auth/callback"],
                "secretFrom": {"namespace": ARGOCD, "name": ARGOCD_OIDC, "key": "client-secret"},
            },
        ),
    ]


ARGO_CD = Component(
    name="argo-cd",
    namespace=ARGOCD,
    stage=Stage.PLATFORM_SERVICES,
    features=frozenset({"gitops"}),
    source=ChartSource(
        name="argo-cd",
        version=ARGO_CD_VERSION,
        kind="manifests",
        gomodule="github.com/argoproj/argo-cd/v3",
        path="manifests/install.yaml",
    ),
    patches=argo_cd_settings,
    objects=argo_cd_objects,
    tasks=argo_cd_tasks,
    runtime_secrets=("argocd-redis",),  # its Redis password, made by the redis pod's secret-init container
    kubernetes=("1.34", "1.37"),  # docs/operator-manual/tested-kubernetes-versions.md of v3.6.1
    description="Argo CD, from its own install manifest, for teams that sync their own repos next to Dockyard's.",
)

COMPONENTS = (CERT_MANAGER, ARGO_CD)
