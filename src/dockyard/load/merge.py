"""Merge layers of values, generic to specific, remembering where each value came from.

Rules (documented in docs/platform-repo.md):

- mappings merge deeply, key by key;
- everything else, lists included, is replaced whole by the more specific layer;
- an explicit ``null`` removes the key (and everything below it) from the result.

Every path in the result remembers the layer that set it; every path that a later
layer replaced keeps what it overrode, most recent first, so ``dockyard explain`` can
tell the whole story of one value. Positions are looked up only when asked for.
"""

from __future__ import annotations

import marshal
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dockyard.errors import Position

Path_ = tuple[str | int, ...]
Locate = Callable[[Path_], Position]
"""Maps a path inside a layer's values to the place in its file that wrote it."""


@dataclass(frozen=True, eq=False)
class Layer:
    """One contribution: values and how to find each value's position in its file."""

    name: str
    values: dict[str, Any]
    locate: Locate
    order: int = 0
    """How specific it is: a layer merged later has a higher order (built-in defaults 0)."""


@dataclass(frozen=True)
class Override:
    """A value that a more specific layer replaced or removed."""

    layer: Layer
    path: Path_
    value: Any

    @property
    def position(self) -> Position:
        return self.layer.locate(self.path)


@dataclass
class Merged:
    """The effective values plus, for every path, the layer that set it and what it overrode."""

    values: dict[str, Any] = field(default_factory=dict)
    origin: dict[Path_, Layer] = field(default_factory=dict)
    overridden: dict[Path_, list[Override]] = field(default_factory=dict)
    removed: dict[Path_, Layer] = field(default_factory=dict)

    def lookup(self, path: Path_) -> Any:
        """The effective value at `path`; KeyError if there is none."""
        node: Any = self.values
        for part in path:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                raise KeyError(path)
        return node

    def position(self, path: Path_) -> Position:
        """Where the value at `path` was set."""
        return self.origin[path].locate(path)

    def copy(self) -> Merged:
        """An independent copy to merge more layers onto (values are copied, layers shared)."""
        return Merged(
            marshal.loads(marshal.dumps(self.values)),  # plain data: the fastest deep copy there is
            dict(self.origin),
            {path: list(history) for path, history in self.overridden.items()},
            dict(self.removed),
        )


def merge(layers: Iterable[Layer], onto: Merged | None = None) -> Merged:
    """Merge `layers` in order, generic first, onto a copy of `onto` (or onto nothing)."""
    merged = onto.copy() if onto is not None else Merged()
    for layer in layers:
        _merge_into(merged, merged.values, layer.values, (), layer)
    return merged


def _merge_into(merged: Merged, target: dict[str, Any], source: dict[str, Any], path: Path_, layer: Layer) -> None:
    for key, value in source.items():
        here = (*path, key)
        old = target.get(key)
        if key in target and not isinstance(old, dict) and here in merged.origin:
            # a mapping is merged into, not replaced; its leaves keep their own history
            merged.overridden.setdefault(here, []).insert(0, Override(merged.origin[here], here, _copy(old)))
        if value is None:
            if key in target:
                if isinstance(old, dict):
                    _forget(merged, here)
                del target[key]
                merged.origin.pop(here, None)
            merged.removed[here] = layer
            continue
        merged.removed.pop(here, None)
        if isinstance(value, dict) and isinstance(old, dict):
            merged.origin[here] = layer
            _merge_into(merged, old, value, here, layer)
            continue
        if isinstance(old, dict):
            _forget(merged, here)
        target[key] = _copy(value)
        _stamp(merged, value, here, layer)


def _stamp(merged: Merged, value: Any, path: Path_, layer: Layer) -> None:
    merged.origin[path] = layer
    if isinstance(value, dict):
        for key, item in value.items():
            if item is not None:
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
