"""Plan: the rendered set compared with live state, by server-side dry runs where needed.

Every object is `create`, `configure` or `unchanged`; objects in the inventory that the render no
longer has are `prune`. Live state is read by listing each kind once per namespace; an object
whose intent and live marker are what the last apply recorded is unchanged without a request
(see observed.py); every other one, and every Secret, is dry-run and the result compared with the
live object. An
object whose namespace or CRD is itself part of the set cannot be dry-run before that is applied:
it is planned as `create` and dry-run again just before it is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from dockyard.deploy import diff
from dockyard.deploy.client import Connection, ObjectError, Reason
from dockyard.deploy.finished import digest, removes_itself
from dockyard.deploy.inventory import PrunePlan, plan_prune
from dockyard.deploy.observed import Observed, intent, marker
from dockyard.render.bundle import Bundle, Rendered
from dockyard.render.object_id import ObjectId

PARALLEL = 8
"""Requests in flight at once while planning (the dry runs and reads are independent)."""


class Action(StrEnum):
    CREATE = "create"
    CONFIGURE = "configure"
    RECREATE = "recreate"
    """Delete, then create: an immutable field changes, and people allowed it (or a chart hook)."""
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Change:
    id: ObjectId
    action: Action
    rendered: Rendered
    diff: str = ""
    error: ObjectError | None = None
    deferred: bool = False
    """Dry-run again once its namespace or CRD exists."""


@dataclass(frozen=True)
class ChangeSet:
    changes: tuple[Change, ...]
    prune: PrunePlan = field(default_factory=lambda: PrunePlan((), ()))
    read: Mapping[ObjectId, Mapping[str, Any]] = field(default_factory=dict)
    """The live objects the plan read (by list), by id: the apply judges the health of an unchanged
    object from them instead of reading it again."""

    @property
    def failures(self) -> list[Change]:
        return [c for c in self.changes if c.error is not None]

    @property
    def writes(self) -> list[Change]:
        return [c for c in self.changes if c.action in ("create", "configure", "recreate") and c.error is None]

    @property
    def has_changes(self) -> bool:
        return bool(self.writes or self.prune.delete)

    def summary(self) -> str:
        count = {
            a: sum(1 for c in self.changes if c.action == a) for a in ("create", "configure", "recreate", "unchanged")
        }
        recreate = f" ±{count['recreate']}" if count["recreate"] else ""
        return (
            f"+{count['create']} ~{count['configure']}{recreate} -{len(self.prune.delete)} "
            f"({count['unchanged']} unchanged)"
        )


def plan(
    connection: Connection,
    bundle: Bundle,
    previous: set[ObjectId],
    *,
    allow_mass_prune: bool = False,
    prune_kinds: tuple[str, ...] = (),
    recreate: frozenset[str] = frozenset(),
    finished: Mapping[ObjectId, str] | None = None,
    observed: Mapping[ObjectId, Observed] | None = None,
    force_conflicts: bool = False,
    listed: Callable[[tuple[str, str, str | None]], dict[str, dict[str, Any]] | None] = lambda _key: None,
) -> ChangeSet:
    """`force_conflicts`: take over fields another field manager owns (kubectl's --force-conflicts),
    as a GitOps controller must to put a changed object back. `recreate` holds references
    (`kind/namespace/name`, or `kind/name`) people allowed to be recreated; `finished` the digests
    of the self-removing Jobs applied before (see finished.py); `observed` what the last apply
    recorded of each object (see observed.py); `listed` the objects read ahead by kind and
    namespace (see ahead.py)."""
    finished = finished or {}
    observed = observed or {}
    namespaces = {r.name for r in bundle.objects if r.kind == "Namespace"}
    crd_kinds = {
        (r.manifest.get("spec", {}).get("group"), r.manifest.get("spec", {}).get("names", {}).get("kind"))
        for r in bundle.objects
        if r.kind == "CustomResourceDefinition"
    }

    def known(rendered: Rendered) -> Change | None:
        """Unchanged without a request, when what was applied and what is live say so; else None."""
        object_id = ObjectId.of(rendered.manifest)
        if removes_itself(rendered.manifest) and finished.get(object_id) == digest(rendered.manifest):
            # applied as it is before: it is running, ran, or removed itself (the TTL controller
            # may delete it between any two reads, so its live state is not read)
            return Change(object_id, Action.UNCHANGED, rendered)
        if rendered.kind == "Secret":
            return None  # its markers leave its values out, so only a dry run tells whether they changed
        live = lives[(rendered.api_version, rendered.kind, rendered.namespace)].get(rendered.name)
        recorded = observed.get(object_id)
        if (
            live is not None
            and recorded is not None
            and recorded.intent == intent(rendered.manifest)
            and recorded.marker == marker(live)
        ):
            return Change(object_id, Action.UNCHANGED, rendered)  # applied as it is, and nothing changed it since
        return None

    def compare(rendered: Rendered) -> Change:
        object_id = ObjectId.of(rendered.manifest)
        live = lives[(rendered.api_version, rendered.kind, rendered.namespace)].get(rendered.name)
        result = connection.apply(rendered.manifest, dry_run=True, force=force_conflicts)
        allowed = reference(object_id) in recreate or _replaced_by_its_chart(rendered)
        if isinstance(result, ObjectError) and result.reason is Reason.IMMUTABLE and allowed:
            return Change(object_id, Action.RECREATE, rendered, diff.unified(live, rendered.manifest, str(object_id)))
        if isinstance(result, ObjectError):
            waits_for_namespace = result.reason is Reason.NOT_FOUND_NAMESPACE and rendered.namespace in namespaces
            waits_for_crd = result.reason is Reason.UNKNOWN_KIND and (object_id.group, object_id.kind) in crd_kinds
            if waits_for_namespace or waits_for_crd:
                text = diff.unified(None, rendered.manifest, str(object_id))
                return Change(object_id, Action.CREATE, rendered, text, deferred=True)
            return Change(object_id, Action.CREATE, rendered, error=result)
        if live is None:
            return Change(object_id, Action.CREATE, rendered, diff.unified(None, result, str(object_id)))
        if diff.unchanged(live, result):
            return Change(object_id, Action.UNCHANGED, rendered)
        return Change(object_id, Action.CONFIGURE, rendered, diff.unified(live, result, str(object_id)))

    connection.refresh_kinds()
    connection.prepare([r.manifest for r in bundle.objects])
    kinds = sorted({(r.api_version, r.kind, r.namespace) for r in bundle.objects}, key=str)
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:

        def read(key: tuple[str, str, str | None]) -> dict[str, dict[str, Any]]:
            found = listed(key)
            return found if found is not None else connection.list(*key)

        lives = dict(zip(kinds, pool.map(read, kinds), strict=True))
        settled = [known(r) for r in bundle.objects]  # most objects, in a steady state: no request, no thread
        asked = iter(pool.map(compare, [r for r, c in zip(bundle.objects, settled, strict=True) if c is None]))
        changes = [c if c is not None else next(asked) for c in settled]
    current = {c.id for c in changes}
    prune = plan_prune(previous, current, allow_mass_prune=allow_mass_prune, allow_kinds=prune_kinds)
    seen = {
        c.id: live
        for c in changes
        if (live := lives[(c.rendered.api_version, c.rendered.kind, c.rendered.namespace)].get(c.rendered.name))
    }
    return ChangeSet(tuple(changes), prune, seen)


def _replaced_by_its_chart(rendered: Rendered) -> bool:
    """A chart's hook (a Job that creates buckets, patches webhooks): helm deletes and creates it
    again on every upgrade (`before-hook-creation`), so a changed one is recreated without asking."""
    annotations = rendered.manifest.get("metadata", {}).get("annotations") or {}
    if "helm.sh/hook" not in annotations:
        return False
    return "before-hook-creation" in annotations.get("helm.sh/hook-delete-policy", "before-hook-creation")


def reference(object_id: ObjectId) -> str:
    """How people name an object on the command line: kind/namespace/name, or kind/name."""
    kind = object_id.kind.lower()
    return f"{kind}/{object_id.namespace}/{object_id.name}" if object_id.namespace else f"{kind}/{object_id.name}"
