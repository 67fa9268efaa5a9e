"""Merge layers of values, generic to specific, remembering where each value came from.

Rules (documented in docs/platform-repo.md):

- mappings merge deeply, key by key;
- everything else, lists included, is replaced whole by the more specific layer;
- an explicit ``null`` removes the key (and everything below it) from the result.

Every path in the result has an origin (the Position that set it); every path that a
later layer replaced keeps the list of what it overrode, most recent first, so
``dockyard explain`` can show the whole story of one value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dockyard.errors import Position

Path_ = tuple[str | int, ...]
Locate = Callable[[Path_], Position]
"""Maps a path inside a layer's values to the place in its file that wrote it."""


@dataclass(frozen=True)
class Layer:
    """One contribution: values and how to find each value's position in its file."""

    name: str
    values: dict[str, Any]
    locate: Locate


@dataclass(frozen=True)
class Override:
    """A value that a more specific layer replaced or removed."""

    layer: str
    position: Position
    value: Any


@dataclass
class Merged:
    """The effective values plus, for every path, its origin and what it overrode."""

    values: dict[str, Any] = field(default_factory=dict)
    origin: dict[Path_, tuple[str, Position]] = field(default_factory=dict)
    overridden: dict[Path_, list[Override]] = field(default_factory=dict)
    removed: dict[Path_, tuple[str, Position]] = field(default_factory=dict)

    def lookup(self, path: Path_) -> Any:
        """The effective value at `path`; KeyError if there is none."""
        node: Any = self.values
        for part in path:
            if (isinstance(node, dict) and part in node) or (
                isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
            ):
                node = node[part]
            else:
                raise KeyError(path)
        return node


def merge(layers: Iterable[Layer]) -> Merged:
    """Merge `layers` in order, generic first."""
    merged = Merged()
    for layer in layers:
        _merge_into(merged, merged.values, layer.values, (), layer)
    return merged


def _merge_into(merged: Merged, target: dict[str, Any], source: dict[str, Any], path: Path_, layer: Layer) -> None:
    for key, value in source.items():
        here = (*path, key)
        if key in target:
            _record_override(merged, here, target[key])
        if value is None:
            if key in target:
                if isinstance(target[key], dict):
                    _forget(merged, here)
                del target[key]
                merged.origin.pop(here, None)
            merged.removed[here] = (layer.name, layer.locate(here))
            continue
        merged.removed.pop(here, None)
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merged.origin[here] = (layer.name, layer.locate(here))
            _merge_into(merged, target[key], value, here, layer)
            continue
        if isinstance(target.get(key), dict):
            _forget(merged, here)
        target[key] = _copy(value)
        _stamp(merged, value, here, layer)


def _record_override(merged: Merged, path: Path_, old: Any) -> None:
    if isinstance(old, dict):
        return  # a mapping is merged into, not replaced; its leaves record their own history
    if path in merged.origin:
        layer, position = merged.origin[path]
        merged.overridden.setdefault(path, []).insert(0, Override(layer, position, _copy(old)))


def _stamp(merged: Merged, value: Any, path: Path_, layer: Layer) -> None:
    merged.origin[path] = (layer.name, layer.locate(path))
    if isinstance(value, dict):
        for key, item in value.items():
            _stamp(merged, item, (*path, key), layer)


def _forget(merged: Merged, path: Path_) -> None:
    """Drop origins below `path` (the subtree is about to be replaced); keep its own history."""
    depth = len(path)
    for stale in [p for p in merged.origin if len(p) > depth and p[:depth] == path]:
        del merged.origin[stale]


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
