"""The repo's encrypted secrets as one cluster sees them: which file holds each key, and its
ciphertext. Nothing here can decrypt (values are opened at apply time, dockyard/secrets/unseal.py);
render needs only to know that a key exists, and a digest of its ciphertext that changes when
its value does.

Layers, most specific first: services/<name>/secrets.yaml (that service only), then
secrets/<cluster>.yaml, secrets/<environment>.yaml, secrets/platform.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dockyard.errors import Position
from dockyard.load.yamlsafe import Document

METADATA_KEY = "sops"
ENCRYPTED_PREFIX = "ENC[AES256_GCM,"


class Unusable(Exception):
    """A secret's key holds no encrypted value; the message says where (a Problem at `position`)."""

    def __init__(self, position: Position, message: str) -> None:
        super().__init__(message)
        self.position = position


@dataclass(frozen=True)
class SealedValue:
    """One secret as the repo holds it: its file, dotted key and ciphertext (or, for a value sops
    leaves unencrypted, its text)."""

    file: str
    key: str
    ciphertext: str
    position: Position


@dataclass(frozen=True)
class SealedSecrets:
    layers: tuple[Document, ...] = ()
    """secrets/platform.yaml, secrets/<environment>.yaml, secrets/<cluster>.yaml: those that exist, in that order."""
    services: Mapping[str, Document] = field(default_factory=dict)
    """services/<name>/secrets.yaml, by service name."""
    names: tuple[str, ...] = ("secrets/platform.yaml",)
    """The layer files this cluster reads, generic to specific, whether they exist or not."""

    def lookup(self, service: str, key: str) -> SealedValue | None:
        """`key` (dotted) as the most specific layer holds it for `service`; None when none does.
        Unusable when the most specific layer that has the key holds no encrypted value there
        (empty, null, a list, a mapping, or text sops leaves in clear): never a fall-through to a
        less specific layer, which a tampered file could otherwise cause."""
        path = tuple(key.split("."))
        for document in self.searched(service):
            found, value = _at(document.data, path)
            if not found:
                continue
            if isinstance(value, str) and value.startswith(ENCRYPTED_PREFIX):
                return SealedValue(document.file, key, value, document.position(path))
            raise Unusable(
                document.position(path),
                f"`{key}` in {document.file} is not an encrypted value ({_what(value)}), so it cannot be a secret",
            )
        return None

    def searched(self, service: str) -> list[Document]:
        own = self.services.get(service)
        return [*([own] if own is not None else []), *reversed(self.layers)]

    def looked_in_layers(self) -> list[str]:
        """The layer files a platform-wide key may come from, most specific first."""
        return list(reversed(self.names))

    def looked_in(self, service: str) -> list[str]:
        """The files a key for `service` may come from, most specific first (existing or not)."""
        return [f"services/{service}/secrets.yaml", *reversed(self.names)]


def sealed_for(secrets: Mapping[str, Document], environment: str, cluster: str) -> SealedSecrets:
    names = tuple(dict.fromkeys(["secrets/platform.yaml", f"secrets/{environment}.yaml", f"secrets/{cluster}.yaml"]))
    layers = tuple(secrets[name] for name in names if name in secrets)
    services = {
        path.split("/")[1]: document
        for path, document in secrets.items()
        if path.startswith("services/") and path.endswith("/secrets.yaml")
    }
    return SealedSecrets(layers, services, names)


def _at(data: Any, path: tuple[str, ...]) -> tuple[bool, Any]:
    """(whether `path` exists in `data`, the value there)."""
    if not isinstance(data, dict) or path[0] == METADATA_KEY:
        return False, None
    node: Any = data
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _what(value: Any) -> str:
    if value is None or value == "":
        return "it is empty"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping of more keys"
    return "it is in clear text"
