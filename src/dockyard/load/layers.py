"""The effective values of one cluster: every layer merged, generic to specific.

Platform-wide values:   built-in defaults -> platform.yaml -> environments/<env>.yaml
                        -> clusters/<cluster>.yaml
Each service's settings: serviceDefaults of those four layers -> services/<name>/dockyard.yaml
                        -> services/<name>/overrides/<env>.yaml

`explain` answers "where did this value come from?" for any dotted key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dockyard.errors import UsageError
from dockyard.load import defaults
from dockyard.load.merge import Layer, Merged, Path_, merge
from dockyard.load.repo import HEADER_KEYS, Repo, SettingsFile
from dockyard.load.words import did_you_mean
from dockyard.load.yamlsafe import Document


@dataclass(frozen=True)
class Effective:
    """One cluster's effective values: platform-wide, and per service."""

    cluster: str
    environment: str
    platform: Merged
    services: dict[str, Merged]

    def values(self) -> dict[str, Any]:
        """The whole tree, with services under `services`, as `explain` addresses it."""
        return {**self.platform.values, "services": {n: m.values for n, m in sorted(self.services.items())}}


def _document_layer(document: Document, order: int, prefix: Path_ = ()) -> Layer:
    values = document.data
    for part in prefix:
        values = values.get(part, {}) if isinstance(values, dict) else {}
    if not prefix:
        values = {k: v for k, v in values.items() if k not in HEADER_KEYS}
    return Layer(document.file, values, lambda path: document.position((*prefix, *path)), order)


def _settings_layer(settings: SettingsFile, order: int) -> Layer:
    return Layer(settings.document.file, settings.values, settings.position, order)


def _builtin_layer(values: dict[str, Any]) -> Layer:
    return Layer(defaults.LAYER_NAME, values, lambda _path: defaults.POSITION)


def cluster_names(repo: Repo) -> list[str]:
    return sorted(repo.clusters)


def effective(repo: Repo, cluster: str) -> Effective:
    """Merge every layer for `cluster`; UsageError if there is no such cluster."""
    if cluster not in repo.clusters:
        known = cluster_names(repo)
        hint = did_you_mean(cluster, known)
        raise UsageError(
            f"unknown cluster `{cluster}`; clusters: {', '.join(known) or 'none'}" + (f" ({hint})" if hint else "")
        )
    cluster_doc = repo.clusters[cluster]
    environment = cluster_doc.data["environment"]
    stack = [repo.platform, repo.environments[environment], cluster_doc]
    platform = merge([_builtin_layer(defaults.VALUES), *(_document_layer(d, n) for n, d in enumerate(stack, 1))])
    service_defaults = merge(
        [
            _builtin_layer(defaults.VALUES["serviceDefaults"]),
            *(_document_layer(d, n, ("serviceDefaults",)) for n, d in enumerate(stack, 1)),
        ]
    )
    services = {}
    for name in repo.services:
        own = repo.settings.get(name)
        layers = [_settings_layer(own, len(stack) + 1)] if own is not None else []
        override = repo.overrides.get((name, environment))
        if override is not None:
            layers.append(_settings_layer(override, len(stack) + 2))
        services[name] = merge(layers, onto=service_defaults)
    return Effective(cluster, environment, platform, services)


@dataclass(frozen=True)
class Leaf:
    """One effective scalar or list, and where it was set: `file:line:col` or a layer name."""

    key: str
    value: Any
    origin: str


@dataclass(frozen=True)
class Explanation:
    """What `dockyard explain` prints about one key."""

    key: str
    value: Any
    leaves: list[Leaf]
    """The key itself when it holds a scalar or list, else every leaf below it."""
    overridden: list[Leaf]
    """What the value replaced, most recent first."""
    removed_by: str | None = None


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_key(key: str) -> Path_:
    """`services.orders.replicas` or `a.b[0]` as a path; UsageError if it is not one."""
    if not key or key.startswith(".") or key.endswith(".") or ".." in key:
        raise UsageError(f"`{key}` is not a key; write it as dotted names, e.g. services.orders.replicas")
    return tuple(int(index) if index else name for name, index in _PART.findall(key))


def explain(result: Effective, key: str) -> Explanation:
    """The effective value at `key`, where it was set, and what it overrode."""
    path = parse_key(key)
    merged, inner = _locate(result, path)
    history = [Leaf(key, o.value, where(o.layer, o.path)) for o in merged.overridden.get(inner, [])]
    try:
        value = merged.lookup(inner)
    except KeyError:
        if inner in merged.removed:
            return Explanation(key, None, [], history, where(merged.removed[inner], inner))
        raise UsageError(_missing(result, path)) from None
    leaves = []
    for leaf_path, origin in sorted(merged.origin.items(), key=lambda item: [str(p) for p in item[0]]):
        if leaf_path[: len(inner)] != inner:
            continue
        leaf_value = merged.lookup(leaf_path)
        if not isinstance(leaf_value, dict):
            leaves.append(
                Leaf(".".join([key, *map(str, leaf_path[len(inner) :])]), leaf_value, where(origin, leaf_path))
            )
    return Explanation(key, value, leaves, history)


def _locate(result: Effective, path: Path_) -> tuple[Merged, Path_]:
    if path[:1] == ("services",) and len(path) >= 2:
        name = path[1]
        if name not in result.services:
            known = sorted(result.services)
            hint = did_you_mean(str(name), known)
            raise UsageError(f"no service `{name}`; services: {', '.join(known)}" + (f" ({hint})" if hint else ""))
        return result.services[str(name)], path[2:]
    return result.platform, path


def where(layer: Layer, path: Path_) -> str:
    """`file:line:col` of the value a layer set at `path`, or the layer's name for built-in values."""
    position = layer.locate(path)
    return layer.name if position.line <= 0 else str(position)


def _missing(result: Effective, path: Path_) -> str:
    tree: Any = result.values()
    walked: list[str] = []
    for part in path:
        if not isinstance(tree, dict) or part not in tree:
            options = sorted(tree) if isinstance(tree, dict) else []
            hint = did_you_mean(str(part), options)
            here = ".".join(walked) or "the top level"
            suggestion = f" ({hint})" if hint else (f"; keys there: {', '.join(options)}" if options else "")
            return f"no value `{part}` under {here} for cluster `{result.cluster}`{suggestion}"
        tree = tree[part]
        walked.append(str(part))
    return f"no value at `{'.'.join(walked)}`"
