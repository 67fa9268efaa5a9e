"""What Dockyard applied, as a set of object ids; prune = previous inventory minus current render.

Safety rules, checked before anything is deleted:
- never prune when the render is empty;
- refuse to prune more than max(5 objects, 20 %) of the inventory without `allow_mass_prune`;
- never prune Namespaces, PersistentVolumeClaims or CRDs unless their kind is allowed explicitly;
- only objects listed in the inventory are ever candidates, whatever labels others carry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dockyard.errors import DockyardError
from dockyard.render.identity import ObjectId

PROTECTED_KINDS = ("Namespace", "PersistentVolumeClaim", "CustomResourceDefinition")


class PruneRefused(DockyardError):
    """Pruning was refused by a safety rule; nothing was deleted."""


@dataclass(frozen=True)
class PrunePlan:
    delete: tuple[ObjectId, ...]
    """To delete, in reverse apply order (most dependent first)."""
    kept: tuple[ObjectId, ...]
    """No longer rendered but protected by kind: left in the cluster, and in the inventory."""


def plan_prune(
    previous: Iterable[ObjectId],
    current: Iterable[ObjectId],
    *,
    allow_mass_prune: bool = False,
    allow_kinds: Iterable[str] = (),
) -> PrunePlan:
    before, now = set(previous), set(current)
    gone = sorted(before - now)
    if not gone:
        return PrunePlan((), ())
    if not now:
        raise PruneRefused(
            f"the render is empty; refusing to prune all {len(before)} objects of the inventory "
            "(an empty render is more likely a mistake than a wish)"
        )
    allowed = set(allow_kinds)
    kept = tuple(i for i in gone if i.kind in PROTECTED_KINDS and i.kind not in allowed)
    delete = [i for i in gone if i not in kept]
    limit = max(5, len(before) // 5)
    if len(delete) > limit and not allow_mass_prune:
        raise PruneRefused(
            f"refusing to prune {len(delete)} of {len(before)} objects (more than {limit}); "
            "check the render, then rerun with --allow-mass-prune if this is intended"
        )
    order = {kind: rank for rank, kind in enumerate(PROTECTED_KINDS[::-1])}
    delete.sort(key=lambda i: (order.get(i.kind, -1), i))
    return PrunePlan(tuple(delete), kept)
