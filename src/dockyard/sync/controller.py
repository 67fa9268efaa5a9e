"""The sync loop: the cluster follows the newest commit of one branch.

Each cycle fetches the branch. A new head is reconciled at once with the pipeline `dockyard
apply` runs (actions.plan_platform with the checks first, then actions.apply_planned: never a
second implementation), so it validates, renders, checks, plans by list and applies by stage,
pruning only after every stage of the new revision is applied and healthy. The newest commit
always wins: a failed revision is retried with exponential backoff and jitter (capped at five
minutes) until it applies or a newer one arrives, which is tried at once. An unreachable source or
cluster changes nothing on the cluster (no apply, so no prune). A cycle whose head is the applied
revision does no work and sends no request, except that every `drift_interval` the plan runs (it
reads by list; an object changed on the cluster is planned and put back).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from dockyard import __version__, actions
from dockyard.deploy import tasks
from dockyard.deploy.ahead import ReadAhead
from dockyard.deploy.client import Connection
from dockyard.deploy.inventory import read_recorded
from dockyard.deploy.observed import Observed, marker
from dockyard.errors import DockyardError, InputError, Problems, printable
from dockyard.load.files import PLATFORM_FILE
from dockyard.load.parsed import write_parse_cache
from dockyard.load.versions import core_range_problem
from dockyard.load.yamlsafe import parse
from dockyard.render.object_id import ObjectId
from dockyard.sync import exported, handoff
from dockyard.sync.drift import DriftWatch
from dockyard.sync.lease import Leadership
from dockyard.sync.metrics import Metrics
from dockyard.sync.notify import Event, Notifier
from dockyard.sync.source import GitSource, Revision, SourceUnavailable
from dockyard.sync.status import Attempt, Result, StatusWriter, SyncState, restore

Log = Callable[[str], None]

BACKOFF_BASE = 5.0
BACKOFF_CAP = 300.0
STALL_AFTER = 5
"""Consecutive failures (of the source, or of one revision) after which the Platform is Stalled."""


@dataclass(frozen=True)
class Settings:
    cluster: str
    path: str = "."
    """The platform repo's directory inside the git repository."""
    kubeconfig: Path | None = None
    context: str | None = None
    interval: float = 60.0
    drift_interval: float = 300.0
    timeout: float = 300.0
    """Seconds each stage may take to become healthy."""
    allowed_signers: Path | None = None
    """When set, only commits signed by one of these keys are applied (git's allowed signers file)."""
    own_namespace: str | None = None
    """In the cluster (the dockyard-controller component): its namespace. A revision for another
    Dockyard release then moves the controller's Deployment to the release it pins (handoff.py)."""


def backoff(failures: int, rng: random.Random) -> float:
    """Seconds to wait before retrying after `failures` consecutive failures: 5 s doubling, capped
    at 5 minutes, with +-20 % jitter so that many controllers do not retry in step."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, failures - 1))
    return float(delay * rng.uniform(0.8, 1.2))


def jittered(interval: float, rng: random.Random) -> float:
    """The time to the next poll: up to 10 % early (many controllers do not poll in step), never
    late, so that a commit is fetched at most `interval` after it lands."""
    return interval * rng.uniform(0.9, 1.0)


@dataclass
class _Retry:
    revision: str | None = None
    failures: int = 0
    due: float = 0.0


@dataclass
class Controller:
    source: GitSource
    settings: Settings
    log: Log
    metrics: Metrics = field(default_factory=Metrics)
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.state = SyncState(self.source.shown, self.source.branch, self.settings.path, self.settings.cluster)
        self.retry = _Retry()
        self.source_failures = 0
        self.drift_due = self.clock()  # the first cycle plans even a revision applied before a restart
        self.head: Revision | None = None
        self._resumed = False
        self._connection: Connection | None = None
        self._status: StatusWriter | None = None
        self.notifier = Notifier(self.log)
        self._services: set[str] | None = None
        """The services of the revision applied last (None: not known yet)."""
        self._outbox: list[tuple[str, dict[str, object]]] = []
        self.drift_watch: DriftWatch | None = None
        """Set by `run`: watches wake the loop on drift (a cycle-by-cycle caller plans on its interval)."""
        self._wake: threading.Event | None = None
        self._kinds: frozenset[tuple[str, str, str | None]] = frozenset()
        """The kinds and namespaces of the revision planned last: read ahead for the next one."""

    # one cycle

    def cycle(self) -> Attempt | None:
        """Fetch, and reconcile when there is something to do; the attempt made, if any."""
        try:
            head = self.source.fetch()
        except SourceUnavailable as error:
            self.source_failures += 1
            self.metrics.git_errors.inc()
            self.log(f"source: {printable(str(error))}")
            if self.source_failures >= STALL_AFTER:
                self.state.stalled = f"the source cannot be fetched ({self.source_failures} times): {error}"
                self._write_status()
            return None
        if self.source_failures:
            self.source_failures = 0
            self.state.stalled = None
            self._write_status()
        self.head = head
        if not self._resumed:
            self._resume(head)
        now = self.clock()
        if head.sha == self.state.applied:
            if now < self.drift_due:
                return None  # nothing new: no request at all
            self.drift_due = now + self.settings.drift_interval
        elif head.sha == self.retry.revision and now < self.retry.due:
            return None
        return self.reconcile(head)

    def reconcile(self, revision: Revision) -> Attempt:
        try:
            return self._reconcile(revision)
        finally:
            write_parse_cache()  # what this revision parsed, for the next process too

    def _reconcile(self, revision: Revision) -> Attempt:
        started, begun = datetime.now(UTC), self.clock()
        self.state.reconciling, self.state.attempted = True, revision.sha
        self._write_status()
        try:
            attempt = self._apply(revision, started, begun)
        except (DockyardError, SourceUnavailable) as error:
            attempt = Attempt(
                revision.sha, revision.subject, Result.FAILED, started, self.clock() - begun, message=_message(error)
            )
        self.state.reconciling = False
        self.state.record(attempt)
        self._after(attempt)
        self.source.forget_old(keep=revision.sha)
        return attempt

    def _apply(self, revision: Revision, started: datetime, begun: float) -> Attempt:
        if self.settings.allowed_signers is not None:
            self.source.verify(revision, self.settings.allowed_signers)
        tree = self.source.checkout(revision)
        root = (tree / self.settings.path).resolve()
        if not root.is_relative_to(tree.resolve()):
            raise DockyardError(f"--path {self.settings.path} leaves the repository")
        self._learn_platform(root)
        handed = self._hand_over(root, revision, started, begun)
        if handed is not None:
            return handed
        ahead = self._read_ahead()
        platform = actions.platform_for(actions.load_repo(root, self.log), self.settings.cluster)
        repair = platform.settings.sync_drift == "repair"
        self.notifier.receivers = platform.settings.notifications
        planned = actions.plan_platform(
            platform,
            kubeconfig=self.settings.kubeconfig,
            context=self.settings.context,
            checks_first=True,
            force_conflicts=repair,
            report=self.log,
            ahead=ahead,
        )
        self._kinds = frozenset((r.api_version, r.kind, r.namespace) for r in planned.bundle.objects)
        tasks.check_known(planned.bundle.tasks)
        changes = planned.changes
        created = sum(1 for c in changes.changes if c.action == "create")
        configured = sum(1 for c in changes.changes if c.action in ("configure", "recreate"))
        drift_check = revision.sha == self.state.applied
        if drift_check and not repair and changes.has_changes:
            drifted = [str(c.id) for c in changes.changes if c.action != "unchanged"]
            message = f"{len(drifted)} objects differ from the revision (sync.drift: report): {', '.join(drifted[:10])}"
            return Attempt(
                revision.sha, revision.subject, Result.DRIFTED, started, self.clock() - begun, message=message
            )
        if changes.has_changes or changes.failures or planned.bundle.tasks:
            applied = actions.apply_planned(planned, timeout=self.settings.timeout, report=self.log)
            pruned, left = len(applied.outcome.pruned), len(applied.outcome.left)
        else:
            pruned, left = 0, 0
        self._watch_drift(planned)
        if drift_check and (created or configured):
            self.metrics.drift_repairs.inc(created + configured)
            self._outbox.append(("drift-repaired", {"revision": revision.sha, "objects": created + configured}))
        services = {s.name for s in platform.services}
        if self._services is not None:
            self._outbox += [
                ("service-added", {"service": n, "revision": revision.sha}) for n in sorted(services - self._services)
            ]
            self._outbox += [
                ("service-removed", {"service": n, "revision": revision.sha}) for n in sorted(self._services - services)
            ]
        self._services = services
        seconds = self.clock() - begun
        summary = f"{created} created, {configured} configured, {pruned} pruned"
        if left:
            summary += f", {left} left (no longer rendered; this controller may not delete them)"
        return Attempt(
            revision.sha, revision.subject, Result.APPLIED, started, seconds, created, configured, pruned, summary
        )

    def _read_ahead(self) -> ReadAhead | None:
        """Start reading what the last revision had while this one loads (None before one was
        planned: the plan reads everything itself)."""
        if not self._kinds or self.state.platform is None:
            return None
        connection = self._cluster()
        return ReadAhead.of_kinds(connection, f"{self.state.platform}-{self.settings.cluster}", self._kinds)

    def _cluster(self) -> Connection:
        """The connection this controller keeps to the cluster (made once: its client and the
        cluster's kinds are reused by every cycle)."""
        context = self.settings.context or self._context()
        if self._connection is None or self._connection.context != context:  # a revision moved kubeContext
            self._connection = Connection(self.settings.kubeconfig, context)
            self._status = None
        return self._connection

    def _hand_over(self, root: Path, revision: Revision, started: datetime, begun: float) -> Attempt | None:
        """When the revision is for another Dockyard release and names one for the controller:
        move this controller's Deployment to it (None: this release reads the revision itself)."""
        platform = Problems().attempt(partial(parse, PLATFORM_FILE, exported.raw(root / PLATFORM_FILE)))
        if self.settings.own_namespace is None or platform is None:
            return None
        if core_range_problem(platform) is None:
            return None
        pin = handoff.pinned(root, self.settings.cluster)
        if pin is None:
            return None  # loading says which release the repo needs, and how to get it
        changed = handoff.hand_over(self._cluster(), self.settings.own_namespace, pin)
        message = f"the repo is for Dockyard {platform.data.get('dockyard')}; this is {__version__}: "
        message += f"handed over to {pin.reference}" if changed else f"{pin.reference} is taking over"
        return Attempt(
            revision.sha, revision.subject, Result.HANDED_OVER, started, self.clock() - begun, message=message
        )

    def _watch_drift(self, planned: actions.Planned, reported: frozenset[ObjectId] = frozenset()) -> None:
        """Follow what the inventory now records (after the apply), when the loop watches. An
        object the plan found unchanged is followed from the live state the plan read: a change
        someone made to fields Dockyard does not own, or a Secret's marker recorded by another
        process (its values' digest is keyed per process), is what is wanted now, and must not
        wake the loop again and again."""
        if self.drift_watch is None:
            return
        recorded = read_recorded(planned.connection, planned.inventory)
        observed = dict(recorded.observed)
        for change in planned.changes.changes:
            live = planned.changes.read.get(change.id)
            if change.action == "unchanged" and live is not None and change.id in observed:
                observed[change.id] = Observed(observed[change.id].intent, marker(live, change.id.kind))
        self.drift_watch.follow(planned.connection, recorded.objects, observed, reported)

    def _drifted(self, object_id: ObjectId) -> None:
        """A watch saw a managed object changed on the cluster: plan at once."""
        if self.drift_due > 0:
            self.log(f"drift: {object_id} was changed on the cluster")
        self.drift_due = 0.0
        if self._wake is not None:
            self._wake.set()

    def _learn_platform(self, root: Path) -> None:
        """The platform's name (the Platform object is `<platform>-<cluster>`), read before the
        pipeline so that even a revision that fails to load is reported on it."""
        name = exported.text_field(root / PLATFORM_FILE, "name")
        if name:
            self.state.platform = name

    def _resume(self, head: Revision) -> None:
        """Take up what a previous run recorded on the Platform object (revisions, history), so a
        restarted controller reports one history and retries nothing it had applied."""
        self._resumed = True
        try:
            self._learn_platform(self.source.checkout(head) / self.settings.path)
            writer = self._writer()
        except (SourceUnavailable, DockyardError) as error:
            self.log(f"status: cannot read what a previous run recorded: {printable(str(error))}")
            return
        if writer is not None and self.state.name is not None:
            recorded = writer.read(self.state.name)
            if recorded is not None:
                restore(self.state, recorded)
                self.log(f"resumed: {self.state.applied[:12] if self.state.applied else 'nothing'} applied before")

    def _after(self, attempt: Attempt) -> None:
        self.metrics.observe(attempt)
        if attempt.result is Result.HANDED_OVER:  # asked again, less and less often, until the new release takes over
            failures = self.retry.failures + 1 if self.retry.revision == attempt.revision else 1
            self.retry = _Retry(attempt.revision, failures, self.clock() + backoff(failures, self.rng))
            self.log(f"{attempt.revision[:12]}: {attempt.message}")
        elif attempt.result in (Result.APPLIED, Result.DRIFTED):
            self.retry = _Retry()
            self.state.stalled = None
            self.drift_due = self.clock() + self.settings.drift_interval
            self.log(f"{attempt.revision[:12]} applied ({attempt.message}) in {attempt.seconds:.1f} s")
        else:
            failures = self.retry.failures + 1 if self.retry.revision == attempt.revision else 1
            wait = backoff(failures, self.rng)
            self.retry = _Retry(attempt.revision, failures, self.clock() + wait)
            if failures >= STALL_AFTER:
                self.state.stalled = f"{attempt.revision[:12]} failed {failures} times; retrying every {wait:.0f} s"
            self.log(f"{attempt.revision[:12]} failed: {attempt.message} (retry in {wait:.0f} s)")
        self._write_status()
        if self._status is not None:
            try:
                self._status.event(self.state, attempt)
            except DockyardError as error:  # the cluster is unreachable: the attempt stays in the status history
                self.log(f"status: no event for {attempt.revision[:12]}: {printable(str(error))}")
        self._notify(attempt)

    def _notify(self, attempt: Attempt) -> None:
        outbox, self._outbox = self._outbox, []
        data = {
            "revision": attempt.revision,
            "subject": attempt.subject,
            "created": attempt.created,
            "configured": attempt.configured,
            "pruned": attempt.pruned,
            "message": attempt.message,
        }
        new = attempt.result is Result.APPLIED and (attempt.created or attempt.configured or attempt.pruned)
        if attempt.result is Result.FAILED and self.retry.failures == 1:
            outbox.insert(0, ("failed", data))
        elif new and not any(kind == "drift-repaired" for kind, _data in outbox):
            outbox.insert(0, ("applied", data))
        platform = self.state.platform or "?"
        for kind, payload in outbox:
            self.notifier.send(Event(kind, platform, self.settings.cluster, payload))

    # status

    def _writer(self) -> StatusWriter | None:
        if self._status is None and self.state.name is not None:
            self._status = StatusWriter(self._cluster(), self.log)
        return self._status

    def _write_status(self) -> None:
        if self.state.name is None:
            return
        try:
            writer = self._writer()
            if writer is not None:
                writer.write(self.state)
        except DockyardError as error:  # the cluster is unreachable: the next cycle writes it
            self.log(f"status: {printable(str(error))}")

    def _context(self) -> str | None:
        """The cluster file's kubeContext, as the pipeline uses it."""
        if self.head is None:
            return None
        tree = self.source.checkout(self.head) / self.settings.path
        return exported.text_field(tree / "clusters" / f"{self.settings.cluster}.yaml", "kubeContext")

    # the loop

    def run(self, stop: threading.Event, wake: threading.Event, leadership: Leadership | None = None) -> bool:
        """Cycle until `stop` is set; `wake` (set by a webhook) starts the next cycle at once. With
        `leadership`, only while this controller holds the Lease: False when it lost it."""
        if leadership is not None and not leadership.wait_to_lead(stop):
            return True
        self._wake = wake
        if self.drift_watch is None:
            self.drift_watch = DriftWatch(self._drifted)
        try:
            while not stop.is_set():
                if leadership is not None and leadership.lost.is_set():
                    return False
                began = self.clock()
                try:
                    self.cycle()
                except DockyardError as error:  # whatever a cycle could not do, the next one tries again
                    self.log(f"cycle: {printable(str(error))}")
                wait = max(0.0, jittered(self.settings.interval, self.rng) - (self.clock() - began))
                if self.retry.revision is not None and self.retry.revision == (self.head.sha if self.head else None):
                    wait = min(wait, max(0.0, self.retry.due - self.clock()))
                if self.drift_due == 0 and self.ready:
                    wait = 0.0  # a watch saw drift while this cycle ran
                wake.wait(wait)
                wake.clear()
            return True
        finally:
            if self.drift_watch is not None:
                self.drift_watch.stop()

    @property
    def ready(self) -> bool:
        """The newest fetched revision is the one applied."""
        return self.head is not None and self.head.sha == self.state.applied


def _message(error: Exception) -> str:
    if isinstance(error, InputError):
        lines = [f"{p.position}: {p.message}" + (f" (hint: {p.hint})" if p.hint else "") for p in error.problems]
        count = len(lines)
        shown = "; ".join(lines[:5]) + (f"; and {count - 5} more" if count > 5 else "")
        return printable(f"{count} problem{'s' if count != 1 else ''}: {shown}")
    lines = str(error).splitlines()
    if len(lines) > 6:  # the checks' findings, one per line: the first five tell what to fix
        lines = [*lines[:6], f"and {len(lines) - 6} more"]
    return printable("\n".join(lines))
