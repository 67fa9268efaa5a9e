"""Credentials the cluster generated (database passwords, object-store keys, OIDC client secrets),
kept in the repo's encrypted secrets so that a cluster can be rebuilt from git with the same ones.

`dockyard secrets export-generated` reads the Secrets this platform's lifecycle tasks make (named by
the render's task requests) and writes their values under
`generated.<namespace>.<name>.<key>` of a secrets file (secrets/<cluster>.yaml by default). At
apply time the tasks take a value from there instead of generating one, wherever the cluster's
Secret lacks it; a value the cluster has is never replaced (a running database depends on it).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from dockyard.deploy.client import Connection

GENERATED = "generated"

Provided = Mapping[tuple[str, str], Mapping[str, str]]
"""Values kept in the repo, by (namespace, Secret name), then by key."""


def read_generated(
    connection: Connection, targets: Mapping[tuple[str, str], frozenset[str]]
) -> dict[str, dict[str, dict[str, str]]]:
    """{namespace: {name: {key: value}}} of the Secrets this platform's lifecycle tasks make
    (`targets`: (namespace, name) -> keys, from the render's task requests), as the cluster holds
    them: no other platform's Secret, and a key a task added to a Secret that existed before too."""
    found: dict[str, dict[str, dict[str, str]]] = {}
    for (namespace, name), wanted in sorted(targets.items()):
        live = connection.get(
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace}}
        )
        data = (live or {}).get("data") or {}
        values = {key: base64.b64decode(data[key]).decode() for key in sorted(wanted) if key in data}
        if values:
            found.setdefault(namespace, {})[name] = values
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
