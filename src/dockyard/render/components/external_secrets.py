"""External Secrets Operator: Secrets kept in a secret manager (Vault, a cloud's) instead of the
repo, for services whose `secret` resource says `from: store`. On when a service asks for it (or a
layer switches it on); no profile brings it.

Both parts come from the operator's own Go module: its CRDs as the published bundle, and its chart
from the source tree with the CRDs left to that bundle. The chart's optional `bitwarden-sdk-server`
subchart (off by default) is vendored only by the upstream's release, from a module not served
here: it is left out, and cannot be switched on. The stores themselves (a ClusterSecretStore per
secret manager, with its address and how the operator authenticates) are the platform team's:
the chart's `extraObjects` value renders them with the operator."""

from __future__ import annotations

from typing import Any

from dockyard.charts.source import ChartSource
from dockyard.errors import Position
from dockyard.model.platform import Platform
from dockyard.render.bundle import Stage
from dockyard.render.components.component import Component, Requires, installs

NAMESPACE = "dockyard-secrets"
MODULE = "github.com/external-secrets/external-secrets"
VERSION = "v1.3.2"
"""The newest release the module proxy serves whole here; its chart inside says 1.3.1 (the tag's
release notes: an image rebuild)."""
KUBERNETES = ("1.34", "1.34")
"""The upstream's support table for 1.3: the one Kubernetes version its tests run on."""
STORE = "store"
"""The `secret` resource's `from` that asks for the operator."""


def wanted(platform: Platform) -> Position | None:
    """Where the first service asks for a Secret from a store (None: none does)."""
    for service in platform.services:
        for resource in service.resources:
            if resource.type == "secret" and resource.params.get("from") == STORE:
                return service.source.position(("resources", resource.id, "params", "from"))
    return None


def values(platform: Platform) -> dict[str, Any]:
    return {
        "installCRDs": False,  # from the CRD bundle (external-secrets-crds), in the CRD stage
        "bitwarden-sdk-server": {"enabled": False},  # left out of the chart (see the module's docstring)
        "serviceMonitor": {"enabled": installs(platform, "kube-prometheus-stack", "metrics")},
        "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
    }


EXTERNAL_SECRETS_CRDS = Component(
    name="external-secrets-crds",
    namespace=NAMESPACE,
    stage=Stage.PLATFORM_SERVICES,
    features=frozenset(),
    source=ChartSource(
        name="external-secrets-crds", version=VERSION, kind="manifests", gomodule=MODULE, path="deploy/crds/bundle.yaml"
    ),
    kubernetes=KUBERNETES,
    wanted=wanted,
    description="The External Secrets Operator's CRDs (ExternalSecret, SecretStore, ClusterSecretStore, ...).",
)

EXTERNAL_SECRETS = Component(
    name="external-secrets",
    namespace=NAMESPACE,
    stage=Stage.PLATFORM_SERVICES,
    features=frozenset(),
    source=ChartSource(
        name="external-secrets",
        version=VERSION,
        gomodule=MODULE,
        path="deploy/charts/external-secrets",
        without=("bitwarden-sdk-server",),
    ),
    values=values,
    kubernetes=KUBERNETES,
    requires=(
        Requires(
            "external-secrets-crds",
            minimum=VERSION,
            maximum=VERSION,
            reason="the operator and its CRDs are one release",
        ),
    ),
    runtime_secrets=("external-secrets-webhook",),
    wanted=wanted,
    description="External Secrets Operator: Secrets from a secret manager, for `secret` resources `from: store`.",
)

COMPONENTS = (EXTERNAL_SECRETS_CRDS, EXTERNAL_SECRETS)
