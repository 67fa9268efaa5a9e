"""Databases and object storage: the CloudNativePG operator, the platform's shared Postgres
cluster (when `postgres.mode` is shared), and an S3-compatible store for Loki and Tempo."""

from __future__ import annotations

from typing import Any

from dockyard.charts.source import ChartSource
from dockyard.model.platform import Platform
from dockyard.render import platform_names
from dockyard.render.bundle import obj
from dockyard.render.components.component import Component, has
from dockyard.render.components.observability import STORAGE_SECRET

CLOUDNATIVE_PG = Component(
    name="cloudnative-pg",
    namespace="cnpg-system",
    stage="platform-services",
    features=frozenset({"postgres"}),
    source=ChartSource(
        name="cloudnative-pg",
        version="v1.27.1",
        kind="manifests",
        gomodule="github.com/cloudnative-pg/cloudnative-pg",
        path="releases/cnpg-1.27.1.yaml",
    ),
    description="The CloudNativePG operator and its CRDs, from the project's release manifest.",
)


def shared_postgres(platform: Platform) -> list[dict[str, Any]]:
    settings = platform.values.get("postgres", {})
    if settings.get("mode", "dedicated") != "shared":
        return []
    return [
        obj(
            "postgresql.cnpg.io/v1",
            "Cluster",
            platform_names.POSTGRES_SHARED_CLUSTER,
            platform_names.POSTGRES_SHARED_NAMESPACE,
            spec={
                "instances": settings.get("instances", 1),
                "storage": {"size": settings.get("storage", "1Gi")},
                "enableSuperuserAccess": True,
                "monitoring": {"enablePodMonitor": has(platform, "metrics")},
            },
        )
    ]


PLATFORM_POSTGRES = Component(
    name="platform-postgres",
    namespace=platform_names.POSTGRES_SHARED_NAMESPACE,
    stage="platform-services",
    features=frozenset({"postgres"}),
    objects=shared_postgres,
    description="The shared Postgres cluster services' databases live on when postgres.mode is shared.",
)


def object_store_values(_platform: Platform) -> dict[str, Any]:
    buckets = ("loki-chunks", "loki-ruler", "loki-admin", "tempo-traces")
    return {
        "mode": "standalone",
        "replicas": 1,
        "fullnameOverride": "object-store",
        "existingSecret": STORAGE_SECRET,
        "persistence": {"size": "10Gi"},
        "resources": {"requests": {"memory": "512Mi"}},
        "buckets": [{"name": b, "policy": "none", "purge": False} for b in buckets],
        "metrics": {"serviceMonitor": {"enabled": True}},
    }


OBJECT_STORE = Component(
    name="object-store",
    namespace="dockyard-storage",
    stage="platform-services",
    features=frozenset({"logs", "traces"}),
    source=ChartSource(name="minio", version="5.4.0", repository="https://charts.min.io/"),
    values=object_store_values,
    description="MinIO (standalone) holding Loki's chunks and Tempo's traces.",
)

COMPONENTS = (CLOUDNATIVE_PG, PLATFORM_POSTGRES, OBJECT_STORE)
