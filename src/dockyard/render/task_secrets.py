"""Which Secrets each lifecycle task makes, from its request alone: what a pod may read that the
render does not hold (checked by the wiring check; the handlers in deploy/tasks make exactly
these, which the task tests assert against the real API server)."""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.render import platform_names
from dockyard.render.bundle import TaskRequest
from dockyard.render.components.data import role_secret, s3_user_secret
from dockyard.render.task_data import EnsureSecret, KeycloakClient, PostgresRole, S3Bucket, TaskKind


@dataclass(frozen=True)
class MadeSecret:
    namespace: str
    name: str
    keys: frozenset[str]


def secrets_made(request: TaskRequest) -> list[MadeSecret]:
    if request.kind == TaskKind.ENSURE_SECRET:
        generated = request.payload(EnsureSecret)
        return [MadeSecret(ns, generated["name"], frozenset(generated["keys"])) for ns in generated["namespaces"]]
    if request.kind == TaskKind.POSTGRES_ROLE:
        data = request.payload(PostgresRole)
        credentials = frozenset({"username", "password"})
        return [
            MadeSecret(data["namespace"], role_secret(data["cluster"], data["role"]), credentials),
            MadeSecret(data["secretNamespace"], data["secret"], credentials),
        ]
    if request.kind == TaskKind.S3_BUCKET:
        bucket = request.payload(S3Bucket)
        return [
            MadeSecret(platform_names.OBJECT_STORE_NAMESPACE, s3_user_secret(request.name), frozenset({"secretKey"})),
            MadeSecret(
                bucket["namespace"], bucket["secret"], frozenset({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"})
            ),
        ]
    client = request.payload(KeycloakClient) if request.kind == TaskKind.KEYCLOAK_CLIENT else None
    if client is not None and "secretTo" in client:
        target = client["secretTo"]
        return [MadeSecret(target["namespace"], target["name"], frozenset({"client-id", target["key"]}))]
    return []
