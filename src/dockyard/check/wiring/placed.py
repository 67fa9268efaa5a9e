"""A wiring finding placed where a person fixes it: at the line that set the value it is about
(a Score variable, a layer's component value), or, for a value Dockyard or the chart sets, at
the object's origin with a note naming the key that overrides it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dockyard.check.findings import Finding, Severity
from dockyard.errors import Position
from dockyard.render.bundle import Rendered
from dockyard.render.object_id import ObjectId
from dockyard.render.value_paths import dotted, holding


@dataclass(frozen=True)
class Place:
    position: Position
    field: str = ""
    """The field of the object that holds the value (dotted), empty when not found."""
    note: str = ""


def place(rendered: Rendered, text: str | Sequence[str], *, whole: bool = False) -> Place:
    """Where the value of `rendered` holding `text` (with `whole`: that is `text`; several: the
    first found, most precise first) was set; the object's origin when it holds none of them."""
    for candidate in [text] if isinstance(text, str) else text:
        field = holding(rendered.manifest, candidate, whole=whole)
        if field is not None:
            origin = rendered.source.origin(candidate, rendered.manifest, field, whole=whole)
            return Place(origin.position, dotted(field), origin.note)
    return Place(rendered.source.position)


def finding(
    rendered: Rendered,
    rule: str,
    message: str,
    *,
    text: str | Sequence[str] = (),
    whole: bool = False,
    path: str = "",
    hint: str = "",
    severity: Severity = Severity.DENY,
) -> Finding:
    """A finding about `rendered`; about its value holding `text` when given (see `place`), placed
    where that value was set, its field as the path unless `path` says it."""
    found = place(rendered, text, whole=whole)
    if found.note:
        message += f" ({found.note})"
    where, name = found.position, str(ObjectId.of(rendered.manifest))
    return Finding(where, name, path or found.field, rule, message, severity=severity, hint=hint)
