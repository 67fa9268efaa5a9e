"""Jobs that remove themselves once they finish: a `ttlSecondsAfterFinished`, or a chart hook
deleted on success (`helm.sh/hook-delete-policy: hook-succeeded`).

Such a Job is gone from the cluster after a while, which says it ran, not that it is missing.
The inventory records the digest of each one Dockyard applied; a later plan that renders it with
the same digest leaves it be without reading it (as helm would until the next upgrade changes it:
the TTL controller deletes in the foreground, so the Job can vanish between any two reads, and a
patch that arrives after it would create it again), and a health wait that finds one gone or
being deleted counts it as done. A Job that failed is removed by its TTL too; only a wait that
sees it before then can report it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def removes_itself(manifest: Mapping[str, Any]) -> bool:
    if manifest.get("kind") != "Job":
        return False
    if (manifest.get("spec") or {}).get("ttlSecondsAfterFinished") is not None:
        return True
    annotations = (manifest.get("metadata") or {}).get("annotations") or {}
    return "helm.sh/hook" in annotations and "hook-succeeded" in annotations.get("helm.sh/hook-delete-policy", "")


def digest(manifest: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()
