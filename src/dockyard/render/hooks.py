"""Helm chart hooks, run as `helm install` and `helm upgrade` run them.

`helm template` renders a chart's hooks with its other objects. A hook of the install and upgrade
phases is applied too: `pre-install`/`pre-upgrade` hooks with the rest of their stage (what they
make, the rest waits for), `post-install`/`post-upgrade` hooks once the stage is healthy and its
webhook configurations are applied (they often patch those: a certificate into a webhook). A
hook of other phases only (`pre-delete`, `post-rollback`, `test`) never runs on an apply, so it
is not installed. Hook weights are not honoured within a phase.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

HOOK = "helm.sh/hook"
BEFORE = frozenset({"pre-install", "pre-upgrade"})
AFTER = frozenset({"post-install", "post-upgrade"})


def phases(manifest: Mapping[str, Any]) -> frozenset[str]:
    """The hook phases an object runs in (empty: not a hook)."""
    annotations = (manifest.get("metadata") or {}).get("annotations") or {}
    written = annotations.get(HOOK)
    if not isinstance(written, str):
        return frozenset()
    return frozenset(p.strip() for p in written.split(",") if p.strip())


def installed(manifest: Mapping[str, Any]) -> bool:
    """Whether an apply installs the object: not a hook, or a hook of the install or upgrade phases."""
    found = phases(manifest)
    return not found or bool(found & (BEFORE | AFTER))


def after_the_stage(manifest: Mapping[str, Any]) -> bool:
    """A hook that runs only after install or upgrade: applied after its stage and its webhooks."""
    found = phases(manifest)
    return bool(found & AFTER) and not found & BEFORE
