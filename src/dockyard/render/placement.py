"""Where a service may go: not into a namespace the platform's own components use (its policies
trust those namespaces: a team's pods there would pass as the gateway, the identity provider or
Prometheus), not into Kubernetes' own, and not under a name the mesh gives its own workload in
every team namespace (`waypoint`: its service account is what the API's pods admit). A service's
OAuth client takes the service's name, so it must not be one of the platform's own clients
(Grafana's, the sign-in proxy's, Argo CD's): the two would overwrite each other's settings, and
the service would be handed the platform client's secret."""

from __future__ import annotations

from dockyard.errors import Position, Problem, Problems
from dockyard.model.platform import Platform
from dockyard.model.service import Service
from dockyard.render.bundle import TaskRequest
from dockyard.render.components.catalog import choose
from dockyard.render.provisioners.api import WAYPOINT
from dockyard.render.task_data import KeycloakClient, TaskKind, payload

KUBERNETES_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def placement_problems(platform: Platform) -> list[Problem]:
    chosen = choose(platform, Problems())
    platform_namespaces: dict[str, str] = {}
    for item in chosen:  # in name order: the first component of a namespace names it
        platform_namespaces.setdefault(item.component.namespace, item.component.name)
    found = []
    for service in platform.services:
        namespace = service.settings.namespace
        owner = platform_namespaces.get(namespace)
        if owner is not None or namespace in KUBERNETES_NAMESPACES or namespace.startswith(("kube-", "dockyard-")):
            whose = f"the platform's (component `{owner}`)" if owner else "reserved for Kubernetes or the platform"
            found.append(
                Problem(
                    _namespace_position(service),
                    f"service `{service.name}` would run in namespace `{namespace}`, which is {whose}; the "
                    "platform's policies trust that namespace, so a service there would pass as a part of it",
                    "give the service a `team` (in its dockyard.yaml) or a `namespace` of its own",
                )
            )
        if service.name == WAYPOINT:
            found.append(
                Problem(
                    service.source.position(("metadata", "name")),
                    f"service name `{WAYPOINT}` is the mesh's own: the waypoint that checks every API's tokens runs "
                    "under that name in each team namespace, and the APIs' pods admit it",
                    "choose another name",
                )
            )
    return found


def _namespace_position(service: Service) -> Position:
    for key in ("namespace", "team"):
        where = service.locate_setting((key,))
        if where is not None:
            return where
    return service.source.position(("metadata", "name"))


def client_problems(platform: Platform, tasks: list[TaskRequest]) -> list[Problem]:
    """Services' keycloak-client tasks whose client ID is one a platform component uses."""
    chosen = choose(platform, Problems())
    platform_clients = {
        payload(spec.kind, spec.data, KeycloakClient)["clientId"]: item.component.name
        for item in chosen
        for spec in item.component.tasks(platform)
        if spec.kind == TaskKind.KEYCLOAK_CLIENT
    }
    found = []
    for task in tasks:
        client_id = task.payload(KeycloakClient)["clientId"] if task.kind == TaskKind.KEYCLOAK_CLIENT else None
        owner = platform_clients.get(client_id) if client_id else None
        if owner is not None:
            found.append(
                Problem(
                    task.source.position,
                    f"service `{task.name}` would get OAuth client `{client_id}`, which is the "
                    f"platform's own (component `{owner}`): each would overwrite the other's settings, and the "
                    "service would be given that client's secret",
                    "rename the service",
                )
            )
    return found
