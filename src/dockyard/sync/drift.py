"""Drift found by watching, not by polling: a live change to an applied object wakes the loop.

After each apply the inventory holds, per object, the marker of the live object as the apply
left it (deploy/observed.py: everything but `status` and the API server's bookkeeping). One watch
per kind of the applied revision follows every object of that kind; an event for an object of
the inventory whose marker differs from the recorded one, or that deletes it, is drift. Status
updates (a Deployment's replicas becoming ready) leave the marker alone, so they wake nothing.
Each start replaces the watches of the previous revision; their late events are ignored.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from dockyard.deploy.client import Connection
from dockyard.deploy.observed import Observed, marker
from dockyard.render.object_id import ObjectId


class DriftWatch:
    def __init__(self, on_drift: Callable[[ObjectId], None]) -> None:
        self.on_drift = on_drift
        self._stop: threading.Event | None = None
        self._lock = threading.Lock()

    def follow(
        self,
        connection: Connection,
        objects: Mapping[ObjectId, str],
        observed: Mapping[ObjectId, Observed],
        reported: frozenset[ObjectId] = frozenset(),
    ) -> None:
        """Watch the objects of the inventory (id -> apiVersion), comparing with `observed`;
        `reported`: drift already reported (sync.drift: report), not reported again."""
        self.stop()
        stop = threading.Event()
        with self._lock:
            self._stop = stop
        kinds = sorted({(api_version, object_id.kind) for object_id, api_version in objects.items()})
        wanted = {
            object_id: entry.marker
            for object_id, entry in observed.items()
            if object_id in objects and object_id not in reported
        }

        def seen(event: str, live: dict[str, object]) -> None:
            if stop.is_set():
                return  # a watch of an earlier revision
            try:
                object_id = ObjectId.of(live)
            except (KeyError, TypeError):
                return
            recorded = wanted.get(object_id)
            if recorded is None:
                return
            if event == "DELETED" or marker(live) != recorded:
                self.on_drift(object_id)

        for api_version, kind in kinds:
            thread = threading.Thread(
                target=connection.watch,
                args=(api_version, kind, stop, seen),
                name=f"dockyard-drift-{kind}",
                daemon=True,
            )
            thread.start()

    def stop(self) -> None:
        with self._lock:
            if self._stop is not None:
                self._stop.set()
                self._stop = None
