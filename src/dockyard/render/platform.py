"""The whole platform for one cluster: its components (charts and Dockyard's own objects) and
its services, in one bundle ordered by stage."""

from __future__ import annotations

from enum import StrEnum

from dockyard.errors import InputError, Problem
from dockyard.model.platform import Platform
from dockyard.render import services
from dockyard.render.bundle import Bundle, Exposure, ExternalSecret, Rendered, SealedSecret, Source, TaskRequest
from dockyard.render.components import controller
from dockyard.render.components.component import has
from dockyard.render.components.objects import ChartStore, render_components
from dockyard.render.task_data import KeycloakClient, KeycloakPrune, TaskKind


class Part(StrEnum):
    """What `render --only` selects: everything, only the components, or only the services."""

    ALL = "all"
    PLATFORM = "platform"
    SERVICES = "services"


def render_platform(platform: Platform, store: ChartStore, only: Part = Part.ALL) -> Bundle:
    problems: list[Problem] = []
    objects: list[Rendered] = []
    tasks: list[TaskRequest] = []
    warnings: list[Problem] = []
    requests: tuple[TaskRequest, ...] = ()
    exposures: tuple[Exposure, ...] = ()
    external: tuple[ExternalSecret, ...] = ()
    sealed: tuple[SealedSecret, ...] = ()
    try:
        bundle = services.render(platform)
        requests = bundle.tasks
        if only in (Part.ALL, Part.SERVICES):
            objects += bundle.objects
            tasks += bundle.tasks
            exposures = bundle.exposures
            external = bundle.external
            sealed = bundle.sealed
    except InputError as error:
        if only in (Part.ALL, Part.SERVICES):
            problems += error.problems
    if only in (Part.ALL, Part.PLATFORM):
        try:
            installed = render_components(platform, store, requests)
            objects += installed.objects
            tasks += installed.tasks
            warnings += installed.warnings
            external = (*external, *installed.made_at_run_time)
            sealed = (*sealed, *installed.sealed)
        except InputError as error:
            problems += error.problems
    if problems:
        raise InputError(problems)
    if only is Part.ALL and has(platform, "sso"):
        tasks.append(keycloak_prune(platform, tasks))
    objects = controller.grant(objects, [*requests, *tasks])
    return Bundle.of(_unique(objects, problems), tasks, warnings, exposures, external, sealed)


def keycloak_prune(platform: Platform, tasks: list[TaskRequest]) -> TaskRequest:
    """One task after every keycloak-client task: the realm keeps exactly the clients this render
    names (of those this cluster made), so a caller or a UI that is gone loses its client."""
    clients = sorted({t.payload(KeycloakClient)["clientId"] for t in tasks if t.kind == TaskKind.KEYCLOAK_CLIENT})
    data: KeycloakPrune = {
        "realm": platform.name,
        "owner": f"{platform.name}-{platform.cluster.name}",
        "clients": clients,
    }
    return TaskRequest(TaskKind.KEYCLOAK_PRUNE, platform.name, data, Source("platform.yaml"))


def _unique(objects: list[Rendered], problems: list[Problem]) -> list[Rendered]:
    """A namespace both a component and a team use is rendered once; other clashes are problems."""
    kept = services.deduplicate(objects, problems)
    if problems:
        raise InputError(problems)
    return kept
