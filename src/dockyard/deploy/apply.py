"""Apply a ChangeSet: nothing when the dry run failed; else by stage, with health waits; prune last.

Order: CRDs (wait until Established), Namespaces, other cluster-scoped objects, then the render
stages in order. Within a group, writes run in parallel (bounded). After each group every object
in it must become healthy before the next group starts. The inventory (what Dockyard applied, as
object ids) is a ConfigMap in `dockyard-system`, updated after a successful apply.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from dockyard.deploy.client import Connection, ConnectionFailed, ObjectError, Reason
from dockyard.deploy.finished import Ending, digest, ending_in, ending_of, removes_itself
from dockyard.deploy.health import FAILED, HEALTHY, Assessment, Health, assess
from dockyard.deploy.inventory import Inventory, InventoryNotSaved, read_recorded, save_inventory
from dockyard.deploy.observed import Observed, intent, marker
from dockyard.deploy.plan import Change, ChangeSet, reference
from dockyard.errors import DockyardError
from dockyard.progress import Progress, Waiting
from dockyard.render import hooks
from dockyard.render.bundle import STAGES, Rendered
from dockyard.render.object_id import ObjectId
from dockyard.render.task_points import NAMESPACES

PARALLEL = 4
HINTS = {
    "immutable": "this field cannot change in place; if deleting and creating the object is acceptable, "
    "rerun with --recreate {reference}",
    "conflict": "another field manager owns these fields; Dockyard does not take them over silently "
    "(--force-conflicts takes them)",
    "unknown-kind": "install the CRD (its platform component) first",
}


class ApplyFailed(DockyardError):
    """The apply stopped; the message lists the objects and why."""


class _WritesFailed(ApplyFailed):
    """Some writes of a group failed; `written` holds the ones that did not (by id: apiVersion)."""

    def __init__(self, message: str, written: Mapping[ObjectId, str]) -> None:
        super().__init__(message)
        self.written = dict(written)


@dataclass(frozen=True)
class Outcome:
    written: tuple[ObjectId, ...]
    pruned: tuple[ObjectId, ...]
    unchanged: int
    left: tuple[ObjectId, ...] = ()
    """No longer rendered, not deleted: this account may not (still in the inventory)."""


def describe_failure(change: Change) -> str:
    assert change.error is not None
    hint = HINTS.get(change.error.reason, "").format(reference=reference(change.id))
    text = f"{change.id} (from {change.rendered.source.file}): {change.error.message}"
    return f"{text}\n  hint: {hint}" if hint else text


WEBHOOK_KINDS = frozenset({"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService"})
"""Objects through which the API server calls a component: they take effect only after the
stage that runs their backend is healthy (before that, every call would fail)."""


@dataclass(frozen=True)
class Group:
    """Objects applied together, then waited for; `point` names the lifecycle tasks that run once
    the group is applied and healthy (render/task_points.py), None for none."""

    rank: int
    title: str
    point: str | None = None


def _stage_groups(index: int, stage: str) -> tuple[Group, Group, Group]:
    return (
        Group(3 + 3 * index, f"stage {stage}", stage),
        Group(4 + 3 * index, f"webhooks of {stage}"),
        Group(5 + 3 * index, f"hooks after {stage}"),
    )


CRDS = Group(0, "CRDs")
NAMESPACE_GROUP = Group(1, "namespaces", NAMESPACES)
CLUSTER_SCOPED = Group(2, "cluster-scoped objects")
STAGE_GROUPS = {stage: _stage_groups(i, stage) for i, stage in enumerate(STAGES)}
GROUPS = (CRDS, NAMESPACE_GROUP, CLUSTER_SCOPED, *(g for groups in STAGE_GROUPS.values() for g in groups))
"""Every group, in the order they are applied."""


def group_of(rendered: Rendered) -> Group:
    if rendered.kind == "CustomResourceDefinition":
        return CRDS
    if rendered.kind == "Namespace":
        return NAMESPACE_GROUP
    main, webhooks, hooks_after = STAGE_GROUPS[rendered.stage]
    if rendered.kind in WEBHOOK_KINDS:
        return webhooks
    if hooks.after_the_stage(rendered.manifest):
        return hooks_after
    if rendered.namespace is None:
        return CLUSTER_SCOPED
    return main


def apply(
    connection: Connection,
    changes: ChangeSet,
    inventory_name: str,
    previous: Inventory,
    *,
    progress: Progress = lambda _line: None,
    timeout: float = 300.0,
    after: Callable[[str], None] = lambda _point: None,
    force_conflicts: bool = False,
) -> Outcome:
    """Write the changes group by group; `after(point)` runs the lifecycle tasks due once a group
    with a task point (even an empty one) is applied and healthy."""
    if changes.failures:
        failed = "\n".join(describe_failure(c) for c in changes.failures)
        raise ApplyFailed(f"the dry run failed; nothing was written:\n{failed}")
    groups: dict[Group, list[Change]] = {}
    for change in changes.changes:
        groups.setdefault(group_of(change.rendered), []).append(change)
    written: dict[ObjectId, str] = {}
    lives: dict[ObjectId, dict[str, Any]] = {}
    try:
        for group in GROUPS:
            members = groups.get(group, [])
            pending = [c for c in members if c.action in ("create", "configure", "recreate")]
            if pending:
                progress(f"applying {len(pending)} of {len(members)} {group.title}")
                written.update(_write_group(connection, pending, force_conflicts))
            if members:
                waited = _wait_healthy(connection, members, group.title, timeout, progress, changes.read, written)
                lives.update(waited)
            if pending and group is CRDS:
                connection.refresh_kinds()  # Established now: their kinds can be applied
            if group.point is not None:
                after(group.point)
        pruned, left = _prune(connection, changes, previous, progress)
    except BaseException as failed:  # a refused write, a task, a prune, the cluster gone, Ctrl-C: all the same here
        made = {c.id: str(c.rendered.manifest["apiVersion"]) for c in changes.changes if c.id in written}
        made.update(failed.written if isinstance(failed, _WritesFailed) else {})
        if not isinstance(failed, ConnectionFailed):  # with the cluster gone, another request would only wait
            _remember_written(connection, inventory_name, previous, made)
        raise
    _save_inventory(connection, inventory_name, changes, previous, lives, left)
    unchanged = sum(1 for c in changes.changes if c.action == "unchanged")
    return Outcome(tuple(written), tuple(pruned), unchanged, tuple(left))


def _write_group(connection: Connection, pending: list[Change], force_conflicts: bool = False) -> dict[ObjectId, str]:
    """Write `pending`; the uid of each object written, by id."""
    deferred = [c for c in pending if c.deferred]
    failures = []
    for change in deferred:
        result = connection.apply(change.rendered.manifest, dry_run=True, force=force_conflicts)
        if isinstance(result, ObjectError):
            failures.append(Change(change.id, change.action, change.rendered, error=result))
    if failures:
        raise ApplyFailed(
            "the dry run failed once namespaces and CRDs existed; the rest was not written:\n"
            + "\n".join(describe_failure(c) for c in failures)
        )
    for change in pending:
        if change.action == "recreate":
            _delete_and_wait(connection, change)
    connection.prepare([c.rendered.manifest for c in pending])
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        results = list(pool.map(lambda c: connection.apply(c.rendered.manifest, force=force_conflicts), pending))
    errors = [
        Change(c.id, c.action, c.rendered, error=r)
        for c, r in zip(pending, results, strict=True)
        if isinstance(r, ObjectError)
    ]
    if errors:
        done = {
            c.id: str(c.rendered.manifest["apiVersion"])
            for c, r in zip(pending, results, strict=True)
            if not isinstance(r, ObjectError)
        }
        raise _WritesFailed("applying failed:\n" + "\n".join(describe_failure(c) for c in errors), done)
    return {c.id: _uid(r) for c, r in zip(pending, results, strict=True)}


def _uid(live: Any) -> str:
    return str(((live or {}).get("metadata") or {}).get("uid") or "")


def _delete_and_wait(connection: Connection, change: Change, timeout: float = 120.0) -> None:
    error = connection.delete(change.rendered.manifest)
    if error is not None:
        raise ApplyFailed(f"cannot delete {change.id} to recreate it: {error.message}")
    deadline = time.monotonic() + timeout
    while connection.get(change.rendered.manifest) is not None:
        if time.monotonic() > deadline:
            raise ApplyFailed(f"{change.id} was not gone within {timeout:.0f}s of deleting it to recreate it")
        time.sleep(0.2)


def _wait_healthy(
    connection: Connection,
    members: list[Change],
    title: str,
    timeout: float,
    progress: Progress,
    read: Mapping[ObjectId, Mapping[str, Any]],
    uids: Mapping[ObjectId, str],
) -> dict[ObjectId, dict[str, Any]]:
    """Wait until every member is healthy; the live objects then, by id. A member the plan found
    unchanged and healthy (in `read`, by list a moment ago) is not read again: only what was
    written, or was not healthy then, is. A Job that failed ends the wait at once (it will not
    run again); `uids` are those of the objects written (a Job that removes itself is then found
    by its events)."""
    settled = [
        (c, dict(read[c.id]))
        for c in members
        if c.action == "unchanged" and c.id in read and assess(dict(read[c.id])).health is Health.HEALTHY
    ]
    settled_ids = {c.id for c, _live in settled}
    pending = [c for c in members if c.id not in settled_ids]
    deadline = time.monotonic() + timeout
    told: tuple[str, ...] | None = None
    pause = 0.05
    endings = Endings(connection, uids)
    while True:
        unhealthy = []
        seen = [*settled, *_live(connection, pending)]
        for change, live in seen:
            if removes_itself(change.rendered.manifest) and (live is None or _being_deleted(live)):
                status = endings.of(change, live)  # it ran and removed itself, or is removing itself
            else:
                status = assess(live)
            if status.health is not Health.HEALTHY:
                unhealthy.append((change, status))
        failed = [(c, s) for c, s in unhealthy if c.rendered.kind == "Job" and s.reason.startswith(FAILED)]
        if failed:
            lines = "\n".join(f"{c.id} (from {c.rendered.source.file}): {s.reason}" for c, s in failed)
            raise ApplyFailed(f"{title} cannot become healthy: a Job failed (it will not run again):\n{lines}")
        if not unhealthy:
            return {change.id: live for change, live in seen if live is not None}
        if time.monotonic() > deadline:
            lines = "\n".join(f"{c.id} (from {c.rendered.source.file}): {s.health}: {s.reason}" for c, s in unhealthy)
            raise ApplyFailed(f"{title} did not become healthy within {timeout:.0f}s:\n{lines}")
        worst_first = sorted(unhealthy, key=lambda u: (-u[1].health, str(u[0].id)))
        reasons = tuple(f"{c.id}: {s.health}" + (f": {s.reason}" if s.reason else "") for c, s in worst_first)
        if reasons != told:  # said again only when what it waits for changes
            progress(Waiting(f"waiting for {len(unhealthy)} {title} to become healthy", reasons))
            told = reasons
        time.sleep(pause)
        pause = min(0.5, pause * 2)  # a rollout of one change is often done in a fraction of a second


ENDING_GRACE = 10.0
"""How long a Job that removed itself may go without the job controller's event of how it ended
(events are written a moment after the fact) before it counts as done anyway."""


class Endings:
    """How the Jobs that remove themselves ended, each looked up until known, then remembered
    (the Job, or its events, may be gone by the next poll)."""

    def __init__(self, connection: Connection, uids: Mapping[ObjectId, str]) -> None:
        self.connection = connection
        self.uids = uids
        self.known: dict[ObjectId, Ending] = {}
        self.gone_since: dict[ObjectId, float] = {}

    def of(self, change: Change, live: Mapping[str, Any] | None) -> Assessment:
        ending = self.known.get(change.id) or self._look_up(change, live)
        if ending is None:
            return Assessment(Health.PROGRESSING, "removed itself; waiting for the event saying how its run ended")
        self.known[change.id] = ending
        if ending.failed:
            return Assessment(Health.DEGRADED, f"{FAILED} {ending.reason} (then it removed itself)")
        return HEALTHY

    def _look_up(self, change: Change, live: Mapping[str, Any] | None) -> Ending | None:
        if live is not None:
            return ending_of(live) or Ending(False)  # being deleted before it ended: not a failure of the run
        uid = self.uids.get(change.id)
        if not uid:
            return Ending(False)  # not written by this apply: the plan knows it ran before
        ending = ending_in(self.connection.events_about(change.rendered.namespace or "default", uid))
        if ending is None and time.monotonic() - self.gone_since.setdefault(change.id, time.monotonic()) > ENDING_GRACE:
            return Ending(False)
        return ending


def _being_deleted(live: Mapping[str, Any]) -> bool:
    return bool((live.get("metadata") or {}).get("deletionTimestamp"))


def _live(connection: Connection, members: list[Change]) -> list[tuple[Change, dict[str, Any] | None]]:
    """Each member's live object, listing each kind once per namespace."""
    groups: dict[tuple[str, str, str | None], list[Change]] = {}
    for change in members:
        rendered = change.rendered
        groups.setdefault((rendered.api_version, rendered.kind, rendered.namespace), []).append(change)
    found = []
    for (api_version, kind, namespace), changes in groups.items():
        if len(changes) == 1:
            found.append((changes[0], connection.get(changes[0].rendered.manifest)))
            continue
        by_name = connection.list(api_version, kind, namespace)
        found += [(c, by_name.get(c.rendered.name)) for c in changes]
    return found


def _prune(
    connection: Connection, changes: ChangeSet, previous: Inventory, progress: Progress
) -> tuple[list[ObjectId], list[ObjectId]]:
    """Delete what is no longer rendered: the objects deleted, and those left because this account
    may not delete them (the sync controller's role follows the render, so it loses the right to
    delete a kind with the kind's last object). Those stay in the inventory and are reported each
    time, never forgotten; any other refusal fails the apply."""
    if not changes.prune.delete:
        return [], []
    progress(f"pruning {len(changes.prune.delete)} objects no longer rendered")
    pruned, left = [], []
    for object_id in changes.prune.delete:
        error = connection.delete(_stub(object_id, previous[object_id]))
        if error is None:
            pruned.append(object_id)
        elif error.reason is Reason.FORBIDDEN and " cannot delete resource " in error.message:
            left.append(object_id)  # RBAC's refusal; an admission policy's is a failure like any other
        else:
            raise ApplyFailed(f"pruning {object_id} failed: {error.message}")
    if left:
        shown = ", ".join(str(i) for i in left[:10]) + (f" and {len(left) - 10} more" if len(left) > 10 else "")
        progress(
            f"left {len(left)} objects no longer rendered that this account may not delete: {shown}; "
            "delete them with an account that may (e.g. `dockyard apply`)"
        )
    return pruned, left


def _stub(object_id: ObjectId, api_version: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": object_id.name}
    if object_id.namespace:
        metadata["namespace"] = object_id.namespace
    return {"apiVersion": api_version, "kind": object_id.kind, "metadata": metadata}


def _remember_written(connection: Connection, name: str, previous: Inventory, made: Mapping[ObjectId, str]) -> None:
    """After a failed apply: the inventory gains the objects it created, so that one removed from the
    repo before the next apply succeeds is still pruned (never orphaned). Nothing is forgotten and
    nothing pruned; what the last apply recorded of each object stays (the next plan compares anew)."""
    new = {i: v for i, v in made.items() if i not in previous}
    if not new:
        return
    with contextlib.suppress(Exception):  # the cluster is failing too: the apply's own error is the one to report
        recorded = read_recorded(connection, name)
        save_inventory(connection, name, {**recorded.objects, **new}, recorded.finished, recorded.observed)


def _save_inventory(
    connection: Connection,
    name: str,
    changes: ChangeSet,
    previous: Inventory,
    lives: Mapping[ObjectId, Mapping[str, Any]],
    left: list[ObjectId],
) -> None:
    objects = {c.id: str(c.rendered.manifest["apiVersion"]) for c in changes.changes}
    objects.update({i: previous[i] for i in [*changes.prune.kept, *left]})
    finished = {c.id: digest(c.rendered.manifest) for c in changes.changes if removes_itself(c.rendered.manifest)}
    observed = {
        c.id: Observed(intent(c.rendered.manifest), marker(lives[c.id], c.id.kind))
        for c in changes.changes
        if c.id in lives and not removes_itself(c.rendered.manifest)
    }
    try:
        save_inventory(connection, name, objects, finished, observed)
    except InventoryNotSaved as error:
        raise ApplyFailed(str(error)) from None
