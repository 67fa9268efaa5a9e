"""Databases and object storage: the CloudNativePG operator, the platform's shared Postgres
cluster (when `postgres.mode` is shared), and an S3-compatible store for Loki and Tempo."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import yaml

from dockyard.charts.source import ChartSource
from dockyard.model.platform import Platform
from dockyard.render import platform_names
from dockyard.render.bundle import Stage, TaskRequest, obj
from dockyard.render.components.component import Component, TaskSpec, has
from dockyard.render.components.observability import STORAGE_SECRET
from dockyard.render.task_data import PostgresRole, S3Bucket, TaskKind, payload

CLOUDNATIVE_PG = Component(
    name="cloudnative-pg",
    namespace="cnpg-system",
    stage=Stage.PLATFORM_SERVICES,
    features=frozenset({"postgres"}),
    source=ChartSource(
        name="cloudnative-pg",
        version="v1.30.0",
        kind="manifests",
        gomodule="github.com/cloudnative-pg/cloudnative-pg",
        path="releases/cnpg-1.30.0.yaml",
    ),
    kubernetes=("1.34", "1.36"),  # docs/src/supported_releases.md of the v1.30.0 module
    description="The CloudNativePG operator and its CRDs, from the project's release manifest.",
)


ROLE_TASK = TaskKind.POSTGRES_ROLE


def role_secret(cluster: str, role: str) -> str:
    """The basic-auth Secret beside the cluster that holds a role's password (made by the task)."""
    return f"{cluster}-role-{role.replace('_', '-')}"


def shared_postgres(platform: Platform, requests: Sequence[TaskRequest]) -> list[dict[str, Any]]:
    """The shared cluster, declaring a login role per database placed on it (CloudNativePG creates
    them; the passwords are in Secrets the postgres-role task makes, never in the render)."""
    settings = platform.settings.postgres
    if settings.mode != "shared" and not has(platform, "sso"):
        return []
    cluster = platform_names.POSTGRES_SHARED_CLUSTER
    wanted = [r.payload(PostgresRole) for r in requests if r.kind == ROLE_TASK]
    wanted += [payload(t.kind, t.data, PostgresRole) for t in _platform_roles(platform)]
    roles = sorted({data["role"] for data in wanted})
    spec: dict[str, Any] = {
        "instances": settings.instances,
        "storage": {"size": settings.storage},
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
    stage=Stage.PLATFORM_SERVICES,
    features=frozenset({"postgres"}),
    objects=shared_postgres,
    tasks=_platform_roles,
    description="The shared Postgres cluster (postgres.mode shared, and Keycloak's database).",
)


S3_TASK = TaskKind.S3_BUCKET
PLATFORM_BUCKETS = ("loki-chunks", "loki-ruler", "loki-admin", "tempo-traces")
PLATFORM_ACCESS_KEY = "dockyard"
"""Loki's and Tempo's access key id on the object store (not secret; the secret key is generated)."""
IDENTITIES = "object-store-identities"
"""The ConfigMap holding the store's S3 identities: names, access key ids, bucket actions and the
environment variables that carry the secret keys (never a key itself)."""
IDENTITIES_DIR = "/etc/dockyard/s3"
BUCKET_ACTIONS = ("Read", "Write", "List", "Tagging")
"""What an identity may do on its own buckets: objects and their tags, never the bucket's settings."""
SEAWEEDFS_MODULE = "github.com/seaweedfs/seaweedfs"
SEAWEEDFS_VERSION = "v0.0.0-20261109003541-7506e5f91cd6"
"""SeaweedFS tags its releases `4.53` (not semver), so the Go module proxy serves its commits as
pseudo-versions; this one is the chart 4.53.0 with the image chrislusf/seaweedfs:4.53."""


def s3_access_key(request_name: str) -> str:
    """A service's access key id on the object store: derived from its resource, 20 characters
    (AWS's length), not secret; the secret key is generated by the s3-bucket task."""
    return "dy" + hashlib.sha256(request_name.encode()).hexdigest()[:18]


def s3_user_secret(request_name: str) -> str:
    """The Secret beside the object store holding a service's secret key (made by the task)."""
    return f"s3-user-{request_name}"


def _secret_env(access_key: str) -> str:
    return f"S3_SECRET_{access_key.upper()}"


def _s3_requests(requests: Sequence[TaskRequest]) -> list[TaskRequest]:
    return sorted((r for r in requests if r.kind == S3_TASK), key=lambda r: r.name)


def _identity(name: str, access_key: str, buckets: Sequence[str]) -> dict[str, Any]:
    return {
        "name": name,
        "credentials": [{"accessKey": access_key, "secretKey": f"${{{_secret_env(access_key)}}}"}],
        "actions": [f"{action}:{bucket}" for bucket in buckets for action in BUCKET_ACTIONS],
    }


def s3_identities(requests: Sequence[TaskRequest]) -> str:
    """SeaweedFS's S3 configuration: Loki and Tempo on the platform's buckets, each s3 resource on
    its own bucket alone. Secret keys are `${VAR}` references the server resolves from its
    environment (the variables come from Secrets), so this file holds nothing secret."""
    identities = [_identity("platform", PLATFORM_ACCESS_KEY, PLATFORM_BUCKETS)] + [
        _identity(r.name, s3_access_key(r.name), [r.payload(S3Bucket)["bucket"]]) for r in _s3_requests(requests)
    ]
    return json.dumps({"identities": identities}, indent=2, sort_keys=True) + "\n"


def object_store_values(platform: Platform) -> dict[str, Any]:
    return object_store_values_for(platform, ())


def object_store_values_for(platform: Platform, requests: Sequence[TaskRequest]) -> dict[str, Any]:
    """SeaweedFS in one pod (master, volume, filer and S3 gateway) on a volume claim; its bucket job
    makes the platform's buckets and one per s3 resource; the S3 identities come from Dockyard's
    ConfigMap, their secret keys from Secrets as environment variables, and a change to them rolls
    the pod (the file is read at start)."""
    wanted = _s3_requests(requests)
    secret_keys = {
        _secret_env(PLATFORM_ACCESS_KEY): {"secretKeyRef": {"name": STORAGE_SECRET, "key": "AWS_SECRET_ACCESS_KEY"}}
    }
    for r in wanted:
        secret_keys[_secret_env(s3_access_key(r.name))] = {
            "secretKeyRef": {"name": s3_user_secret(r.name), "key": "secretKey"}
        }
    config = s3_identities(requests)
    return {
        "fullnameOverride": "object-store",
        "master": {"enabled": False},
        "volume": {"enabled": False},
        "filer": {"enabled": False},
        "global": {
            "seaweedfs": {
                "createClusterRole": False,
                "monitoring": {"enabled": has(platform, "metrics")},
            }
        },
        "allInOne": {
            "enabled": True,
            "data": {"type": "persistentVolumeClaim", "size": "10Gi"},
            "s3": {
                "enabled": True,
                "createBuckets": [
                    {"name": b} for b in (*PLATFORM_BUCKETS, *(r.payload(S3Bucket)["bucket"] for r in wanted))
                ],
            },
            "extraArgs": [f"-s3.config={IDENTITIES_DIR}/identities.json"],
            "extraVolumes": yaml.safe_dump([{"name": "dockyard-identities", "configMap": {"name": IDENTITIES}}]),
            "extraVolumeMounts": yaml.safe_dump(
                [{"name": "dockyard-identities", "mountPath": IDENTITIES_DIR, "readOnly": True}]
            ),
            "secretExtraEnvironmentVars": secret_keys,
            "podAnnotations": {"dockyard.dev/s3-identities": hashlib.sha256(config.encode()).hexdigest()},
            "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "2Gi"}},
        },
    }


def object_store_objects(_platform: Platform, requests: Sequence[TaskRequest]) -> list[dict[str, Any]]:
    return [
        obj(
            "v1",
            "ConfigMap",
            IDENTITIES,
            platform_names.OBJECT_STORE_NAMESPACE,
            data={"identities.json": s3_identities(requests)},
        )
    ]


OBJECT_STORE = Component(
    name="object-store",
    namespace=platform_names.OBJECT_STORE_NAMESPACE,
    stage=Stage.PLATFORM_SERVICES,
    features=frozenset({"logs", "traces"}),
    source=ChartSource(
        name="seaweedfs", version=SEAWEEDFS_VERSION, gomodule=SEAWEEDFS_MODULE, path="k8s/charts/seaweedfs"
    ),
    values=object_store_values,
    request_values=object_store_values_for,
    objects=object_store_objects,
    exclude_kinds=("Secret",),
    tasks=lambda _platform: [
        TaskSpec(
            TaskKind.ENSURE_SECRET,
            STORAGE_SECRET,
            {
                "name": STORAGE_SECRET,
                "namespaces": [platform_names.OBJECT_STORE_NAMESPACE, platform_names.OBSERVABILITY_NAMESPACE],
                "keys": {
                    "AWS_ACCESS_KEY_ID": {"value": PLATFORM_ACCESS_KEY},
                    "AWS_SECRET_ACCESS_KEY": {"generate": "password"},
                },
            },
        )
    ],
    description="SeaweedFS (all in one pod, from its own Go module) holding Loki's chunks, Tempo's traces "
    "and services' buckets.",
)

COMPONENTS = (CLOUDNATIVE_PG, PLATFORM_POSTGRES, OBJECT_STORE)
