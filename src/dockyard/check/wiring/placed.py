"""A wiring finding placed where a person fixes it: at the line that set the value it is about
(a Score variable, a layer's component value), or, for a value Dockyard or the chart sets, at
the object's origin with a note naming the key that overrides it."""

from __future__ import annotations

from collections.abc import Sequence

from dockyard.check.findings import Finding
from dockyard.render.bundle import Rendered
from dockyard.render.object_id import ObjectId
from dockyard.render.value_paths import dotted, holding


def finding(
    rendered: Rendered,
    rule: str,
    message: str,
    *,
    text: str | Sequence[str] = (),
    whole: bool = False,
    path: str = "",
) -> Finding:
    """A finding about `rendered`; about its value holding `text` (with `whole`: that is `text`;
    several: the first found, most precise first) when given: placed where that value was set,
    its field as the path unless `path` says it."""
    position = rendered.source.position
    for candidate in [text] if isinstance(text, str) else text:
        field = holding(rendered.manifest, candidate, whole=whole)
        if field is not None:
            origin = rendered.source.origin(candidate, rendered.manifest, field, whole=whole)
            position = origin.position
            path = path or dotted(field)
            if origin.note:
                message += f" ({origin.note})"
            break
    return Finding(position, str(ObjectId.of(rendered.manifest)), path, rule, message)
