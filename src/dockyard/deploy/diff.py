"""Compare what the server would make of an object (server-side dry run) with what is live.

Both sides are normalised the same way (managedFields, status and bookkeeping removed), so
server defaults cancel out and only the fields that change remain. Secret values never leave
this module: they are replaced by markers that say only whether a value changed.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from typing import Any

import yaml

VOLATILE_METADATA = ("managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink")
REDACTED = "<secret>"
REDACTED_CHANGED = "<secret: changed>"


def normalize(manifest: Mapping[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(dict(manifest))
    result.pop("status", None)
    metadata = result.get("metadata", {})
    for key in VOLATILE_METADATA:
        metadata.pop(key, None)
    annotations = metadata.get("annotations") or {}
    annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    annotations.pop("deployment.kubernetes.io/revision", None)
    if not annotations:
        metadata.pop("annotations", None)
    return result


def redact_pair(live: dict[str, Any] | None, desired: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Secrets: every value becomes a marker; a value that differs is marked changed on the desired side."""
    if desired.get("kind") != "Secret":
        return live, desired
    live_values = _secret_values(live) if live else {}
    desired = copy.deepcopy(desired)
    for field in ("data", "stringData"):
        for key in list((desired.get(field) or {}).keys()):
            same = live_values.get(key) == _secret_values(desired).get(key)
            desired[field][key] = REDACTED if same else REDACTED_CHANGED
    if live:
        live = copy.deepcopy(live)
        for field in ("data", "stringData"):
            for key in list((live.get(field) or {}).keys()):
                live[field][key] = REDACTED
    return live, desired


def _secret_values(manifest: Mapping[str, Any]) -> dict[str, Any]:
    import base64

    values = {k: v for k, v in (manifest.get("data") or {}).items()}
    for key, text in (manifest.get("stringData") or {}).items():
        values[key] = base64.b64encode(str(text).encode()).decode()
    return values


def unchanged(live: Mapping[str, Any], dry_run: Mapping[str, Any]) -> bool:
    return normalize(live) == normalize(dry_run)


def unified(live: Mapping[str, Any] | None, desired: Mapping[str, Any], title: str) -> str:
    """A unified diff of the normalised (and redacted) objects."""
    before, after = redact_pair(normalize(live) if live else None, normalize(desired))
    old = _text(before) if before else []
    new = _text(after)
    return "".join(difflib.unified_diff(old, new, f"live/{title}", f"desired/{title}", n=3))


def _text(manifest: Mapping[str, Any]) -> list[str]:
    return yaml.safe_dump(dict(manifest), sort_keys=True, default_flow_style=False).splitlines(keepends=True)
