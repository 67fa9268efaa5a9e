"""A Secret made from the repo's encrypted secrets: rendered without data, with a digest of the
ciphertexts (never of a value), and the SealedSecret that says where each value is, for unseal at
apply time. Shared by the `secret` resource (`from: repo`) and components' `secrets`."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from dockyard.model.sealed import SealedValue
from dockyard.render.bundle import DIGEST_ANNOTATION, SealedSecret, obj
from dockyard.render.pods import pod_template


def sealed_secret(
    namespace: str, name: str, values: Iterable[tuple[str, SealedValue]]
) -> tuple[dict[str, Any], SealedSecret]:
    held = tuple(sorted(values, key=lambda pair: pair[0]))
    manifest = obj("v1", "Secret", name, namespace, type="Opaque")
    manifest["metadata"]["annotations"] = {DIGEST_ANNOTATION: digest([SealedSecret(namespace, name, held)])}
    return manifest, SealedSecret(namespace, name, held)


def digest(secrets: Iterable[SealedSecret]) -> str:
    """Changes when any value of `secrets` does (its ciphertext changes), and only then."""
    found = hashlib.sha256()
    for secret in sorted(secrets, key=lambda s: (s.namespace, s.name)):
        for key, value in secret.values:
            for part in (secret.name, key, value.file, value.key, value.ciphertext):
                found.update(part.encode() + b"\0")
    return found.hexdigest()


def stamped(manifest: dict[str, Any], reads: Iterable[SealedSecret]) -> dict[str, Any]:
    """A workload whose pods read Secrets made from the repo's secrets carries their digest on its
    pod template, so a changed value rolls its pods (environment variables are read at start).
    Changed in place; the manifest itself when there is nothing to stamp."""
    reads = list(reads)
    template = pod_template(manifest)
    if not reads or template is None or manifest.get("kind") == "Pod":
        return manifest
    metadata = template.setdefault("metadata", {})
    metadata["annotations"] = {**(metadata.get("annotations") or {}), DIGEST_ANNOTATION: digest(reads)}
    return manifest
