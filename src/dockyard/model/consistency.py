"""Constraints between a service's effective settings that no single file breaks alone.

Each file is valid against its schema, yet the layers merged can contradict each other: an
environment's `maxReplicas: 3` under a service's `minReplicas: 4`, a disruption budget's
`minAvailable` from one layer beside another layer's `maxUnavailable`. The API server would
refuse the objects made from them, after part of the platform was applied. Each problem is placed
at the most specific value involved and names where the others were set.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from dockyard.errors import Position, Problem
from dockyard.load.merge import Merged, Path_

SUFFIXES = {
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
    "m": Decimal("0.001"),
    "": Decimal(1),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
}
QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$")


def settings_problems(services: Mapping[str, Merged]) -> list[Problem]:
    """Every contradiction between each service's effective settings; one problem for the services
    that share it (a contradiction within serviceDefaults is every service's)."""
    shared: dict[Problem, list[str]] = {}
    for name in sorted(services):
        for problem in _problems(services[name]):
            shared.setdefault(problem, []).append(name)
    found = []
    for problem, names in shared.items():
        who = f"service `{names[0]}`" if len(names) == 1 else "services " + ", ".join(f"`{n}`" for n in names)
        found.append(Problem(problem.position, f"{who}: {problem.message}", problem.hint))
    return found


def _problems(settings: Merged) -> Iterator[Problem]:
    values = settings.values
    scaling = values.get("autoscaling") or {}
    low, high = scaling.get("minReplicas"), scaling.get("maxReplicas")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        low_at, high_at = ("autoscaling", "minReplicas"), ("autoscaling", "maxReplicas")
        yield _problem(
            settings,
            [low_at, high_at],
            f"autoscaling.minReplicas {low} ({_where(settings, low_at)}) is larger than "
            f"autoscaling.maxReplicas {high} ({_where(settings, high_at)})",
            "raise maxReplicas or lower minReplicas in the more specific layer",
        )
    budget = values.get("disruptionBudget") or {}
    if "minAvailable" in budget and "maxUnavailable" in budget:
        both = [("disruptionBudget", "minAvailable"), ("disruptionBudget", "maxUnavailable")]
        yield _problem(
            settings,
            both,
            f"disruptionBudget has both minAvailable ({_where(settings, both[0])}) and "
            f"maxUnavailable ({_where(settings, both[1])}); a PodDisruptionBudget takes one",
            "set the one you do not want to null in the more specific layer",
        )
    rollout = values.get("rollout") or {}
    rolling = rollout.get("strategy", "RollingUpdate") == "RollingUpdate"
    if rolling and _zero(rollout.get("maxSurge")) and _zero(rollout.get("maxUnavailable")):
        both = [("rollout", "maxSurge"), ("rollout", "maxUnavailable")]
        yield _problem(
            settings,
            both,
            f"rollout.maxSurge ({_where(settings, both[0])}) and rollout.maxUnavailable "
            f"({_where(settings, both[1])}) are both 0: a rolling update could never replace a pod",
            "let one of them be above 0",
        )
    resources = values.get("resources") or {}
    for resource in ("cpu", "memory"):
        request = (resources.get("requests") or {}).get(resource)
        limit = (resources.get("limits") or {}).get(resource)
        asked, capped = quantity(request), quantity(limit)
        if asked is not None and capped is not None and asked > capped:
            at = [("resources", "requests", resource), ("resources", "limits", resource)]
            yield _problem(
                settings,
                at,
                f"resources.requests.{resource} {request} ({_where(settings, at[0])}) is more "
                f"than resources.limits.{resource} {limit} ({_where(settings, at[1])})",
                "a container may not ask for more than its limit: raise the limit or lower the request",
            )


def _problem(settings: Merged, paths: Sequence[Path_], message: str, hint: str) -> Problem:
    """At the most specific of the values involved (the one the layer merged last set)."""

    def order(path: Path_) -> int:
        written = _written(settings, path)
        return -1 if written is None else settings.origin[written].order

    return Problem(_position(settings, max(paths, key=order)), message, hint)


def _where(settings: Merged, path: Path_) -> str:
    position = _position(settings, path)
    return "built-in default" if position.file.startswith("<") else str(position)


def _written(settings: Merged, path: Path_) -> Path_ | None:
    """The path a layer set that holds `path`: itself, or a mapping set whole around it."""
    return next((path[:end] for end in range(len(path), 0, -1) if path[:end] in settings.origin), None)


def _position(settings: Merged, path: Path_) -> Position:
    written = _written(settings, path)
    return Position("<built-in defaults>") if written is None else settings.position(written)


def _zero(value: Any) -> bool:
    return value in (0, "0", "0%")


def quantity(value: Any) -> Decimal | None:
    """A Kubernetes quantity (`100m`, `1.5`, `128Mi`, `1e3`) as a number; None if it is not one."""
    if isinstance(value, int | float):
        return Decimal(str(value))
    found = QUANTITY.match(str(value)) if isinstance(value, str) else None
    if found is None:
        return None
    try:
        return Decimal(found[1]) * SUFFIXES[found[2] or ""]
    except InvalidOperation:
        return None
