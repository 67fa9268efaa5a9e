"""Jobs that remove themselves once they finish: a `ttlSecondsAfterFinished`, or a chart hook
deleted on success (`helm.sh/hook-delete-policy: hook-succeeded`).

Such a Job is gone from the cluster after a while, which says it ran, not that it is missing.
The inventory records the digest of each one Dockyard applied; a later plan finds it gone with
the same digest and leaves it be (as helm would until the next upgrade changes it), and a health
wait that finds one gone after writing it counts it as done.
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
