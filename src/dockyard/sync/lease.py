"""Leader election: of the controllers syncing one source to one cluster, one acts at a time.

The leader holds a `coordination.k8s.io/v1` Lease in `dockyard-system` and renews it every third of
its duration. As client-go's leader election does, a candidate judges expiry by its own clock: a
Lease whose resourceVersion has not changed for a whole duration since the candidate first saw
it is free, whatever time the holder's clock wrote (clocks of two machines never agree exactly).
Every write carries the resourceVersion it read, so two candidates never both win. A leader that
cannot renew for a whole duration has lost the Lease and must stop acting; one that stops on
purpose releases the Lease, so another takes over at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from dockyard.deploy.client import Connection, ObjectError
from dockyard.deploy.inventory import INVENTORY_NAMESPACE
from dockyard.errors import DockyardError
from dockyard.render.components.controller import LEADER_LABEL

FIELD_MANAGER = "dockyard-sync"


def lease_name(source: str, branch: str, cluster: str) -> str:
    key = hashlib.sha256(f"{source}\0{branch}\0{cluster}".encode()).hexdigest()[:10]
    return f"dockyard-sync-{cluster[:30]}-{key}"


def _micro(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Lease:
    def __init__(
        self,
        connection: Connection,
        name: str,
        identity: str,
        duration: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
        namespace: str = INVENTORY_NAMESPACE,
    ) -> None:
        self.connection, self.name, self.identity = connection, name, identity
        self.namespace = namespace
        self.duration, self.clock = duration, clock
        self._seen: tuple[str, float] | None = None
        """The resourceVersion last read, and when (by this candidate's clock) it was first seen."""
        self.renewed_at: float | None = None
        self._namespace_ready = False

    def _reference(self) -> dict[str, Any]:
        return {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": self.name, "namespace": self.namespace},
        }

    def try_acquire(self) -> bool:
        """Take or renew the Lease; whether this candidate holds it now."""
        try:
            return self._try_acquire()
        except DockyardError:
            return False  # the API server cannot be reached: nobody can renew, and no one acts on it

    def _try_acquire(self) -> bool:
        self._ensure_namespace()
        now = datetime.now(UTC)
        live = self.connection.get(self._reference())
        if live is None:
            fresh = {
                "holderIdentity": self.identity,
                "leaseDurationSeconds": max(1, round(self.duration)),
                "acquireTime": _micro(now),
                "renewTime": _micro(now),
                "leaseTransitions": 0,
            }
            created = self.connection.create({**self._reference(), "spec": fresh}, field_manager=FIELD_MANAGER)
            return self._held(created)
        spec: dict[str, Any] = live.get("spec") or {}
        version = str(live["metadata"]["resourceVersion"])
        if self._seen is None or self._seen[0] != version:
            self._seen = (version, self.clock())
        holder = spec.get("holderIdentity") or ""
        expired = self.clock() - self._seen[1] >= self.duration
        if holder and holder != self.identity and not expired:
            return False
        patch: dict[str, Any] = {"metadata": {"resourceVersion": version}, "spec": {"renewTime": _micro(now)}}
        if holder != self.identity:
            patch["spec"].update(
                {
                    "holderIdentity": self.identity,
                    "acquireTime": _micro(now),
                    "leaseDurationSeconds": max(1, round(self.duration)),
                    "leaseTransitions": int(spec.get("leaseTransitions") or 0) + 1,
                }
            )
        return self._held(self.connection.merge_patch(self._reference(), patch))

    def _held(self, result: dict[str, Any] | ObjectError) -> bool:
        if isinstance(result, ObjectError):
            return False  # another candidate wrote first (a conflict), or the write was refused
        self._seen = (str(result["metadata"]["resourceVersion"]), self.clock())
        self.renewed_at = self.clock()
        return True

    def release(self) -> None:
        """Give the Lease up (on purpose, at shutdown): another candidate takes it at once."""
        live = self.connection.get(self._reference())
        if live is not None and (live.get("spec") or {}).get("holderIdentity") == self.identity:
            version = str(live["metadata"]["resourceVersion"])
            self.connection.merge_patch(
                self._reference(), {"metadata": {"resourceVersion": version}, "spec": {"holderIdentity": None}}
            )

    def _ensure_namespace(self) -> None:
        if not self._namespace_ready:
            namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.namespace}}
            if self.connection.get(namespace) is None:
                self.connection.apply(namespace, field_manager=FIELD_MANAGER)
            self._namespace_ready = True


class Leadership:
    """Renews the Lease in the background while this candidate leads; `leading` turns false when a
    renewal has not succeeded for a whole duration (the Lease may be someone else's by then)."""

    def __init__(
        self, lease: Lease, log: Callable[[str], None], announce: Callable[[bool], None] | None = None
    ) -> None:
        """`announce(True)` runs when this candidate starts to lead, `announce(False)` before it
        waits and when it steps down (the in-cluster controller labels its pod with it)."""
        self.lease, self.log, self.announce = lease, log, announce
        self.leading = threading.Event()
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wait_to_lead(self, stop: threading.Event, retry: float = 2.0) -> bool:
        """Block until this candidate holds the Lease (True) or `stop` is set (False)."""
        self._announce(False)
        while not stop.is_set():
            if self.lease.try_acquire():
                self.leading.set()
                self._announce(True)
                self.log(f"leading (Lease {self.lease.namespace}/{self.lease.name}, as {self.lease.identity})")
                self._thread = threading.Thread(target=self._renew, name="dockyard-sync-lease", daemon=True)
                self._thread.start()
                return True
            stop.wait(retry)
        return False

    def _renew(self) -> None:
        period = self.lease.duration / 3
        while not self._stop.wait(period):
            if self.lease.try_acquire():
                continue
            renewed = self.lease.renewed_at or 0.0
            if self.lease.clock() - renewed >= self.lease.duration:
                self.log("lost the Lease: stopping")
                self.leading.clear()
                self.lost.set()
                return

    def step_down(self, release: bool = True) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self._announce(False)
        if release and self.leading.is_set():
            with contextlib.suppress(DockyardError):
                self.lease.release()
        self.leading.clear()

    def _announce(self, leading: bool) -> None:
        if self.announce is not None:
            try:
                self.announce(leading)
            except DockyardError as error:
                self.log(f"cannot mark this candidate as {'the leader' if leading else 'waiting'}: {error}")


def leader_label(connection: Connection, pod: str, namespace: str) -> Callable[[bool], None]:
    """Marks the candidate's own pod (in the cluster, the Deployment names it in DOCKYARD_POD_NAME
    and DOCKYARD_POD_NAMESPACE) as the leader or not: the webhook Service selects only the leader."""
    reference = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": pod, "namespace": namespace}}

    def label(leading: bool) -> None:
        patch = {"metadata": {"labels": {LEADER_LABEL: "true" if leading else None}}}
        patched = connection.merge_patch(reference, patch)
        if isinstance(patched, ObjectError):
            raise DockyardError(patched.message)

    return label
