"""Fill the rendered Secrets made from the repo's encrypted secrets with their values: in memory,
at apply time (and for a plan's dry runs), never in a file, a diff, an annotation or a log.

Every secrets file of the cluster is opened once (its MAC checked), whichever values are used; a
file none of the age keys at hand opens stops the apply before any request, naming the file and
where keys were looked for.
"""

from __future__ import annotations

import base64
import dataclasses
from dataclasses import dataclass
from typing import Any

from dockyard.model.platform import Platform
from dockyard.render.bundle import Bundle, Rendered
from dockyard.secrets import keys, sopsfile
from dockyard.secrets.generated import GENERATED, Provided, provided_by
from dockyard.secrets.store import SecretsError


@dataclass(frozen=True)
class Unsealed:
    bundle: Bundle
    """The render with its sealed Secrets' data filled in."""
    provided: Provided
    """Generated credentials kept in the repo, for the lifecycle tasks (see generated.py)."""

    def __repr__(self) -> str:  # never the values
        return f"Unsealed({len(self.bundle.sealed)} Secrets, {len(self.provided)} kept)"


def unseal(bundle: Bundle, platform: Platform, found: keys.Identities | None = None) -> Unsealed:
    """Nothing is opened when the render has no sealed Secret and no layer keeps generated values."""
    keeps = any(GENERATED in (d.data if isinstance(d.data, dict) else {}) for d in platform.sealed.layers)
    if not bundle.sealed and not keeps:
        return Unsealed(bundle, {})
    found = found or keys.identities()
    documents = {d.file: d for d in (*platform.sealed.layers, *platform.sealed.services.values())}
    opened: dict[str, sopsfile.Opened] = {}
    for file, document in sorted(documents.items()):
        # every file, not only those whose values are used: a key a tampered file dropped would
        # otherwise fall through to a less specific layer unnoticed (the MAC covers every value)
        try:
            opened[file] = sopsfile.open_document(document, found.keys)
        except sopsfile.SecretsLocked as locked:
            raise SecretsError(
                f"{locked}; looked for age keys in {', '.join(found.looked)}; nothing was written"
            ) from None
    data: dict[tuple[str, str], dict[str, str]] = {}
    for sealed in bundle.sealed:
        values = {}
        for secret_key, value in sealed.values:
            values[secret_key] = _encoded(_leaf(opened[value.file].values, value.key))
        data[(sealed.namespace, sealed.name)] = values
    objects = tuple(_filled(rendered, data) for rendered in bundle.objects)
    provided = provided_by([opened[d.file].values for d in platform.sealed.layers])
    return Unsealed(dataclasses.replace(bundle, objects=objects), provided)


def _filled(rendered: Rendered, data: dict[tuple[str, str], dict[str, str]]) -> Rendered:
    values = data.get((rendered.namespace or "", rendered.name)) if rendered.kind == "Secret" else None
    if values is None:
        return rendered
    manifest = {**rendered.manifest, "data": dict(sorted(values.items()))}
    return dataclasses.replace(rendered, manifest=manifest)


def _leaf(values: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        values = values[part]
    return values


def _encoded(value: Any) -> str:
    """A value as the Secret's data holds it: base64 of its text (true/false for a boolean)."""
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return base64.b64encode(text.encode()).decode()
