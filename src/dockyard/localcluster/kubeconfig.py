"""Kubeconfigs for the local control plane: one file per component, and the user's context.

`up` adds the context `dockyard-NAME` to the user's kubeconfig (the first file of
$KUBECONFIG, else ~/.kube/config), as kind does, and makes it current; `down --purge`
takes it out again. Other contexts in that file are never touched.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import yaml

from dockyard.atomic import write_atomic
from dockyard.localcluster.pki import Pki
from dockyard.locations import user_kubeconfig


def context_name(cluster: str) -> str:
    return f"dockyard-{cluster}"


def build(cluster: str, server: str, pki: Pki, client: str) -> dict[str, Any]:
    """A complete kubeconfig for `client` (a key of pki.CLIENTS), with certificates inline."""
    name = context_name(cluster)
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server, "certificate-authority-data": _b64(pki.ca_cert)}}],
        "users": [
            {
                "name": name,
                "user": {
                    "client-certificate-data": _b64(pki.client_cert(client)),
                    "client-key-data": _b64(pki.client_key(client)),
                },
            }
        ],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
        "preferences": {},
    }


def write(path: Path, config: dict[str, Any]) -> None:
    """Write a kubeconfig atomically, readable only by its owner."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, yaml.safe_dump(config, sort_keys=False).encode(), mode=0o600)


def merge_into_user_config(config: dict[str, Any]) -> Path:
    """Add (or replace) this cluster's entries in the user's kubeconfig and make it current."""
    path = user_kubeconfig()
    existing = _read(path)
    name = config["current-context"]
    for section in ("clusters", "users", "contexts"):
        kept = [entry for entry in existing.get(section) or [] if entry.get("name") != name]
        existing[section] = kept + config[section]
    existing["current-context"] = name
    write(path, existing)
    return path


def remove_from_user_config(cluster: str) -> None:
    path = user_kubeconfig()
    if not path.exists():
        return
    existing = _read(path)
    name = context_name(cluster)
    for section in ("clusters", "users", "contexts"):
        existing[section] = [entry for entry in existing.get(section) or [] if entry.get("name") != name]
    if existing.get("current-context") == name:
        existing["current-context"] = ""
    write(path, existing)


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"apiVersion": "v1", "kind": "Config", "preferences": {}}
    loaded = yaml.safe_load(path.read_text()) or {}
    return loaded if isinstance(loaded, dict) else {}


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()
