"""A platform component: a pinned chart (or Dockyard's own objects), its namespace and stage,
the profile features that switch it on, and a function from the platform to the chart's values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dockyard.charts.source import ChartSource
from dockyard.errors import Position
from dockyard.model.platform import Platform
from dockyard.render import profiles
from dockyard.render.bundle import Stage, TaskRequest
from dockyard.render.task_data import TaskData, TaskKind

Values = Callable[[Platform], dict[str, Any]]
Objects = Callable[[Platform, Sequence[TaskRequest]], list[dict[str, Any]]]
"""Dockyard's own objects for a component, given the platform and the services' task requests."""


@dataclass(frozen=True)
class TaskSpec:
    """A lifecycle task a component needs (its kind, a name unique for the kind, and its data)."""

    kind: TaskKind
    name: str
    data: TaskData


Tasks = Callable[[Platform], list[TaskSpec]]


def has(platform: Platform, feature: str) -> bool:
    """Whether the platform's profile switches `feature` on."""
    return profiles.enabled(platform.profile, feature)


def installs(platform: Platform, component: str, feature: str) -> bool:
    """Whether the platform installs the built-in `component` that its profile's `feature` brings
    (a layer may switch it off, or on)."""
    settings = (platform.values.get("components") or {}).get(component) or {}
    return bool(settings.get("enabled", has(platform, feature)))


def no_values(_platform: Platform) -> dict[str, Any]:
    return {}


def no_tasks(_platform: Platform) -> list[TaskSpec]:
    return []


@dataclass(frozen=True)
class Requires:
    """A version of another component this one needs, and why (from the upstream's own sources)."""

    component: str
    minimum: str | None = None
    maximum: str | None = None
    """Inclusive; `v1.5` covers every v1.5.x."""
    reason: str = ""


@dataclass(frozen=True)
class Component:
    name: str
    namespace: str
    stage: Stage
    features: frozenset[str]
    """The component is on when the profile has any of these features."""
    source: ChartSource | None = None
    """None: Dockyard renders the objects itself (`objects`)."""
    values: Values = no_values
    objects: Objects | None = None
    """Objects Dockyard renders itself (alone, or beside the chart's)."""
    tasks: Tasks = no_tasks
    request_values: Callable[[Platform, Sequence[TaskRequest]], dict[str, Any]] | None = None
    """Chart values that also depend on the services' task requests (replaces `values` when set)."""
    description: str = ""
    exclude_kinds: tuple[str, ...] = field(default=())
    """Kinds of the upstream bundle that Dockyard does not install (it renders its own)."""
    runtime_secrets: tuple[str, ...] = field(default=())
    """Secrets in its namespace its own jobs or controllers make at run time (not in the render)."""
    kubernetes: tuple[str, str | None] | None = None
    """The Kubernetes minor versions its release supports (first, last; last None when upstream states only
    a lower bound), as its upstream publishes them (a support table, else the chart's kubeVersion)."""
    requires: tuple[Requires, ...] = field(default=())
    sinks: tuple[str, ...] = field(default=())
    """Its Services that clients send to without needing them to start (telemetry receivers): a
    component of an earlier stage may send to them."""
    in_mesh: bool = False
    """Its namespace joins the ambient mesh when the platform has one: its pods reach services with
    their own identity over mutual TLS (the edge gateway, which services' pods admit directly)."""
    wanted: Callable[[Platform], Position | None] | None = None
    """Also on when the layers' settings ask for it (not a profile): where they do, else None."""
    secrets_outside: Callable[[Platform], tuple[str, ...]] | None = None
    """Secrets in its namespace that people manage outside Dockyard, named in the layers."""
    patches: Callable[[Platform], list[dict[str, Any]]] | None = None
    """Changes to the upstream's own objects, for upstreams configured through their objects rather
    than values (Argo CD's settings ConfigMaps): each a partial object, merged (RFC 7386) into the
    upstream's object of that kind and name; one that matches nothing is an error."""

    def values_for(self, platform: Platform, requests: Sequence[TaskRequest]) -> dict[str, Any]:
        if self.request_values is not None:
            return self.request_values(platform, requests)
        return self.values(platform)

    def enabled_by(self, features: frozenset[str]) -> bool:
        return bool(self.features & features)

    def enabled_for(self, platform: Platform) -> bool:
        """On by the profile's features, or by the platform's settings."""
        features = profiles.FEATURES[platform.profile]
        return self.enabled_by(features) or (self.wanted is not None and self.wanted(platform) is not None)
