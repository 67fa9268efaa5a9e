"""Whom the local API server lets in besides its client certificates: the JWT issuers of its
AuthenticationConfiguration file (`apiserver.config.k8s.io/v1`, `--authentication-config`).

The file starts with none. `trust` writes the issuers a platform's sign-in uses (made by
`identity.api_server_authenticator`); the API server reloads the file while it runs, so a person's
token from the platform's Keycloak signs them in with the groups RBAC binds."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dockyard.atomic import write_atomic

API_VERSION = "apiserver.config.k8s.io/v1"
"""Served from Kubernetes 1.34 (v1beta1 from 1.30): the local control plane runs a newer one."""


def api_version(kubernetes: str) -> str | None:
    """The AuthenticationConfiguration version an API server of `kubernetes` (`1.33`) reads with
    these fields (JWT issuers, claim and user validation expressions); None before 1.30."""
    major, minor = (int(part) for part in kubernetes.split(".")[:2])
    if (major, minor) >= (1, 34):
        return API_VERSION
    if (major, minor) >= (1, 30):
        return "apiserver.config.k8s.io/v1beta1"
    return None


def configuration(authenticators: Sequence[Mapping[str, Any]], version: str = API_VERSION) -> dict[str, Any]:
    return {"apiVersion": version, "kind": "AuthenticationConfiguration", "jwt": [dict(a) for a in authenticators]}


def ensure(path: Path) -> None:
    """The file exists (with no issuers when new); issuers trusted before are kept across restarts."""
    if not path.exists():
        _write(path, configuration([]))


def trust(path: Path, authenticators: Sequence[Mapping[str, Any]]) -> None:
    """The API server trusts exactly these issuers (it picks the change up within seconds)."""
    _write(path, configuration(authenticators))


def trusted(path: Path) -> list[dict[str, Any]]:
    loaded = json.loads(path.read_text())
    return list(loaded.get("jwt") or [])


def _write(path: Path, config: dict[str, Any]) -> None:
    # JSON is YAML: the API server reads either; written whole, so a reload never sees half a file
    write_atomic(path, json.dumps(config, indent=2, sort_keys=True).encode() + b"\n")
