"""What the sync controller tells people: a `Platform` object per platform and cluster, and events.

`platforms.dockyard.dev` (cluster-scoped, shipped here as a CRD) holds in `spec` what is synced
(source without credentials, branch, path, cluster) and in `status` what happened: conditions
Ready / Reconciling / Stalled (each with a reason, a message and the time it last changed), the
last applied and last attempted revision, and a bounded history of attempts with their counts.
Every finished attempt is also a Kubernetes Event on that object. Messages come from Dockyard's
own errors and git's, which never carry secret values; the source URL is shown without
credentials.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dockyard.deploy.client import Connection, ObjectError
from dockyard.render.platform_crd import API_VERSION, GROUP, HISTORY_LIMIT, KIND, Result, crd

FIELD_MANAGER = "dockyard-sync"
MESSAGE_LIMIT = 2000
__all__ = ["API_VERSION", "GROUP", "HISTORY_LIMIT", "KIND", "Attempt", "Result", "StatusWriter", "SyncState", "crd"]


@dataclass(frozen=True)
class Attempt:
    revision: str
    subject: str
    result: Result
    started: datetime
    seconds: float
    created: int = 0
    configured: int = 0
    pruned: int = 0
    message: str = ""


@dataclass
class SyncState:
    """Everything the status shows, kept by the controller between cycles."""

    source: str
    branch: str
    path: str
    cluster: str
    platform: str | None = None
    applied: str | None = None
    attempted: str | None = None
    reconciling: bool = False
    stalled: str | None = None
    """Why the controller cannot make progress (the source is unreachable, every retry fails)."""
    history: list[Attempt] = field(default_factory=list)
    transitions: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    """Per condition: its last status and when it took it (lastTransitionTime changes only then)."""

    @property
    def name(self) -> str | None:
        return f"{self.platform}-{self.cluster}" if self.platform else None

    def record(self, attempt: Attempt) -> None:
        self.history = [attempt, *self.history][:HISTORY_LIMIT]
        self.attempted = attempt.revision
        if attempt.result in (Result.APPLIED, Result.DRIFTED):
            self.applied = attempt.revision


def restore(state: SyncState, recorded: dict[str, Any]) -> None:
    """What an earlier run wrote into the Platform object's status, back into `state`."""
    status = recorded.get("status") or {}
    state.applied = status.get("lastAppliedRevision") or state.applied
    state.attempted = status.get("lastAttemptedRevision") or state.attempted
    history = []
    for entry in status.get("history") or []:
        try:
            history.append(
                Attempt(
                    entry["revision"],
                    entry.get("subject", ""),
                    Result(entry["result"]),
                    _parse_time(entry["startedAt"]),
                    float(entry.get("durationSeconds", 0)),
                    int(entry.get("created", 0)),
                    int(entry.get("configured", 0)),
                    int(entry.get("pruned", 0)),
                    entry.get("message", ""),
                )
            )
        except (KeyError, ValueError, TypeError):
            continue  # an entry an older or newer Dockyard wrote differently: dropped, not fatal
    state.history = history[:HISTORY_LIMIT]
    for condition in status.get("conditions") or []:
        try:
            state.transitions[condition["type"]] = (condition["status"], _parse_time(condition["lastTransitionTime"]))
        except (KeyError, ValueError, TypeError):
            continue


def _parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _short(message: str) -> str:
    return message if len(message) <= MESSAGE_LIMIT else message[: MESSAGE_LIMIT - 3] + "..."


def conditions(state: SyncState, generation: int, now: datetime) -> list[dict[str, Any]]:
    """Ready, Reconciling and Stalled, as kstatus reads them."""
    last = state.history[0] if state.history else None
    if state.reconciling:
        ready = ("Unknown", "Progressing", f"applying {state.attempted or 'the newest revision'}")
    elif last is None:
        ready = ("Unknown", "Progressing", "no revision attempted yet")
    elif last.result is Result.FAILED:
        ready = ("False", "Failed", f"{last.revision[:12]}: {last.message}")
    elif last.result is Result.DRIFTED:
        ready = ("False", "Drifted", f"{last.revision[:12]}: {last.message}")
    elif last.result is Result.HANDED_OVER:
        ready = ("False", "HandedOver", f"{last.revision[:12]}: {last.message}")
    else:
        ready = ("True", "Applied", f"{last.revision[:12]} is applied")
    wanted = {
        "Ready": ready,
        "Reconciling": ("True", "Progressing", "applying a revision")
        if state.reconciling
        else ("False", "Idle", "waiting for a new revision"),
        "Stalled": ("True", "CannotProgress", state.stalled) if state.stalled else ("False", "Progressing", ""),
    }
    found = []
    for kind, (status, reason, message) in wanted.items():
        previous = state.transitions.get(kind)
        if previous is None or previous[0] != status:
            state.transitions[kind] = (status, now)
        found.append(
            {
                "type": kind,
                "status": status,
                "observedGeneration": generation,
                "lastTransitionTime": _time(state.transitions[kind][1]),
                "reason": reason,
                "message": _short(message),
            }
        )
    return found


def platform_object(state: SyncState) -> dict[str, Any]:
    """The Platform object's identity and spec (applied by the controller when it starts)."""
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": state.name, "labels": {"app.kubernetes.io/managed-by": "dockyard"}},
        "spec": {
            "source": state.source,
            "branch": state.branch,
            "path": state.path,
            "cluster": state.cluster,
            "platform": state.platform,
        },
    }


def status_body(state: SyncState, generation: int, now: datetime) -> dict[str, Any]:
    status: dict[str, Any] = {
        "observedGeneration": generation,
        "conditions": conditions(state, generation, now),
        "history": [
            {
                "revision": a.revision,
                "subject": _short(a.subject),
                "result": a.result.value,
                "startedAt": _time(a.started),
                "durationSeconds": round(a.seconds, 3),
                "created": a.created,
                "configured": a.configured,
                "pruned": a.pruned,
                "message": _short(a.message),
            }
            for a in state.history
        ],
    }
    if state.applied:
        status["lastAppliedRevision"] = state.applied
    if state.attempted:
        status["lastAttemptedRevision"] = state.attempted
    return status


class StatusWriter:
    """Writes the Platform object and its events; a write that fails is reported, never raised (the
    status must not stop the sync)."""

    def __init__(self, connection: Connection, report: Any) -> None:
        self.connection, self.report = connection, report
        self._ready = False
        self._generation = 1

    def ensure_crd(self) -> None:
        if self._ready:
            return
        result = self.connection.apply(crd(), field_manager=FIELD_MANAGER, force=True)
        if isinstance(result, ObjectError):
            self.report(f"cannot install the Platform CRD: {result.message}")
            return
        self.connection.refresh_kinds()
        self._ready = self._established()

    def _established(self) -> bool:
        for _ in range(50):
            live = self.connection.get(crd())
            found = (live or {}).get("status", {}).get("conditions", [])
            if any(c.get("type") == "Established" and c.get("status") == "True" for c in found):
                self.connection.refresh_kinds()
                return True
            time.sleep(0.1)
        self.report("the Platform CRD did not become Established")
        return False

    def read(self, name: str) -> dict[str, Any] | None:
        """The Platform object `name` as an earlier run left it (None: there is none)."""
        return self.connection.get({"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": name}})

    def write(self, state: SyncState, now: datetime | None = None) -> None:
        if state.name is None:
            return
        self.ensure_crd()
        if not self._ready:
            return
        written = self.connection.apply(platform_object(state), field_manager=FIELD_MANAGER, force=True)
        if isinstance(written, ObjectError):
            self.report(f"cannot write Platform {state.name}: {written.message}")
            return
        self._generation = int(written.get("metadata", {}).get("generation", 1))
        body = {**platform_object(state), "status": status_body(state, self._generation, now or datetime.now(UTC))}
        result = self.connection.apply_status(body, FIELD_MANAGER)
        if isinstance(result, ObjectError):
            self.report(f"cannot write the status of Platform {state.name}: {result.message}")

    def event(self, state: SyncState, attempt: Attempt, now: datetime | None = None) -> None:
        if state.name is None or not self._ready:
            return
        moment = _time(now or datetime.now(UTC))
        failed = attempt.result in (Result.FAILED, Result.DRIFTED)
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"generateName": f"{state.name}.", "namespace": "default"},
            "involvedObject": {"apiVersion": API_VERSION, "kind": KIND, "name": state.name},
            "reason": {Result.FAILED: "SyncFailed", Result.DRIFTED: "Drifted", Result.HANDED_OVER: "HandedOver"}.get(
                attempt.result, "Synced"
            ),
            "message": _short(
                f"{attempt.revision[:12]}: {attempt.message}"
                if attempt.result is not Result.APPLIED
                else f"{attempt.revision[:12]} applied: {attempt.created} created, {attempt.configured} configured, "
                f"{attempt.pruned} pruned"
            ),
            "type": "Warning" if failed else "Normal",
            "source": {"component": "dockyard-sync"},
            "firstTimestamp": moment,
            "lastTimestamp": moment,
            "count": 1,
        }
        result = self.connection.create(event, field_manager=FIELD_MANAGER)
        if isinstance(result, ObjectError):
            self.report(f"cannot record an event: {result.message}")
