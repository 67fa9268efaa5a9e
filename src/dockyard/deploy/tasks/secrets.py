"""Secrets no render may hold: generated once in the cluster, kept, and copied where needed.

A value that exists is never replaced (a running database or an issued cookie depends on it);
only missing keys are added, and copies follow the first namespace's Secret.
"""

from __future__ import annotations

import base64
import secrets as random
from collections.abc import Mapping
from typing import Any

from dockyard.deploy.tasks.common import TaskContext, TaskFailed, encode, read_secret, secret_ref, succeeded
from dockyard.render.bundle import TaskRequest
from dockyard.render.components.data import role_secret, s3_access_key, s3_user_secret
from dockyard.render.platform_names import OBJECT_STORE_NAMESPACE
from dockyard.render.task_data import EnsureSecret, KeyValue, PostgresRole, S3Bucket

TASK_ANNOTATION = "dockyard.dev/task"
GENERATORS = {
    "password": lambda: random.token_urlsafe(24),
    "cookie-secret": lambda: random.token_urlsafe(24),  # 32 characters, as oauth2-proxy wants
}


def _generate(
    keys: Mapping[str, KeyValue], current: dict[str, str], kept: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The values of `keys`: current ones kept, literal ones set, those the repo keeps taken (see
    dockyard/secrets/generated.py), the others generated, copies last."""
    values = dict(current)
    for key, spec in sorted(keys.items()):
        if key in values or "sameAs" in spec:
            continue
        if "value" in spec:
            values[key] = str(spec["value"])
        elif kept is not None and key in kept:
            values[key] = kept[key]
        elif spec.get("generate") in GENERATORS:
            values[key] = GENERATORS[spec["generate"]]()
        else:
            raise TaskFailed(f"key {key}: unknown generator {spec.get('generate')!r}")
    for key, spec in sorted(keys.items()):
        if key not in values and "sameAs" in spec:
            values[key] = values[spec["sameAs"]]
    return values


def write_secret(
    context: TaskContext,
    namespace: str,
    name: str,
    values: dict[str, str],
    secret_type: str,
    task: str,
    labels: dict[str, str] | None = None,
) -> str:
    """Make the Secret hold `values` and carry `labels` (create it, or patch what differs):
    created/updated/unchanged."""
    live = context.connection.get(secret_ref(namespace, name))
    where = f"Secret {namespace}/{name}"
    wanted_labels = {"app.kubernetes.io/managed-by": "dockyard", **(labels or {})}
    if live is None:
        manifest = secret_ref(namespace, name)
        manifest["type"] = secret_type
        manifest["metadata"]["labels"] = wanted_labels
        manifest["metadata"]["annotations"] = {TASK_ANNOTATION: task}
        manifest["data"] = encode(values)
        succeeded(context.connection.create(manifest), f"cannot create {where}")
        return "created"
    current = {k: base64.b64decode(v).decode() for k, v in (live.get("data") or {}).items()}
    changed = {k: v for k, v in values.items() if current.get(k) != v}
    live_labels = live["metadata"].get("labels") or {}
    missing = {k: v for k, v in (labels or {}).items() if live_labels.get(k) != v}
    if not changed and not missing:
        return "unchanged"
    patch: dict[str, Any] = {}
    if changed:
        patch["data"] = encode(changed)
    if missing:
        patch["metadata"] = {"labels": missing}
    succeeded(context.connection.merge_patch(secret_ref(namespace, name), patch), f"cannot update {where}")
    return "updated"


def ensure_secret(request: TaskRequest, context: TaskContext) -> str:
    data = request.payload(EnsureSecret)
    name, namespaces = data["name"], data["namespaces"]
    secret_type = data.get("type", "Opaque")
    primary = read_secret(context.connection, namespaces[0], name) or {}
    values = _generate(data["keys"], primary, context.kept(namespaces[0], name))
    labels = data.get("labels")
    results = [
        f"{ns} {write_secret(context, ns, name, values, secret_type, request.kind, labels)}" for ns in namespaces
    ]
    return ", ".join(results)


def postgres_role(request: TaskRequest, context: TaskContext) -> str:
    """The role's password in a basic-auth Secret beside the shared cluster (CloudNativePG sets it on
    the role the Cluster declares), and the same credentials in the service's namespace."""
    data = request.payload(PostgresRole)
    role = data["role"]
    beside = role_secret(data["cluster"], role)
    current = read_secret(context.connection, data["namespace"], beside) or {}
    if not current:  # the copy in the service's namespace may outlive the one beside the cluster
        current = read_secret(context.connection, data["secretNamespace"], data["secret"]) or {}
        current = {"password": current["password"]} if "password" in current else {}
    kept = context.kept(data["namespace"], beside)
    values = _generate({"username": {"value": role}, "password": {"generate": "password"}}, current, kept)
    first = write_secret(context, data["namespace"], beside, values, "kubernetes.io/basic-auth", request.kind)
    second = write_secret(context, data["secretNamespace"], data["secret"], values, "Opaque", request.kind)
    return f"{data['namespace']}/{beside} {first}, {data['secretNamespace']}/{data['secret']} {second}"


def s3_credentials(request: TaskRequest, context: TaskContext) -> str:
    """A service's key on the object store: the secret key generated once, beside the store (whose
    identity for the resource, on its bucket alone, reads it from there) and in the service's
    namespace with the access key id, as the s3 provisioner's outputs reference them."""
    data = request.payload(S3Bucket)
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": OBJECT_STORE_NAMESPACE}}
    if context.connection.get(namespace) is None:
        raise TaskFailed(
            f"namespace {OBJECT_STORE_NAMESPACE} does not exist: s3 resources need the object-store component "
            "(profiles full and complete, or components.object-store.enabled in a layer)"
        )
    current = read_secret(context.connection, data["namespace"], data["secret"]) or {}
    beside = s3_user_secret(request.name)
    if "AWS_SECRET_ACCESS_KEY" not in current:  # the store's copy may outlive the service's
        stored = read_secret(context.connection, OBJECT_STORE_NAMESPACE, beside) or {}
        current = {"AWS_SECRET_ACCESS_KEY": stored["secretKey"]} if "secretKey" in stored else {}
    kept = context.kept(data["namespace"], data["secret"])
    values = _generate({"AWS_SECRET_ACCESS_KEY": {"generate": "password"}}, current, kept)
    values["AWS_ACCESS_KEY_ID"] = s3_access_key(request.name)
    first = write_secret(
        context, OBJECT_STORE_NAMESPACE, beside, {"secretKey": values["AWS_SECRET_ACCESS_KEY"]}, "Opaque", request.kind
    )
    second = write_secret(context, data["namespace"], data["secret"], values, "Opaque", request.kind)
    return f"{OBJECT_STORE_NAMESPACE}/{beside} {first}, {data['namespace']}/{data['secret']} {second}"
