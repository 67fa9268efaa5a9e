"""Databases and object storage: the CloudNativePG operator, the platform's shared Postgres
cluster (when `postgres.mode` is shared), and an S3-compatible store for Loki and Tempo."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dockyard.charts.source import ChartSource
from dockyard.model.platform import Platform
from dockyard.render import platform_names
from dockyard.render.bundle import TaskRequest, obj
from dockyard.render.components.component import Component, TaskSpec, has
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


ROLE_TASK = "postgres-role"


def role_secret(cluster: str, role: str) -> str:
    """The basic-auth Secret beside the cluster that holds a role's password (made by the task)."""
    return f"{cluster}-role-{role.replace('_', '-')}"


def shared_postgres(platform: Platform, requests: Sequence[TaskRequest]) -> list[dict[str, Any]]:
    """The shared cluster, declaring a login role per database placed on it (CloudNativePG creates
    them; the passwords are in Secrets the postgres-role task makes, never in the render)."""
    settings = platform.values.get("postgres", {})
    if settings.get("mode", "dedicated") != "shared" and not has(platform, "sso"):
        return []
    cluster = platform_names.POSTGRES_SHARED_CLUSTER
    roles = sorted({r.data["role"] for r in (*requests, *_platform_roles(platform)) if r.kind == ROLE_TASK})
    spec: dict[str, Any] = {
        "instances": settings.get("instances", 1),
        "storage": {"size": settings.get("storage", "1Gi")},
        "monitoring": {"enablePodMonitor": has(platform, "metrics")},
    }
    if roles:
        spec["managed"] = {
            "roles": [
                {
                    "name": role,
                    "ensure": "present",
                    "login": True,
                    "passwordSecret": {"name": role_secret(cluster, role)},
                }
                for role in roles
            ]
        }
    objects = [obj("postgresql.cnpg.io/v1", "Cluster", cluster, platform_names.POSTGRES_SHARED_NAMESPACE, spec=spec)]
    if has(platform, "sso"):  # Keycloak's own database
        objects.append(
            obj(
                "postgresql.cnpg.io/v1",
                "Database",
                "keycloak",
                platform_names.POSTGRES_SHARED_NAMESPACE,
                spec={"name": "keycloak", "owner": "keycloak", "cluster": {"name": cluster}},
            )
        )
    return objects


def _platform_roles(platform: Platform) -> list[TaskSpec]:
    return keycloak_database_role() if has(platform, "sso") else []


def keycloak_database_role() -> list[TaskSpec]:
    return [
        TaskSpec(
            ROLE_TASK,
            "keycloak",
            {
                "cluster": platform_names.POSTGRES_SHARED_CLUSTER,
                "namespace": platform_names.POSTGRES_SHARED_NAMESPACE,
                "role": "keycloak",
                "secret": "keycloak-database",
                "secretNamespace": platform_names.IDENTITY_NAMESPACE,
            },
        )
    ]


PLATFORM_POSTGRES = Component(
    name="platform-postgres",
    namespace=platform_names.POSTGRES_SHARED_NAMESPACE,
    stage="platform-services",
    features=frozenset({"postgres"}),
    objects=shared_postgres,
    tasks=_platform_roles,
    description="The shared Postgres cluster (postgres.mode shared, and Keycloak's database).",
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
    tasks=lambda _platform: [
        TaskSpec(
            "ensure-secret",
            STORAGE_SECRET,
            {
                "name": STORAGE_SECRET,
                "namespaces": ["dockyard-storage", platform_names.OBSERVABILITY_NAMESPACE],
                "keys": {
                    "rootUser": {"value": "dockyard"},
                    "rootPassword": {"generate": "password"},
                    "AWS_ACCESS_KEY_ID": {"sameAs": "rootUser"},
                    "AWS_SECRET_ACCESS_KEY": {"sameAs": "rootPassword"},
                },
            },
        )
    ],
    description="MinIO (standalone) holding Loki's chunks and Tempo's traces.",
)

COMPONENTS = (CLOUDNATIVE_PG, PLATFORM_POSTGRES, OBJECT_STORE)
