"""Every built-in component, and which ones a platform gets: its profile's, switched on or off
per layer with `components.<name>.enabled`, plus the platform repo's own components."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from dockyard.charts.source import ChartSource
from dockyard.errors import Position, Problem, Problems
from dockyard.load.words import did_you_mean
from dockyard.model.platform import Platform
from dockyard.render.bundle import Stage
from dockyard.render.components import (
    console,
    controller,
    data,
    external_secrets,
    gateway,
    identity,
    mesh,
    observability,
    operations,
)
from dockyard.render.components.component import Component

CATALOG: dict[str, Component] = {
    c.name: c
    for c in (
        *gateway.COMPONENTS,
        *mesh.COMPONENTS,
        *operations.COMPONENTS,
        *identity.COMPONENTS,
        *data.COMPONENTS,
        *observability.COMPONENTS,
        *controller.COMPONENTS,
        *console.COMPONENTS,
        *external_secrets.COMPONENTS,
    )
}


@dataclass(frozen=True)
class Chosen:
    """A component this platform installs, with the platform repo's settings for it."""

    component: Component
    values: dict[str, Any] = field(default_factory=dict)
    """Chart values from the layers, merged over the component's own."""
    exclude: tuple[str, ...] = ()
    """Kinds not to install (e.g. admission webhooks on a cluster that cannot call them)."""
    where: Position | None = None
    """Where the layers configure it (None: only the profile switches it on)."""
    secrets: dict[str, dict[str, str]] = field(default_factory=dict)
    """Secrets to make from the repo's encrypted secrets: name -> {key of the Secret: secret's dotted key}."""


def choose(platform: Platform, problems: Problems) -> list[Chosen]:
    """The components of `platform`, in name order; every problem with their settings goes to `problems`."""
    settings: dict[str, dict[str, Any]] = platform.values.get("components") or {}
    chosen: list[Chosen] = []
    for name in sorted(set(CATALOG) | set(settings)):
        config = settings.get(name, {})
        where = platform.locate(("components", name)) if name in settings else None
        component = CATALOG.get(name)
        if where is None and component is not None and component.wanted is not None:
            where = component.wanted(platform)
        if component is None:
            component = _custom(name, config, where, problems)
            if component is None:
                continue
        else:
            if "namespace" in config or "stage" in config:
                problems.append(
                    Problem(
                        platform.locate(("components", name, "namespace" if "namespace" in config else "stage")),
                        f"component `{name}` is built in: its namespace and stage are fixed, "
                        "because services and other components are wired to them",
                        "to run a second copy elsewhere, add a component of your own with another name",
                    )
                )
                continue
            if "chart" in config:
                component = replace(
                    component, source=ChartSource.from_values({"kind": _kind(component), **config["chart"]})
                )
        if not config.get("enabled", component.enabled_for(platform) if name in CATALOG else True):
            continue
        chosen.append(
            Chosen(
                component,
                config.get("values") or {},
                tuple(config.get("exclude") or ()),
                where,
                config.get("secrets") or {},
            )
        )
    return chosen


def _kind(component: Component) -> str:
    return component.source.kind if component.source else "helm"


def _custom(name: str, config: dict[str, Any], where: Position | None, problems: Problems) -> Component | None:
    missing = [key for key in ("chart", "namespace", "stage") if key not in config]
    if missing:
        hint = did_you_mean(name, list(CATALOG))
        problems.append(
            Problem(
                where or Position("platform.yaml"),
                f"unknown component `{name}`" + (f" ({hint})" if hint else ""),
                f"to add a component of your own, give it {', '.join(missing)}; "
                f"built-in components: {', '.join(sorted(CATALOG))}",
            )
        )
        return None
    return Component(
        name=name,
        namespace=config["namespace"],
        stage=Stage(config["stage"]),
        features=frozenset(),
        source=ChartSource.from_values(config["chart"]),
        description="the platform repo's own component",
    )
