"""Reading live state ahead: while the sync controller loads, renders and checks a new revision,
the cluster is already being read for its plan: one LIST per kind and namespace of the revision
applied last (most of the next one's), and the inventory. The plan takes what was read ahead and
lists only what the new revision adds. The reads are a moment older than the plan's own would be,
which changes nothing a plan promises: live state is read once, at some point before the dry
run, either way."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from dockyard.deploy.client import Connection
from dockyard.deploy.inventory import Recorded, read_recorded

Key = tuple[str, str, str | None]
"""apiVersion, kind and namespace (None: cluster-scoped)."""
PARALLEL = 8


class ReadAhead:
    def __init__(
        self,
        connection: Connection,
        inventory: str,
        recorded: Future[Recorded],
        lists: dict[Key, Future[dict[str, dict[str, Any]]]],
    ) -> None:
        self.connection, self.inventory = connection, inventory
        self._recorded, self._lists = recorded, lists

    @classmethod
    def of_kinds(cls, connection: Connection, inventory: str, kinds: Iterable[Key]) -> ReadAhead:
        """The inventory and one LIST per kind and namespace of `kinds`, in a pool of threads."""
        wanted = sorted(set(kinds), key=str)
        # the kinds are those of a plan this process made (it prepared their decoding: see
        # Connection.prepare), so reading them in threads is safe
        pool = ThreadPoolExecutor(max_workers=PARALLEL, thread_name_prefix="dockyard-read-ahead")
        recorded = pool.submit(read_recorded, connection, inventory)
        lists = {key: pool.submit(connection.list, *key) for key in wanted}
        pool.shutdown(wait=False)  # the reads run to their end; nothing else is asked of the pool
        return cls(connection, inventory, recorded, lists)

    @classmethod
    def of_last_apply(cls, connection: Connection, inventory: str) -> ReadAhead:
        """For a command that has made no plan yet (`plan`, `apply`): in one background thread, the
        inventory, then a LIST per kind and namespace of what the last apply recorded, while the
        repo is rendered and checked. The thread is a daemon: a command that stops early (a failed
        check) does not wait for a cluster that is slow to answer."""
        recorded: Future[Recorded] = Future()
        lists: dict[Key, Future[dict[str, dict[str, Any]]]] = {}

        def read() -> None:
            try:
                found = read_recorded(connection, inventory)
            except BaseException as error:  # said by recorded(), where a direct read would say it
                recorded.set_exception(error)
                return
            keys = sorted({(version, i.kind, i.namespace or None) for i, version in found.objects.items()}, key=str)
            for key in keys:  # known before the inventory is handed over: the plan finds them all
                lists[key] = Future()
            recorded.set_result(found)
            for key in keys:
                try:
                    lists[key].set_result(connection.list(*key))
                except BaseException as error:
                    lists[key].set_exception(error)

        threading.Thread(target=read, name="dockyard-read-ahead", daemon=True).start()
        return cls(connection, inventory, recorded, lists)

    def recorded(self) -> Recorded:
        """The inventory as it was read (its errors raised here, as a direct read raises them)."""
        return self._recorded.result()

    def listed(self, key: Key) -> dict[str, dict[str, Any]] | None:
        """The objects of `key` by name, if they were read ahead (None: list them now)."""
        future = self._lists.get(key)
        return None if future is None else future.result()
