"""Check a component's chart values against the chart itself, so a misspelt or rejected value
is reported at the line that set it instead of being a silent no-op.

Errors: whatever the chart's `values.schema.json` (when it ships one) rejects in the merged
values, and a top-level key the chart's `values.yaml` does not have (helm ignores it; a chart's
subcharts and `global` are known keys too).

Warnings: a deeper key that a settings map of `values.yaml` does not have (a map with at least
one value that is not a map), not even in a comment (`# bucketNames:`). Charts also leave open
maps documented only in prose (argo-cd's `configs.params`), so below the top level an unknown key
may still be read by a template: worth a look, not a reason to stop.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema_rs

from dockyard.charts import yamlfiles
from dockyard.errors import Position, Problem, Problems
from dockyard.load import confined
from dockyard.load.words import did_you_mean

Locate = Callable[[tuple[str | int, ...]], Position]
SCHEMA_FILE = "values.schema.json"
MAX_SCHEMA = 4 * 1024 * 1024
BACKTRACK_LIMIT = 100_000
"""A `pattern` that needs more backtracking steps than this is an error, not a hang."""
_COMMENTED_KEY = re.compile(r"^[ \t]*#+[ \t]*([A-Za-z0-9_.\-/]+):(?:[ \t]|$)", re.MULTILINE)


def check_values(
    chart: Path,
    component: str,
    overrides: dict[str, Any],
    merged: dict[str, Any],
    locate: Locate,
    fallback: Position,
    found: Problems,
) -> None:
    """Add to `found` what the chart refuses in `merged` (errors) and keys it does not know (warnings)."""
    reported: set[tuple[Any, ...]] = set()
    defaults = chart_defaults(chart)
    if defaults:
        subcharts = frozenset(_subcharts(chart))
        read: dict[str, Any] = {name: {} for name in _read_by_templates(chart) if name not in defaults}
        known = {**defaults, **read, **{name: {} for name in subcharts}, "global": {}}
        walk = _Walk(component, locate, fallback, overrides, found, reported, subcharts, _documented(chart))
        walk.keys(known, merged, ())
    _schema(chart, component, overrides, merged, locate, fallback, reported, found)


INTERNAL_DEFAULTS = "_internal_defaults_do_not_set"
"""Where Istio's charts keep their defaults (a workaround for helm's merging): its keys are the
chart's top-level values."""
_VALUES_READ = re.compile(r"\.Values\.([A-Za-z_][A-Za-z0-9_]*)")


def _read_by_templates(chart: Path) -> set[str]:
    """Top-level values the chart's templates read (`.Values.profile`), documented or not."""
    names: set[str] = set()
    templates = chart / "templates"
    if not templates.is_dir():
        return names
    for path in sorted(templates.rglob("*")):
        if path.suffix in (".yaml", ".yml", ".tpl", ".txt") and path.is_file():
            names |= set(_VALUES_READ.findall(path.read_text(encoding="utf-8", errors="replace")))
    return names


def _subcharts(chart: Path) -> list[str]:
    """Names (or aliases) of the chart's dependencies: their values are theirs to check."""
    path = chart / "Chart.yaml"
    data = _load(path)
    dependencies = (data or {}).get("dependencies") or [] if isinstance(data, dict) else []
    return [str(d.get("alias") or d.get("name")) for d in dependencies if isinstance(d, dict)]


def _schema(
    chart: Path,
    component: str,
    overrides: dict[str, Any],
    merged: dict[str, Any],
    locate: Locate,
    fallback: Position,
    reported: set[tuple[Any, ...]],
    problems: Problems,
) -> None:
    if not (chart / SCHEMA_FILE).is_file():
        return
    try:
        schema = json.loads(confined.read_inside(chart, SCHEMA_FILE, MAX_SCHEMA, SCHEMA_FILE))
        validator = jsonschema_rs.validator_for(
            schema,
            base_uri=_chart_uri(chart, SCHEMA_FILE),
            retriever=_chart_files(chart),
            pattern_options=jsonschema_rs.FancyRegexOptions(backtrack_limit=BACKTRACK_LIMIT),
        )
        errors = sorted(validator.iter_errors(_with_defaults(chart, merged)), key=lambda e: list(e.instance_path))
    except (ValueError, RecursionError, confined.Refused, jsonschema_rs.ValidationError) as unusable:
        reason = str(unusable).split("\n", 1)[0]
        problems.append(Problem(fallback, f"component `{component}`: the chart's {SCHEMA_FILE} is unusable ({reason})"))
        return
    for error in errors:
        for path, message in _explain(error, schema):
            if path in reported:
                continue
            reported.add(path)
            where, from_override = _closest(overrides, path, locate, fallback)
            dotted = ".".join(str(p) for p in path) or "(top level)"
            origin = "" if from_override else " (a value Dockyard sets for this component: please report it)"
            problems.append(
                Problem(
                    where,
                    f"component `{component}`: the chart rejects values.{dotted}{origin}: {message}",
                    f"see the chart's {SCHEMA_FILE} for what it accepts",
                )
            )


def _chart_uri(chart: Path, relative: str) -> str:
    return chart.resolve().as_uri() + "/" + relative


def _chart_files(chart: Path) -> Callable[[str], Any]:
    """A `$ref` retriever that reads JSON files of the chart itself and nothing else (no network)."""
    prefix = chart.resolve().as_uri() + "/"

    def retrieve(uri: str) -> Any:
        if not uri.startswith(prefix):
            raise ValueError(f"`{uri[:120]}` is outside the chart; Dockyard resolves only the chart's own files")
        relative = unquote(uri[len(prefix) :].split("#", 1)[0])
        return json.loads(confined.read_inside(chart, relative, MAX_SCHEMA, relative))

    return retrieve


def _explain(error: jsonschema_rs.ValidationError, schema: Any) -> list[tuple[tuple[Any, ...], str]]:
    """One (path, message) per wrong value; an unexpected key is reported at the key itself."""
    path = tuple(error.instance_path)
    unexpected = getattr(error.kind, "unexpected", None)
    if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties) and unexpected:
        known = sorted(_at(schema, tuple(error.schema_path)[:-1]).get("properties", {}))
        return [
            (
                (*path, key),
                "not a value the chart knows" + (f" ({hint})" if (hint := did_you_mean(key, known)) else ""),
            )
            for key in sorted(unexpected)
        ]
    message = error.message
    return [(path, message if len(message) <= 300 else message[:300] + "… (shortened)")]


def _at(schema: Any, path: tuple[Any, ...]) -> dict[str, Any]:
    node = schema
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return {}
    return node if isinstance(node, dict) else {}


def _with_defaults(chart: Path, merged: dict[str, Any]) -> dict[str, Any]:
    """What helm validates: the chart's own values.yaml with the given values merged over it."""
    return merge_values(chart_defaults(chart), merged)


def chart_defaults(chart: Path) -> dict[str, Any]:
    """The chart's values.yaml (Istio's internal defaults lifted to the top); empty if it has none."""
    data = _load(chart / "values.yaml")
    if not isinstance(data, dict):
        return {}
    internal = data.get(INTERNAL_DEFAULTS)
    if isinstance(internal, dict):
        data = {**{k: v for k, v in data.items() if k != INTERNAL_DEFAULTS}, **internal}
    return data


def _load(path: Path) -> Any:
    """A YAML file of the chart (None if it has none, or if it cannot be read: helm reports that)."""
    if not path.is_file():
        return None
    try:
        return yamlfiles.load_one(path.read_text(encoding="utf-8", errors="replace"), path.name)
    except yamlfiles.BadYaml:
        return None


def merge_values(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in over.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge_values(result[key], value)
        else:
            result[key] = value
    return result


def _documented(chart: Path) -> str:
    """values.yaml's text, where keys shown only in comments (`# bucketNames:`) are documented."""
    path = chart / "values.yaml"
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _commented_keys(text: str, path: tuple[str, ...]) -> set[str]:
    """Keys shown in comments inside the block of `path` in values.yaml (found by indentation)."""
    lines = text.splitlines()
    low, high, parent = 0, len(lines), -1
    for key in path:
        child: int | None = None
        found = None
        for index in range(low, high):
            line = lines[index]
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            indent = len(line) - len(line.lstrip())
            if indent <= parent:
                break
            child = indent if child is None else child
            if indent == child and re.match(rf"[ \t]*['\"]?{re.escape(key)}['\"]?[ \t]*:", line):
                found = index
                break
        if found is None or child is None:
            return set()
        end = found + 1
        while end < high:
            line = lines[end]
            if line.strip() and not line.lstrip().startswith("#") and len(line) - len(line.lstrip()) <= child:
                break
            end += 1
        low, high, parent = found + 1, end, child
    return {m.group(1) for line in lines[low:high] if (m := _COMMENTED_KEY.match(line))}


def _is_settings(defaults: dict[str, Any]) -> bool:
    """A map of settings (some value is not a map) rather than of named things (ports, exporters),
    where any new name is welcome. Only settings maps have a fixed set of keys."""
    return bool(defaults) and any(not isinstance(v, dict) for v in defaults.values())


class _Walk:
    """Every key of the merged values (Dockyard's own and the layers') that the chart's values.yaml
    does not have: at its line when a layer set it, else reported as Dockyard's own mistake."""

    def __init__(
        self,
        component: str,
        locate: Locate,
        fallback: Position,
        overrides: dict[str, Any],
        found: Problems,
        reported: set[tuple[Any, ...]],
        subcharts: frozenset[str],
        documented: str,
    ) -> None:
        self.component, self.locate, self.fallback, self.overrides = component, locate, fallback, overrides
        self.found, self.reported, self.subcharts, self.documented = found, reported, subcharts, documented

    def keys(self, defaults: dict[str, Any], values: dict[str, Any], path: tuple[str, ...]) -> None:
        for key in sorted(values):
            here = (*path, key)
            if key in defaults:
                descend = isinstance(defaults[key], dict) and isinstance(values[key], dict)
                if descend and not (not path and key in self.subcharts):
                    self.keys(defaults[key], values[key], here)
                continue
            if path and (not _is_settings(defaults) or key in _commented_keys(self.documented, path)):
                continue
            if not path:
                self.reported.add(here)  # the schema need not say it again
            where, from_layer = _closest(self.overrides, here, self.locate, self.fallback)
            origin = "" if from_layer else " (a value Dockyard sets for this component: please report it)"
            hint = did_you_mean(key, sorted(defaults))
            problem = Problem(
                where,
                f"component `{self.component}`: `{'.'.join(here)}` is not a value of its chart"
                + (" (helm would ignore it)" if not path else " (no template may read it)")
                + origin,
                hint or f"values the chart has here: {', '.join(sorted(defaults)[:12])}",
            )
            if path:
                self.found.warn(problem)
            else:
                self.found.append(problem)


def _closest(overrides: Any, path: tuple[Any, ...], locate: Locate, fallback: Position) -> tuple[Position, bool]:
    """The position of the longest prefix of `path` that the platform repo set, if any."""
    node = overrides
    found: tuple[Any, ...] | None = None
    for depth, part in enumerate(path):
        if isinstance(node, dict) and part in node:
            node = node[part]
            found = path[: depth + 1]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            found = path[: depth + 1]
        else:
            break
    if found is None:
        return fallback, False
    return locate(found), True
