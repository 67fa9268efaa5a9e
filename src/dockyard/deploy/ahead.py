"""Reading live state ahead: while the sync controller loads, renders and checks a new revision,
the cluster is already being read for its plan: one LIST per kind and namespace of the revision
applied last (most of the next one's), and the inventory. The plan takes what was read ahead and
lists only what the new revision adds. The reads are a moment older than the plan's own would be,
which changes nothing a plan promises: live state is read once, at some point before the dry
run, either way."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from dockyard.deploy.client import Connection
from dockyard.deploy.inventory import Recorded, read_recorded

Key = tuple[str, str, str | None]
"""apiVersion, kind and namespace (None: cluster-scoped)."""
PARALLEL = 8


class ReadAhead:
    def __init__(self, connection: Connection, inventory: str, kinds: Iterable[Key]) -> None:
        self.connection, self.inventory = connection, inventory
        wanted = sorted(set(kinds), key=str)
        # the kinds are those of a plan this process made (it prepared their decoding: see
        # Connection.prepare), so reading them in threads is safe
        pool = ThreadPoolExecutor(max_workers=PARALLEL, thread_name_prefix="dockyard-read-ahead")
        self._recorded: Future[Recorded] = pool.submit(read_recorded, connection, inventory)
        self._lists: dict[Key, Future[dict[str, dict[str, Any]]]] = {
            key: pool.submit(connection.list, *key) for key in wanted
        }
        pool.shutdown(wait=False)  # the reads run to their end; nothing else is asked of the pool

    def recorded(self) -> Recorded:
        """The inventory as it was read (its errors raised here, as a direct read raises them)."""
        return self._recorded.result()

    def listed(self, key: Key) -> dict[str, dict[str, Any]] | None:
        """The objects of `key` by name, if they were read ahead (None: list them now)."""
        future = self._lists.get(key)
        return None if future is None else future.result()
