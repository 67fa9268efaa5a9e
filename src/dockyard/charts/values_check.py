"""Check a component's chart values against the chart itself, so a misspelt or rejected value
is an error at the line that set it instead of a silent no-op.

Two checks: the chart's `values.schema.json` (when it ships one) over the merged values, and
every top-level key against the chart's `values.yaml` (keys a chart does not know are ignored
by helm, which is how typos go unnoticed).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from dockyard.errors import Position, Problem
from dockyard.load.words import did_you_mean

Locate = Callable[[tuple[str | int, ...]], Position]


def check(
    chart: Path,
    component: str,
    overrides: dict[str, Any],
    merged: dict[str, Any],
    locate: Locate,
    fallback: Position,
) -> list[Problem]:
    problems: list[Problem] = []
    reported: set[tuple[Any, ...]] = set()
    defaults = _defaults(chart)
    if defaults:
        _walk(defaults, overrides, (), component, locate, problems, reported)
    schema_file = chart / "values.schema.json"
    if not schema_file.is_file():
        return problems
    try:
        schema = json.loads(schema_file.read_text(encoding="utf-8"))
        validator_class = jsonschema.validators.validator_for(schema)
        validator = validator_class(schema)
        errors = sorted(validator.iter_errors(_with_defaults(chart, merged)), key=lambda e: list(e.absolute_path))
    except (ValueError, jsonschema.SchemaError) as error:
        return [
            *problems,
            Problem(fallback, f"component `{component}`: the chart's values.schema.json is unusable ({error})"),
        ]
    for error in errors:
        for path, message in _explain(error):
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
                    "see the chart's values.schema.json for what it accepts",
                )
            )
    return problems


def _explain(error: jsonschema.ValidationError) -> list[tuple[tuple[Any, ...], str]]:
    """One (path, message) per wrong value; an unexpected key is reported at the key itself."""
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set((error.schema or {}).get("properties", {}))
        extra = sorted(k for k in error.instance if k not in known)
        if extra:
            return [
                (
                    (*path, key),
                    "not a value the chart knows"
                    + (f" ({hint})" if (hint := did_you_mean(key, sorted(known))) else ""),
                )
                for key in extra
            ]
    return [(path, error.message)]


def _with_defaults(chart: Path, merged: dict[str, Any]) -> dict[str, Any]:
    """What helm validates: the chart's own values.yaml with the given values merged over it."""
    return merge_values(_defaults(chart), merged)


def _defaults(chart: Path) -> dict[str, Any]:
    path = chart / "values.yaml"
    if not path.is_file():
        return {}
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return data if isinstance(data, dict) else {}


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


def _is_settings(defaults: dict[str, Any]) -> bool:
    """A map of settings (some value is not a map) rather than of named things (ports, exporters),
    where any new name is welcome. Only settings maps have a fixed set of keys."""
    return bool(defaults) and any(not isinstance(v, dict) for v in defaults.values())


def _walk(
    defaults: dict[str, Any],
    overrides: dict[str, Any],
    path: tuple[str, ...],
    component: str,
    locate: Locate,
    problems: list[Problem],
    reported: set[tuple[Any, ...]],
) -> None:
    """Every key the platform repo sets that the chart's values.yaml does not have."""
    for key in sorted(overrides):
        here = (*path, key)
        if key in defaults:
            if isinstance(defaults[key], dict) and isinstance(overrides[key], dict):
                _walk(defaults[key], overrides[key], here, component, locate, problems, reported)
            continue
        if (not path and key != "global") or (path and _is_settings(defaults)):
            reported.add(here)
            hint = did_you_mean(key, sorted(defaults))
            problems.append(
                Problem(
                    locate(here),
                    f"component `{component}`: `{'.'.join(here)}` is not a value of its chart (helm would ignore it)",
                    hint or f"values the chart has here: {', '.join(sorted(defaults)[:12])}",
                )
            )


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
