"""Jobs that remove themselves once they finish: a `ttlSecondsAfterFinished`, or a chart hook
deleted on success (`helm.sh/hook-delete-policy: hook-succeeded`).

Such a Job is gone from the cluster after a while, which says it ran, not that it is missing.
The inventory records the digest of each one Dockyard applied; a later plan that renders it with
the same digest leaves it be without reading it (as helm would until the next upgrade changes it:
the TTL controller deletes in the foreground, so the Job can vanish between any two reads, and a
patch that arrives after it would create it again), and a health wait that finds one gone or
being deleted counts it as done, once it knows how the run ended: a Job that failed is removed
by its TTL too. The wait reads the ending from the Job while it is still there (being deleted), or
else from the events the job controller wrote about it (by its uid, from the apply), which the
cluster keeps after the Job is gone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

FAILED_REASONS = frozenset(
    {"BackoffLimitExceeded", "DeadlineExceeded", "PodFailurePolicy", "MaxFailedIndexesExceeded", "FailedIndexes"}
)
"""The reasons of a Job's Failed condition; the job controller writes a Warning event with the same."""


def removes_itself(manifest: Mapping[str, Any]) -> bool:
    if manifest.get("kind") != "Job":
        return False
    if (manifest.get("spec") or {}).get("ttlSecondsAfterFinished") is not None:
        return True
    annotations = (manifest.get("metadata") or {}).get("annotations") or {}
    return "helm.sh/hook" in annotations and "hook-succeeded" in annotations.get("helm.sh/hook-delete-policy", "")


def digest(manifest: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Ending:
    """How a Job's run ended."""

    failed: bool
    reason: str = ""


def ending_of(live: Mapping[str, Any]) -> Ending | None:
    """From the Job itself (conditions Complete or Failed); None while it runs."""
    for condition in (live.get("status") or {}).get("conditions") or []:
        if not isinstance(condition, Mapping) or condition.get("status") != "True":
            continue
        if condition.get("type") == "Failed":
            return Ending(True, _reason(condition.get("reason"), condition.get("message")))
        if condition.get("type") == "Complete":
            return Ending(False)
    return None


def ending_in(events: Iterable[Mapping[str, Any]]) -> Ending | None:
    """From the events about a Job that is gone: the job controller's `Completed`, or a Warning
    with the reason of its Failed condition; None when neither is there (yet)."""
    for event in events:
        reason = event.get("reason")
        if reason == "Completed":
            return Ending(False)
        if event.get("type") == "Warning" and reason in FAILED_REASONS:
            return Ending(True, _reason(reason, event.get("message")))
    return None


def _reason(reason: Any, message: Any) -> str:
    return ": ".join(str(part) for part in (reason, message) if part)
