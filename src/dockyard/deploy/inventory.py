"""What Dockyard applied, as a set of object ids; prune = previous inventory minus current render.

The inventory is a ConfigMap per platform and cluster in `dockyard-system`: each object's id with
the apiVersion it was applied with, the digest of each self-removing Job it wrote (see
finished.py), and each object's intent and live marker (see observed.py). It is read once before
a plan and written after a successful apply, only when something in it changed.

Safety rules, checked before anything is deleted:
- never prune when the render is empty;
- refuse to prune more than max(5 objects, 20 %) of the inventory without `allow_mass_prune`;
- never prune Namespaces, PersistentVolumeClaims or CRDs unless their kind is allowed explicitly;
- only objects listed in the inventory are ever candidates, whatever labels others carry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dockyard.deploy.client import Connection, ObjectError
from dockyard.deploy.observed import Observed
from dockyard.errors import DockyardError
from dockyard.render.object_id import ObjectId

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


INVENTORY_NAMESPACE = "dockyard-system"
Inventory = dict[ObjectId, str]
"""What Dockyard applied: each object's id and the apiVersion it was applied with."""


class InventoryNotSaved(DockyardError):
    """The API server refused the inventory ConfigMap."""


@dataclass(frozen=True)
class Recorded:
    """Everything the inventory ConfigMap holds, read with one request."""

    objects: Inventory = field(default_factory=dict)
    finished: dict[ObjectId, str] = field(default_factory=dict)
    """The digest of each self-removing Job applied (see finished.py)."""
    observed: dict[ObjectId, Observed] = field(default_factory=dict)
    """Each object's intent and live marker after the last apply (see observed.py)."""


def read_recorded(connection: Connection, name: str) -> Recorded:
    live = connection.get(_stub(name))
    if live is None:
        return Recorded()
    data = live.get("data") or {}
    observed = {}
    for object_id, text in _parse(data.get("observed", "")).items():
        entry = Observed.decode(text)
        if entry is not None:
            observed[object_id] = entry
    return Recorded(_parse(data.get("objects", "")), _parse(data.get("finished", "")), observed)


def save_inventory(
    connection: Connection,
    name: str,
    objects: Mapping[ObjectId, str],
    finished: Mapping[ObjectId, str],
    observed: Mapping[ObjectId, Observed],
) -> None:
    """Record `objects` (id -> apiVersion), `finished` (id -> digest) and `observed`; no write when
    nothing changed."""
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": INVENTORY_NAMESPACE}}
    if connection.get(namespace) is None:
        connection.apply(namespace)
    inventory = _stub(name)
    inventory["metadata"]["labels"] = {"app.kubernetes.io/managed-by": "dockyard"}
    inventory["data"] = {"objects": _lines(objects)}
    if finished:
        inventory["data"]["finished"] = _lines(finished)
    if observed:
        inventory["data"]["observed"] = _lines({i: o.encode() for i, o in observed.items()})
    live = connection.get(inventory)
    if live is not None and (live.get("data") or {}) == inventory["data"]:
        return
    result = connection.apply(inventory)
    if isinstance(result, ObjectError):
        raise InventoryNotSaved(f"cannot record the inventory {INVENTORY_NAMESPACE}/{name}: {result.message}")


def _lines(entries: Mapping[ObjectId, str]) -> str:
    return "\n".join(sorted(f"{object_id.encode()} {value}" for object_id, value in entries.items())) + "\n"


def _parse(text: str) -> dict[ObjectId, str]:
    found = {}
    for line in text.splitlines():
        encoded, _space, value = line.partition(" ")
        found[ObjectId.decode(encoded)] = value
    return found


def _stub(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": INVENTORY_NAMESPACE}}
