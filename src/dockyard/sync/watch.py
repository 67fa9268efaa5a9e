"""`dockyard watch`: the inner loop. The working tree of a platform repo, applied to a cluster
each time a file is saved.

Each save (changes are gathered for a moment, so an editor's burst of writes is one) runs the
pipeline `apply` runs: load, render, checks first (a deny stops it, nothing is written), plan by
list, apply by stage, prune. The cluster's client is kept for the whole session and live state is
read ahead, as the sync controller does, so a one-service change costs what that service costs. A
mistake is reported at its file and line and the loop goes on: the next save tries again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dockyard import actions
from dockyard.deploy.ahead import Key, ReadAhead
from dockyard.deploy.client import Connection
from dockyard.errors import DockyardError
from dockyard.load.files import PLATFORM_FILE

Report = Callable[[str], None]
Changes = Callable[[threading.Event], Iterable[set[str]]]
"""Yields the paths changed since the last batch, until the event is set."""

IGNORED_PARTS = frozenset({".git", ".dockyard", "__pycache__", ".venv", "node_modules"})


@dataclass
class Watch:
    root: Path
    cluster: str
    report: Report
    kubeconfig: Path | None = None
    context: str | None = None
    timeout: float = 300.0
    _connection: Connection | None = field(default=None, init=False, repr=False)
    _kinds: frozenset[Key] = field(default_factory=frozenset, init=False, repr=False)
    """The kinds and namespaces the last plan had: read ahead while the next change loads."""

    def apply_once(self) -> bool:
        """Apply the working tree as it is now; False when it could not be (reported)."""
        started = time.monotonic()
        if not (self.root / PLATFORM_FILE).is_file():  # never an enclosing repo instead
            self.report(f"error: {self.root} has no {PLATFORM_FILE}; waiting for the next change")
            return False
        try:
            platform = actions.platform_for(actions.load_repo(self.root, self.report), self.cluster)
            connection = self._cluster(platform.cluster.kube_context)
            ahead = ReadAhead.of_kinds(connection, f"{platform.name}-{platform.cluster.name}", self._kinds)
            planned = actions.plan_platform(platform, checks_first=True, report=self.report, ahead=ahead)
            self._kinds = frozenset((r.api_version, r.kind, r.namespace) for r in planned.bundle.objects)
            if not planned.changes.has_changes and not planned.bundle.tasks:
                self.report(f"unchanged ({time.monotonic() - started:.2f} s)")
                return True
            applied = actions.apply_planned(planned, timeout=self.timeout, report=self.report)
        except DockyardError as error:
            self.report(f"error: {error}")
            self.report("waiting for the next change")
            return False
        written = len(planned.changes.writes)
        pruned = len(applied.outcome.pruned)
        self.report(f"applied: {written} written, {pruned} pruned ({time.monotonic() - started:.2f} s)")
        return True

    def run(self, changes: Changes, stop: threading.Event) -> None:
        """Apply now, then after every batch of changes, until `stop` is set."""
        self.apply_once()
        for changed in changes(stop):
            if not self.root.is_dir():
                self.report(f"{self.root} is gone; the watch ends")
                return
            relevant = sorted(p for p in changed if not IGNORED_PARTS & set(Path(_relative(self.root, p)).parts))
            if not relevant:
                continue
            shown = ", ".join(_relative(self.root, p) for p in relevant[:3])
            more = f" and {len(relevant) - 3} more" if len(relevant) > 3 else ""
            self.report(f"changed: {shown}{more}")
            self.apply_once()

    def _cluster(self, kube_context: str | None) -> Connection:
        context = self.context or kube_context
        if self._connection is None or self._connection.context != context:
            self._connection = Connection(self.kubeconfig, context)
            self._kinds = frozenset()
        return self._connection


LONGEST_BATCH_MS = 5000
"""A burst of writes longer than this is applied in parts."""


def file_changes(root: Path, quiet_ms: int = 150) -> Changes:
    """Changes under `root` as watchfiles reports them (inotify): a batch ends after `quiet_ms`
    without a change (watchfiles' `step`), or after LONGEST_BATCH_MS (its `debounce`)."""

    def changes(stop: threading.Event) -> Iterable[set[str]]:
        from watchfiles import watch

        batches = watch(root, debounce=LONGEST_BATCH_MS, step=quiet_ms, stop_event=stop, raise_interrupt=False)
        for batch in batches:
            yield {path for _change, path in batch}

    return changes


def _relative(root: Path, path: str) -> str:
    try:
        return str(Path(path).relative_to(root))
    except ValueError:
        return path
