"""What the cluster says about the services: each one's rollout, and the sync controller's last
result. Read in the background every few seconds (one LIST of Deployments per namespace, one of
Platform objects), so that no page ever waits for the cluster; a cluster that cannot be reached is
shown as such, never an error page. Also the plan of one service against live, on request."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dockyard.console.catalog import Card, Owned, service_of
from dockyard.console.runs import Run, runs_by_service
from dockyard.deploy.client import Connection
from dockyard.deploy.inventory import read_recorded
from dockyard.deploy.observed import marker
from dockyard.errors import DockyardError
from dockyard.render.object_id import ObjectId

PLATFORM_API = "dockyard.dev/v1alpha1"


@dataclass(frozen=True)
class Rollout:
    desired: int
    ready: int
    updated: int

    @property
    def state(self) -> str:
        if self.desired == 0:
            return "scaled to 0"
        if self.updated < self.desired:
            return "rolling out"
        if self.ready < self.desired:
            return "starting"
        return "running"


@dataclass(frozen=True)
class SyncView:
    """The sync controller's Platform object for this platform and cluster."""

    applied: str | None
    attempted: str | None
    ready: str
    """The Ready condition: True, False or Unknown."""
    reason: str
    message: str


@dataclass(frozen=True)
class Live:
    read_at: float = 0.0
    error: str | None = None
    """Why the cluster could not be read (None: it was, at `read_at`)."""
    rollouts: dict[str, Rollout] = field(default_factory=dict)
    sync: SyncView | None = None
    runs: dict[str, list[Run]] = field(default_factory=dict)
    """A job's runs by `<namespace>/<name>`, newest first."""
    jobs: frozenset[str] = frozenset()
    """The jobs (CronJobs) on the cluster, as `<namespace>/<name>`."""
    drifted: frozenset[str] = frozenset()
    """Services with an object changed on the cluster since the last apply (its live marker is not
    the one the inventory recorded) or removed by hand, as `<namespace>/<name>`."""
    drift: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Per drifted service, its objects that drifted (`Service shop/web changed`)."""

    def state_of(self, card: Card) -> str:
        if self.read_at == 0.0:
            return "…"
        if self.error is not None:
            return "unknown"
        key = f"{card.namespace}/{card.name}"
        drift = " (drifted)" if key in self.drifted else ""
        if card.job is not None:
            if key not in self.jobs:
                return "not deployed"
            runs = self.runs.get(key)
            return (f"last run {runs[0].state}" if runs else "no run yet") + drift
        rollout = self.rollouts.get(key)
        return rollout.state + drift if rollout else "not deployed"

    def drift_of(self, card: Card) -> tuple[str, ...]:
        return self.drift.get(f"{card.namespace}/{card.name}", ())

    def runs_of(self, card: Card) -> list[Run]:
        return self.runs.get(f"{card.namespace}/{card.name}", [])


WORKLOADS = (("apps/v1", "Deployment"), ("batch/v1", "CronJob"))
"""Listed for their rollouts and runs anyway; their drift is compared from those lists."""


def read(
    connection: Connection,
    cards: Iterable[Card],
    platform: str,
    cluster: str,
    owned: Mapping[ObjectId, Owned] | None = None,
) -> Live:
    cards = tuple(cards)
    recorded = read_recorded(connection, f"{platform}-{cluster}").observed if platform else {}
    owned = owned or {}
    drift: dict[str, list[str]] = {}

    def compare(namespace: str, name: str, live: dict[str, Any]) -> None:
        found = ObjectId.of(live)
        seen = recorded.get(found)
        if seen is not None and seen.marker != marker(live):
            service = owned[found].service if found in owned else name
            drift.setdefault(f"{namespace}/{service}", []).append(f"{found} changed")

    rollouts: dict[str, Rollout] = {}
    for namespace in sorted({c.namespace for c in cards}):
        for name, deployment in connection.list("apps/v1", "Deployment", namespace).items():
            compare(namespace, name, deployment)
            spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
            rollouts[f"{namespace}/{name}"] = Rollout(
                int(spec.get("replicas", 1)), int(status.get("readyReplicas", 0)), int(status.get("updatedReplicas", 0))
            )
    runs: dict[str, list[Run]] = {}
    jobs: set[str] = set()
    for namespace in sorted({c.namespace for c in cards if c.job is not None}):
        for name, cron_job in connection.list("batch/v1", "CronJob", namespace).items():
            jobs.add(f"{namespace}/{name}")
            compare(namespace, name, cron_job)
        runs |= runs_by_service(connection.list("batch/v1", "Job", namespace), namespace)
    _other_objects(connection, owned, recorded, compare, drift)
    sync = None
    for item in connection.list(PLATFORM_API, "Platform", None).values():
        spec = item.get("spec") or {}
        if spec.get("cluster") == cluster and spec.get("platform") == platform:
            sync = _sync_view(item.get("status") or {})
    drifted = frozenset(drift)
    listed = {key: tuple(sorted(objects)) for key, objects in sorted(drift.items())}
    return Live(time.time(), None, rollouts, sync, runs, frozenset(jobs), drifted, listed)


def _other_objects(
    connection: Connection,
    owned: Mapping[ObjectId, Owned],
    recorded: Mapping[ObjectId, Any],
    compare: Callable[[str, str, dict[str, Any]], None],
    drift: dict[str, list[str]],
) -> None:
    """The services' other objects (but Secrets), one LIST per kind and namespace: changed ones, and
    ones the last apply made that are gone. A kind the cluster does not serve (its CRDs not
    installed) has nothing to compare."""
    groups: dict[tuple[str, str, str], list[ObjectId]] = {}
    for found, what in owned.items():
        # a Secret's marker is keyed per process (its values never leave it): not comparable here,
        # as plan leaves Secrets out of drift too; and the console never reads Secrets
        if found.kind == "Secret" and found.group == "":
            continue
        if (what.api_version, found.kind) not in WORKLOADS:
            groups.setdefault((what.api_version, found.kind, found.namespace), []).append(found)
    for (api_version, kind, namespace), wanted in sorted(groups.items()):
        try:
            live = connection.list(api_version, kind, namespace or None)
        except DockyardError:
            continue
        for found in wanted:
            if found.name in live:
                compare(found.namespace, found.name, live[found.name])
            elif found in recorded:
                drift.setdefault(f"{found.namespace}/{owned[found].service}", []).append(f"{found} removed")


def _sync_view(status: dict[str, Any]) -> SyncView:
    ready: dict[str, Any] = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {})
    return SyncView(
        status.get("lastAppliedRevision"),
        status.get("lastAttemptedRevision"),
        str(ready.get("status", "Unknown")),
        str(ready.get("reason", "")),
        str(ready.get("message", "")),
    )


@dataclass(frozen=True)
class Watched:
    """What a reading compares with the cluster: the services, the platform's name, their objects."""

    cards: tuple[Card, ...]
    platform: str
    owned: Mapping[ObjectId, Owned]


class LiveReader:
    """The newest reading; a background thread takes a new one every `every` seconds while pages ask."""

    def __init__(
        self,
        connect: Callable[[], Connection],
        watched: Callable[[], Watched],
        cluster: str,
        every: float = 5.0,
    ) -> None:
        self.connect = connect
        self.watched = watched
        self.cluster = cluster
        self.every = every
        self._live = Live()
        self._connection: Connection | None = None
        self._thread: threading.Thread | None = None
        self._asked = 0.0
        self._lock = threading.Lock()
        self._reading = threading.Lock()
        """Held for a whole reading: two never overlap, so a slow reading started before a change
        cannot replace a newer one taken after it, and the connection serves one thread at a time."""

    def current(self) -> Live:
        with self._lock:
            self._asked = time.monotonic()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="console-live", daemon=True)
                self._thread.start()
            return self._live

    def refresh(self) -> Live:
        """Read the cluster now (the background loop does this every few seconds)."""
        with self._reading:
            watched = self.watched()
            try:
                if self._connection is None:
                    self._connection = self.connect()
                live = read(self._connection, watched.cards, watched.platform, self.cluster, watched.owned)
            except DockyardError as error:
                self._connection = None
                live = Live(time.time(), str(error))
            with self._lock:
                self._live = live
            return live

    def _loop(self) -> None:
        while time.monotonic() - self._asked < 10 * self.every:  # stops when nobody looks
            self.refresh()
            time.sleep(self.every)


def planned(changes: Any, service: str) -> list[tuple[str, str, str]]:
    """(action, object, diff) of a plan's changes to one service's objects."""
    return [
        (str(change.action), str(change.id), change.diff)
        for change in changes.changes
        if service_of(change.rendered) == service
    ]
