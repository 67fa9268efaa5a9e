"""Credentials the cluster generated (database passwords, object-store keys, OIDC client secrets),
kept in the repo's encrypted secrets so that a cluster can be rebuilt from git with the same ones.

`dockyard secrets export-generated` reads the Secrets Dockyard's lifecycle tasks made (labelled
managed by Dockyard, annotated with the task) and writes their values under
`generated.<namespace>.<name>.<key>` of a secrets file (secrets/<cluster>.yaml by default). At
apply time the tasks take a value from there instead of generating one, wherever the cluster's
Secret lacks it; a value the cluster has is never replaced (a running database depends on it).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from lightkube.resources.core_v1 import Secret

from dockyard.deploy.client import Connection
from dockyard.deploy.tasks.secrets import TASK_ANNOTATION

GENERATED = "generated"
MANAGED_BY: dict[str, Any] = {"app.kubernetes.io/managed-by": "dockyard"}

Provided = Mapping[tuple[str, str], Mapping[str, str]]
"""Values kept in the repo, by (namespace, Secret name), then by key."""


def read_generated(connection: Connection) -> dict[str, dict[str, dict[str, str]]]:
    """{namespace: {name: {key: value}}} of every Secret a lifecycle task made."""
    found: dict[str, dict[str, dict[str, str]]] = {}
    for secret in connection.client.list(Secret, namespace="*", labels=MANAGED_BY):
        metadata = secret.metadata
        if metadata is None or TASK_ANNOTATION not in (metadata.annotations or {}):
            continue
        values = {key: base64.b64decode(value).decode() for key, value in sorted((secret.data or {}).items())}
        if values and metadata.namespace and metadata.name:
            found.setdefault(metadata.namespace, {})[metadata.name] = values
    return found


def provided_by(values_by_layer: list[Mapping[str, Any]]) -> dict[tuple[str, str], dict[str, str]]:
    """The kept values of the cluster's layers (decrypted), generic to specific: a more specific
    layer's value wins, key by key."""
    provided: dict[tuple[str, str], dict[str, str]] = {}
    for values in values_by_layer:
        tree = values.get(GENERATED)
        if not isinstance(tree, Mapping):
            continue
        for namespace, secrets in tree.items():
            for name, keys in (secrets if isinstance(secrets, Mapping) else {}).items():
                for key, value in (keys if isinstance(keys, Mapping) else {}).items():
                    if isinstance(value, str | int | float) and not isinstance(value, bool):
                        provided.setdefault((str(namespace), str(name)), {})[str(key)] = str(value)
    return provided
