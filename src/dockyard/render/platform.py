"""The whole platform for one cluster: its components (charts and Dockyard's own objects) and
its services, in one bundle ordered by stage."""

from __future__ import annotations

from enum import StrEnum
from functools import partial

from dockyard.errors import Problems
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


def render_platform(
    platform: Platform, store: ChartStore, only: Part = Part.ALL, rendered_services: Bundle | None = None
) -> Bundle:
    """`rendered_services`: `services.render(platform)` made already (a caller that validated first)."""
    problems = Problems()
    objects: list[Rendered] = []
    tasks: list[TaskRequest] = []
    requests: tuple[TaskRequest, ...] = ()
    exposures: tuple[Exposure, ...] = ()
    external: tuple[ExternalSecret, ...] = ()
    sealed: tuple[SealedSecret, ...] = ()
    # the services' problems count only when they are rendered; their task requests always do
    bundle = rendered_services or (problems if only in (Part.ALL, Part.SERVICES) else Problems()).attempt(
        partial(services.render, platform)
    )
    if bundle is not None:
        requests = bundle.tasks
        if only in (Part.ALL, Part.SERVICES):
            objects += bundle.objects
            tasks += bundle.tasks
            exposures = bundle.exposures
            external = bundle.external
            sealed = bundle.sealed
    if only in (Part.ALL, Part.PLATFORM):
        installed = problems.attempt(partial(render_components, platform, store, requests))
        if installed is not None:
            objects += installed.objects
            tasks += installed.tasks
            for warning in installed.warnings:
                problems.warn(warning)
            external = (*external, *installed.made_at_run_time)
            sealed = (*sealed, *installed.sealed)
    problems.raise_if_any()
    if only is Part.ALL and has(platform, "sso"):
        tasks.append(keycloak_prune(platform, tasks))
    objects = controller.grant(objects, [*requests, *tasks])
    objects = services.deduplicate(objects, problems)  # a namespace both a component and a team use is kept once
    problems.raise_if_any()
    return Bundle.of(objects, tasks, problems.warnings, exposures, external, sealed)


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
