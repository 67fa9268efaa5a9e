"""How healthy is a live object? One small rule per kind, an ordered status, a reason a person reads.

Order (worst last): healthy < progressing < degraded < missing < unknown. A stage is healthy when
every object in it is; otherwise the apply waits, and reports the worst objects with their reasons.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any


class Health(IntEnum):
    HEALTHY = 0
    PROGRESSING = 1
    DEGRADED = 2
    MISSING = 3
    UNKNOWN = 4

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Assessment:
    health: Health
    reason: str = ""


HEALTHY = Assessment(Health.HEALTHY)
FAILED = "failed:"
"""How the reason of a Job that failed begins."""


def assess(live: Mapping[str, Any] | None) -> Assessment:
    """The health of `live` (None when the object does not exist)."""
    if live is None:
        return Assessment(Health.MISSING, "does not exist")
    if live.get("metadata", {}).get("deletionTimestamp"):
        return Assessment(Health.PROGRESSING, "being deleted")
    rule = RULES.get(live.get("kind", ""), _generic)
    try:
        return rule(live)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        return Assessment(Health.UNKNOWN, f"status not understood ({type(error).__name__})")


def _status(live: Mapping[str, Any]) -> Mapping[str, Any]:
    return live.get("status") or {}


def _condition(live: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    for condition in _status(live).get("conditions") or []:
        if isinstance(condition, Mapping) and condition.get("type") == kind:
            return condition
    return None


def _not_observed(live: Mapping[str, Any], *, controller_reports: bool = True) -> Assessment | None:
    """Progressing while the controller has not seen the newest spec.

    `controller_reports` says a controller always writes status for this kind, so a missing
    status means it has not looked yet; for custom resources nobody may ever write one.
    """
    generation = live.get("metadata", {}).get("generation")
    observed = _status(live).get("observedGeneration")
    if generation is not None and observed is not None and observed < generation:
        return Assessment(Health.PROGRESSING, f"generation {generation} not observed yet (observed {observed})")
    if controller_reports and generation is not None and observed is None:
        return Assessment(Health.PROGRESSING, "no status reported yet")
    return None


def _deployment(live: Mapping[str, Any]) -> Assessment:
    if waiting := _not_observed(live):
        return waiting
    status, wanted = _status(live), live.get("spec", {}).get("replicas", 1)
    progressing = _condition(live, "Progressing")
    if progressing and progressing.get("reason") == "ProgressDeadlineExceeded":
        return Assessment(Health.DEGRADED, f"rollout stuck: {progressing.get('message', 'progress deadline exceeded')}")
    updated = status.get("updatedReplicas", 0)
    if updated < wanted:
        return Assessment(Health.PROGRESSING, f"{updated} of {wanted} replicas updated")
    if status.get("replicas", 0) > updated:
        return Assessment(Health.PROGRESSING, f"{status['replicas'] - updated} old replicas pending termination")
    available = status.get("availableReplicas", 0)
    if available < updated:
        return Assessment(Health.PROGRESSING, f"{available} of {updated} updated replicas available")
    return HEALTHY


def _statefulset(live: Mapping[str, Any]) -> Assessment:
    if waiting := _not_observed(live):
        return waiting
    status, wanted = _status(live), live.get("spec", {}).get("replicas", 1)
    ready = status.get("readyReplicas", 0)
    if ready < wanted:
        return Assessment(Health.PROGRESSING, f"{ready} of {wanted} replicas ready")
    strategy = live.get("spec", {}).get("updateStrategy", {}).get("type", "RollingUpdate")
    if strategy == "RollingUpdate" and status.get("updateRevision") != status.get("currentRevision"):
        return Assessment(Health.PROGRESSING, f"{status.get('updatedReplicas', 0)} of {wanted} replicas updated")
    return HEALTHY


def _daemonset(live: Mapping[str, Any]) -> Assessment:
    if waiting := _not_observed(live):
        return waiting
    status = _status(live)
    desired = status.get("desiredNumberScheduled", 0)
    if status.get("updatedNumberScheduled", 0) < desired:
        return Assessment(Health.PROGRESSING, f"{status.get('updatedNumberScheduled', 0)} of {desired} pods updated")
    if status.get("numberAvailable", 0) < desired:
        return Assessment(Health.PROGRESSING, f"{status.get('numberAvailable', 0)} of {desired} pods available")
    return HEALTHY


def _job(live: Mapping[str, Any]) -> Assessment:
    if (failed := _condition(live, "Failed")) and failed.get("status") == "True":
        why = ": ".join(str(part) for part in (failed.get("reason"), failed.get("message")) if part)
        return Assessment(Health.DEGRADED, f"{FAILED} {why}".strip())
    if (complete := _condition(live, "Complete")) and complete.get("status") == "True":
        return HEALTHY
    return Assessment(Health.PROGRESSING, f"{_status(live).get('active', 0)} pods running")


def _crd(live: Mapping[str, Any]) -> Assessment:
    names = _condition(live, "NamesAccepted")
    if names and names.get("status") == "False":
        return Assessment(Health.DEGRADED, f"names not accepted: {names.get('message', '')}")
    established = _condition(live, "Established")
    if established and established.get("status") == "True":
        return HEALTHY
    return Assessment(Health.PROGRESSING, "not established yet")


def _pvc(live: Mapping[str, Any]) -> Assessment:
    phase = _status(live).get("phase")
    if phase == "Bound":
        return HEALTHY
    if phase == "Lost":
        return Assessment(Health.DEGRADED, "the claim lost its volume")
    return Assessment(Health.PROGRESSING, f"{phase or 'Pending'}: waiting for a volume")


def _service(live: Mapping[str, Any]) -> Assessment:
    if live.get("spec", {}).get("type") == "LoadBalancer" and not _status(live).get("loadBalancer", {}).get("ingress"):
        return Assessment(Health.PROGRESSING, "waiting for a load balancer address")
    return HEALTHY


def _namespace(live: Mapping[str, Any]) -> Assessment:
    phase = _status(live).get("phase", "Active")
    return HEALTHY if phase == "Active" else Assessment(Health.PROGRESSING, phase)


def _pod(live: Mapping[str, Any]) -> Assessment:
    phase = _status(live).get("phase")
    if phase in ("Succeeded",):
        return HEALTHY
    if phase == "Failed":
        return Assessment(Health.DEGRADED, _status(live).get("reason", "the pod failed"))
    ready = _condition(live, "Ready")
    if phase == "Running" and ready and ready.get("status") == "True":
        return HEALTHY
    return Assessment(Health.PROGRESSING, f"{phase or 'Pending'}, not ready")


PROGRESSING_REASONS = frozenset({"Progressing", "Reconciling", "Pending", "Creating", "Updating", "InProgress"})


def _generic(live: Mapping[str, Any]) -> Assessment:
    """Custom resources: observedGeneration, then the `Ready` (or `Available`) condition; no status is fine."""
    if waiting := _not_observed(live, controller_reports=False):
        return waiting
    condition = _condition(live, "Ready") or _condition(live, "Available")
    if condition is None:
        return HEALTHY
    state, reason, message = condition.get("status"), condition.get("reason", ""), condition.get("message", "")
    if state == "True":
        return HEALTHY
    detail = ": ".join(part for part in (reason, message) if part)
    if state == "Unknown" or reason in PROGRESSING_REASONS:
        return Assessment(Health.PROGRESSING, detail or f"{condition['type']} is {state}")
    return Assessment(Health.DEGRADED, detail or f"{condition['type']} is False")


RULES: dict[str, Callable[[Mapping[str, Any]], Assessment]] = {
    "Deployment": _deployment,
    "StatefulSet": _statefulset,
    "DaemonSet": _daemonset,
    "Job": _job,
    "CustomResourceDefinition": _crd,
    "PersistentVolumeClaim": _pvc,
    "Service": _service,
    "Namespace": _namespace,
    "Pod": _pod,
}
