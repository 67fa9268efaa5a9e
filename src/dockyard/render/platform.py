"""The whole platform for one cluster: its components (charts and Dockyard's own objects) and
its services, in one bundle ordered by stage."""

from __future__ import annotations

from dockyard.errors import InputError, Problem
from dockyard.model.platform import Platform
from dockyard.render import services
from dockyard.render.bundle import Bundle, Exposure, ExternalSecret, Rendered, TaskRequest
from dockyard.render.components.install import ChartStore, render_components

PARTS = ("all", "platform", "services")
"""What `render --only` selects: everything, only the components, or only the services."""


def render_platform(platform: Platform, store: ChartStore, only: str = "all") -> Bundle:
    problems: list[Problem] = []
    objects: list[Rendered] = []
    tasks: list[TaskRequest] = []
    warnings: list[Problem] = []
    requests: tuple[TaskRequest, ...] = ()
    exposures: tuple[Exposure, ...] = ()
    external: tuple[ExternalSecret, ...] = ()
    try:
        bundle = services.render(platform)
        requests = bundle.tasks
        if only in ("all", "services"):
            objects += bundle.objects
            tasks += bundle.tasks
            exposures = bundle.exposures
            external = bundle.external
    except InputError as error:
        if only in ("all", "services"):
            problems += error.problems
    if only in ("all", "platform"):
        try:
            installed = render_components(platform, store, requests)
            objects += installed.objects
            tasks += installed.tasks
            warnings += installed.warnings
            external = (*external, *installed.made_at_run_time)
        except InputError as error:
            problems += error.problems
    if problems:
        raise InputError(problems)
    return Bundle.of(_unique(objects, problems), tasks, warnings, exposures, external)


def _unique(objects: list[Rendered], problems: list[Problem]) -> list[Rendered]:
    """A namespace both a component and a team use is rendered once; other clashes are problems."""
    kept = services.deduplicate(objects, problems)
    if problems:
        raise InputError(problems)
    return kept
