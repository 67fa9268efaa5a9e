"""Where a value of a component's object was set, for a finding about it: a layer's
`components.<name>.values` (its own line), else Dockyard's values for the component, else the
chart's own defaults (both said in a note, with the key that overrides them)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from dockyard.charts.values_check import chart_defaults
from dockyard.model.platform import Platform
from dockyard.render.bundle import Origin, Source, TaskRequest
from dockyard.render.components.catalog import Chosen
from dockyard.render.value_paths import Path_, dotted, holding


def traced(
    source: Source, platform: Platform, item: Chosen, requests: Sequence[TaskRequest], chart: Path | None
) -> Source:
    """`source`, able to trace its objects' values (`chart`: the unpacked chart, if any)."""
    return dataclasses.replace(source, trace=partial(_trace, source, platform, item, tuple(requests), chart))


def _trace(
    source: Source,
    platform: Platform,
    item: Chosen,
    requests: Sequence[TaskRequest],
    chart: Path | None,
    text: str,
    whole: bool,
    _manifest: Mapping[str, Any],
    _field: Path_,
) -> Origin | None:
    name = item.component.name
    path = holding(item.values, text, whole=whole)
    if path is not None:
        return Origin(platform.locate(("components", name, "values", *path)))
    if chart is None:
        return None  # made by Dockyard, not from values: the object's own origin says it
    path = holding(item.component.values_for(platform, requests), text, whole=whole)
    whose = "Dockyard's value"
    if path is None:
        path, whose = holding(chart_defaults(chart), text, whole=whole), "the chart's default"
    if path is None:
        return None
    key = dotted(path)
    return Origin(
        source.position, f"{whose} `{key}` of component `{name}`: set components.{name}.values.{key} to change it"
    )
