"""Placeholders in resource `params` (a Score placeholder location): `${metadata.*}` and the
outputs of the workload's other resources, which are therefore provisioned first.

    resources:
      dns:   {type: dns}
      route: {type: route, params: {host: "${resources.dns.host}", path: /, port: 80}}

The order follows the references (a cycle is an error naming it); a param cannot take a secret
output (it would land in a rendered object), and `$$` is a literal `$`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dockyard.render.placeholders import PLACEHOLDER, Context, Unresolvable, expand_plain, split_reference


def references(params: Any) -> set[str]:
    """The ids of the resources whose outputs `params` names."""
    found: set[str] = set()
    if isinstance(params, str):
        for match in PLACEHOLDER.finditer(params):
            parts = split_reference(match.group(1) or "")
            if len(parts) == 3 and parts[0] == "resources":
                found.add(parts[1])
    elif isinstance(params, Mapping):
        for value in params.values():
            found |= references(value)
    elif isinstance(params, list):
        for value in params:
            found |= references(value)
    return found


def provision_order(params: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Resource ids, each after the ones its params name (otherwise in name order);
    Unresolvable for a cycle."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(rid: str, path: list[str]) -> None:
        if state.get(rid) == "done":
            return
        if state.get(rid) == "visiting":
            cycle = " -> ".join([*path[path.index(rid) :], rid])
            raise Unresolvable(f"resources name each other's outputs in a cycle: {cycle}")
        state[rid] = "visiting"
        for other in sorted(references(params[rid]) & set(params)):
            visit(other, [*path, rid])
        state[rid] = "done"
        order.append(rid)

    for rid in sorted(params):
        visit(rid, [])
    return order


def expanded(params: Any, context: Context) -> Any:
    """`params` with every placeholder in its strings expanded (no secret outputs)."""
    if isinstance(params, str):
        return expand_plain(params, context, "a resource param") if "$" in params else params
    if isinstance(params, Mapping):
        return {key: expanded(value, context) for key, value in params.items()}
    if isinstance(params, list):
        return [expanded(value, context) for value in params]
    return params
