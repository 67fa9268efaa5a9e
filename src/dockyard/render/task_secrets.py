"""Which Secrets each lifecycle task makes, from its request alone: what a pod may read that the
render does not hold (checked by the wiring check; the handlers in deploy/tasks make exactly
these, which the task tests assert against the real API server)."""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.render import platform_names
from dockyard.render.bundle import TaskRequest
from dockyard.render.components.data import role_secret, s3_user_secret


@dataclass(frozen=True)
class MadeSecret:
    namespace: str
    name: str
    keys: frozenset[str]


def secrets_made(request: TaskRequest) -> list[MadeSecret]:
    data = request.data
    if request.kind == "ensure-secret":
        return [MadeSecret(ns, data["name"], frozenset(data["keys"])) for ns in data["namespaces"]]
    if request.kind == "postgres-role":
        credentials = frozenset({"username", "password"})
        return [
            MadeSecret(data["namespace"], role_secret(data["cluster"], data["role"]), credentials),
            MadeSecret(data["secretNamespace"], data["secret"], credentials),
        ]
    if request.kind == "s3-bucket":
        return [
            MadeSecret(platform_names.OBJECT_STORE_NAMESPACE, s3_user_secret(request.name), frozenset({"secretKey"})),
            MadeSecret(data["namespace"], data["secret"], frozenset({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"})),
        ]
    if request.kind == "keycloak-client" and "secretTo" in data:
        target = data["secretTo"]
        return [MadeSecret(target["namespace"], target["name"], frozenset({"client-id", target["key"]}))]
    return []
