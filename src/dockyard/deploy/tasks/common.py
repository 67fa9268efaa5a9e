"""What every task gets: the connection, a progress callback, and how to reach in-cluster APIs."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dockyard.deploy.client import Connection, ObjectError
from dockyard.errors import DockyardError


class TaskFailed(DockyardError):
    """A lifecycle task could not do its work; the message says what and never holds a secret."""


@dataclass(frozen=True)
class TaskContext:
    connection: Connection
    progress: Callable[[str], None]
    keycloak_url: str | None = None
    """Keycloak's base URL as this machine reaches it; None: through the API server's service proxy."""
    provided: Mapping[tuple[str, str], Mapping[str, str]] = field(default_factory=dict, repr=False)
    """Generated values the repo keeps, by (namespace, Secret) and key: used instead of generating
    one where the cluster's Secret lacks it (dockyard/secrets/generated.py)."""

    def kept(self, namespace: str, name: str) -> Mapping[str, str]:
        return self.provided.get((namespace, name), {})


def secret_ref(namespace: str, name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace}}


def read_secret(connection: Connection, namespace: str, name: str) -> dict[str, str] | None:
    """The decoded values of a Secret, or None if it does not exist."""
    live = connection.get(secret_ref(namespace, name))
    if live is None:
        return None
    return {k: base64.b64decode(v).decode() for k, v in (live.get("data") or {}).items()}


def encode(values: dict[str, str]) -> dict[str, str]:
    return {k: base64.b64encode(v.encode()).decode() for k, v in sorted(values.items())}


def succeeded(result: dict[str, Any] | ObjectError, what: str) -> dict[str, Any]:
    if isinstance(result, ObjectError):
        raise TaskFailed(f"{what}: {result.message}")
    return result
