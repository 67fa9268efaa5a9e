"""Render every service of a platform: provision its resources, then its objects, then the team
namespaces; label and annotate everything; report every problem at once with file:line."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dockyard.errors import Position, Problem, Problems
from dockyard.load.words import did_you_mean
from dockyard.model.platform import Platform
from dockyard.model.service import ResourceRequest, Service
from dockyard.render import profiles
from dockyard.render.bundle import (
    SOURCE_ANNOTATION,
    STAGE_ANNOTATION,
    Bundle,
    Exposure,
    ExternalSecret,
    Rendered,
    SealedSecret,
    Source,
    Stage,
    TaskRequest,
)
from dockyard.render.components.component import installs
from dockyard.render.dashboards import service_dashboard
from dockyard.render.labels import SELECTOR_KEYS, selector
from dockyard.render.namespaces import render_namespace
from dockyard.render.openapi.reading import read_all
from dockyard.render.openapi.sources import Sources
from dockyard.render.placeholders import Context, Unresolvable
from dockyard.render.placement import client_problems, placement_problems
from dockyard.render.provisioners import BUILT_IN
from dockyard.render.provisioners.base import Peer, Provision, Provisioner, ProvisionError, Request
from dockyard.render.provisioners.custom import from_document
from dockyard.render.remembered import Calls, Keys, Memory, ServiceRender, narrowed, process_memory
from dockyard.render.resource_params import expanded, provision_order, references
from dockyard.render.sealed import stamped
from dockyard.render.task_data import KeycloakClient, TaskKind
from dockyard.render.tenancy import admin_binding, console_bindings, team_objects
from dockyard.render.workload import Wiring, WorkloadProblem, render_service


def render(platform: Platform, memory: Memory | None = None) -> Bundle:
    """Every service's objects, its namespaces, and the lifecycle task requests; InputError lists
    all problems. `memory` (by default the process's, when it remembers renders): services whose
    key it holds are not rendered again (remembered.py)."""
    memory = process_memory() if memory is None else memory
    problems = Problems()
    problems.extend(placement_problems(platform))
    read_all([Sources(path, documents) for path, documents in sorted(platform.contracts.items())])
    # the platform's own provisioners, a built-in type's name included: a platform replaces it
    provisioners = {**BUILT_IN, **{t: from_document(t, d) for t, d in platform.provisioners.items()}}
    services = {s.name: s for s in platform.services}
    sharing = Sharing.of(platform.services, problems)
    views = {s.name: narrowed(platform, s, services) for s in platform.services}
    shared = {s.name for s in platform.services if any(r.identity for r in s.resources)}
    keys = Keys(platform, shared) if memory is not None else None
    calls_keys = {name: keys.calls_key(view) for name, view in views.items()} if keys is not None else {}
    calls: dict[str, Calls] = {}
    provisions: dict[str, dict[str, Provision]] = {}
    for service in platform.services:  # in name order: the first user of a shared resource provisions it
        calls_key = calls_keys.get(service.name)
        known = memory.recall_calls(calls_key) if memory is not None and calls_key is not None else None
        if known is None:
            by_resource = _provision(views[service.name], service, provisioners, problems, sharing)
            provisions[service.name] = by_resource
            known = _calls(service, by_resource)
        calls[service.name] = known
    dependents: dict[str, list[Peer]] = {}
    for service in platform.services:
        for callee, peer in calls[service.name]:
            dependents.setdefault(callee, []).append(peer)
    render_keys = {
        name: keys.render_key(calls_key, dependents.get(name, ()))
        for name, calls_key in calls_keys.items()
        if calls_key is not None and keys is not None
    }
    made: dict[str, ServiceRender] = {}
    recalled: set[str] = set()
    for service in platform.services:
        key = render_keys.get(service.name)
        one = memory.recall(key) if memory is not None and key is not None else None
        if one is not None:
            recalled.add(service.name)
        else:
            if service.name not in provisions:
                provisions[service.name] = _provision(views[service.name], service, provisioners, problems, sharing)
            by_resource = provisions[service.name]
            one = _render_one(views[service.name], service, by_resource, dependents, calls, problems)
        if one is not None:
            made[service.name] = one
    objects = [o for m in made.values() for o in m.objects]
    tasks = [t for m in made.values() for t in m.tasks]
    sealed = {(s.namespace, s.name): s for m in made.values() for s in m.sealed}
    objects += _namespaces(platform)
    objects = deduplicate(objects, problems)
    tasks = _one_client_each(tasks, problems)
    problems.extend(client_problems(platform, tasks))
    problems.raise_if_any()
    if memory is not None:
        for name, one in made.items():
            key, calls_key = render_keys.get(name), calls_keys.get(name)
            if key is not None and calls_key is not None and name not in recalled:
                memory.keep(key, calls_key, one)
    return Bundle.of(
        objects,
        tasks,
        exposures=[e for m in made.values() for e in m.exposures],
        external=[e for m in made.values() for e in m.external],
        sealed=sealed.values(),
    )


def _calls(service: Service, by_resource: Mapping[str, Provision]) -> Calls:
    """The services this one depends on, each with the peer its ingress admits: this service's pods
    on the ports its resources reach."""
    found = []
    for provision in by_resource.values():
        if provision.depends_on:
            ports = tuple(port for peer in provision.egress for port in peer.ports)
            found.append((provision.depends_on, Peer(service.settings.namespace, selector(service), ports)))
    return tuple(found)


def _render_one(
    platform: Platform,
    service: Service,
    by_resource: Mapping[str, Provision],
    dependents: Mapping[str, list[Peer]],
    calls: Mapping[str, Calls],
    problems: Problems,
) -> ServiceRender | None:
    """One service's objects and its resources' (None when it has problems: they are in `problems`).
    `platform`: narrowed to what this service may read."""
    if len(by_resource) < len(service.resources):
        return None  # its resources' problems are reported; its placeholders would only repeat them
    wiring = Wiring(
        Context(_metadata(service), {rid: p.outputs for rid, p in by_resource.items()}),
        [peer for p in by_resource.values() for peer in p.egress],
        [peer for p in by_resource.values() for peer in p.ingress] + dependents.get(service.name, []),
        {k: v for p in by_resource.values() for k, v in p.service_labels.items()},
        installs(platform, "opentelemetry-collector", "traces"),
    )
    try:
        manifests = render_service(
            service, service.settings.namespace, wiring, platform.cluster.environment, platform.files
        )
    except WorkloadProblem as problem:
        problems.extend(Problem(service.source.position(p.path), p.message) for p in problem.each())
        return None
    if installs(platform, "kube-prometheus-stack", "metrics") and service.settings.job is None:
        scraped = service.settings.metrics.port is not None
        logs = installs(platform, "loki", "logs")
        manifests.append(service_dashboard(service.name, service.settings.namespace, scraped=scraped, logs=logs))
    where = Source.at(service.source, ("metadata", "name"))
    labels = _labels(platform, service)
    reads = [s for p in by_resource.values() for s in p.sealed]
    objects = [_finish(Rendered(stamped(m, reads), Stage.SERVICES, where), labels) for m in manifests]
    tasks: list[TaskRequest] = []
    exposures: list[Exposure] = []
    external: list[ExternalSecret] = []
    sealed: list[SealedSecret] = []
    for provision in by_resource.values():
        objects += [_finish(r, _object_labels(r, labels)) for r in provision.objects]
        tasks += provision.tasks
        exposures += [provision.exposure] if provision.exposure else []
        external += [
            ExternalSecret(service.settings.namespace, name, frozenset(keys), where)
            for name, keys in sorted(provision.external.items())
        ]
        sealed += provision.sealed
    return ServiceRender(
        tuple(objects), tuple(tasks), tuple(exposures), tuple(external), tuple(sealed), calls[service.name]
    )


def _one_client_each(tasks: list[TaskRequest], problems: Problems) -> list[TaskRequest]:
    """One keycloak-client task per client: its API's scopes and the grants its dependencies ask
    for, together. A scope two APIs declare is a problem: Keycloak's scopes belong to the whole
    realm, so a token with it would pass both APIs' checks."""
    clients: dict[str, TaskRequest] = {}
    owners: dict[str, str] = {}
    others: list[TaskRequest] = []
    seen: set[tuple[str, str, str]] = set()
    for task in tasks:
        if task.kind != TaskKind.KEYCLOAK_CLIENT:
            key = (task.kind, task.name, json.dumps(task.data, sort_keys=True, default=str))
            if key not in seen:  # the same Secret asked for by two dependencies is made once
                seen.add(key)
                others.append(task)
            continue
        client = task.payload(KeycloakClient)
        for scope in client.get("scopes") or {}:
            owner = owners.setdefault(scope, task.name)
            if owner != task.name:
                problems.append(
                    Problem(
                        task.source.position,
                        f"scope `{scope}` is declared by the APIs of both `{owner}` and `{task.name}`; scopes belong "
                        "to the whole realm, so a token with it would pass both",
                        f"give each API's scopes names of its own (for example `{task.name}:read`)",
                    )
                )
        first = clients.get(task.name)
        if first is None:
            clients[task.name] = task
            continue
        api, caller = (first, task) if "scopes" in first.payload(KeycloakClient) else (task, first)
        api_data, caller_data = api.payload(KeycloakClient), caller.payload(KeycloakClient)
        grants = {name: list(scopes) for name, scopes in (api_data.get("grants") or {}).items()}
        for name, scopes in (caller_data.get("grants") or {}).items():
            grants[name] = sorted({*grants.get(name, []), *scopes})
        merged: KeycloakClient = {**caller_data, **api_data, "grants": grants}
        clients[task.name] = TaskRequest(task.kind, task.name, merged, api.source)
    return [*others, *clients.values()]


def _provision(
    platform: Platform,
    service: Service,
    provisioners: Mapping[str, Provisioner],
    problems: Problems,
    sharing: Sharing,
) -> dict[str, Provision]:
    result: dict[str, Provision] = {}
    by_id = {resource.id: resource for resource in service.resources}
    try:
        order = provision_order({rid: resource.params for rid, resource in by_id.items()})
    except Unresolvable as error:
        problems.append(Problem(service.source.position(("resources",)), str(error)))
        return result
    for rid in order:
        resource = by_id[rid]
        source = Source.at(service.source, ("resources", resource.id), key=True)
        classed = resource.class_ not in (None, "default")
        provisioner = provisioners.get(f"{resource.type}.{resource.class_}" if classed else resource.type)
        if provisioner is None and classed:
            problems.append(
                Problem(
                    service.source.position(("resources", resource.id, "class")),
                    f"no provisioner for a `{resource.type}` resource of class `{resource.class_}`",
                    f"add provisioners/{resource.type}.{resource.class_}.yaml, or leave out the class for the "
                    f"platform's `{resource.type}`",
                )
            )
            continue
        if provisioner is None:  # load checks the type; a custom provisioner may have been removed since
            problems.append(Problem(source.position, f"unknown resource type `{resource.type}`"))
            continue
        unknown = (
            sorted(set(resource.params) - set(provisioner.params)) if provisioner is BUILT_IN.get(resource.type) else []
        )
        if unknown:
            accepted = sorted(provisioner.params)
            for name in unknown:
                hint = did_you_mean(name, accepted) or (
                    f"a `{resource.type}` resource takes {', '.join(accepted)}" if accepted else "it takes no params"
                )
                problems.append(
                    Problem(
                        service.source.position(("resources", resource.id, "params", name), key=True),
                        f"unknown param `{name}` of a `{resource.type}` resource",
                        hint,
                    )
                )
            continue
        if (references(resource.params) & set(by_id)) - set(result):
            continue  # a resource it names could not be provisioned: that one's problem is reported
        # (one it names that the service does not have is reported by the expansion below)
        identity = resource.identity
        if identity is not None and identity in sharing.broken:
            continue  # reported by Sharing.of
        if identity is not None and sharing.owner(identity) is not service:
            provided = sharing.provided.get(identity)
            if provided is not None:  # one resource: the service that provisioned it made its objects
                result[resource.id] = Provision(
                    outputs=provided.outputs, egress=provided.egress, external=provided.external, sealed=provided.sealed
                )
            continue
        try:
            context = Context(_metadata(service), {other: p.outputs for other, p in result.items()})
            resource = dataclasses.replace(resource, params=expanded(resource.params, context))
        except Unresolvable as error:
            problems.append(Problem(service.source.position(("resources", resource.id, "params")), str(error)))
            continue
        clients = tuple(sharing.users[identity]) if identity is not None else ()
        services = {s.name: s for s in platform.services}  # narrowed: this one and those it calls
        request = Request(
            platform, service, resource, service.settings.namespace, selector(service), source, services, clients
        )
        try:
            result[resource.id] = provisioner.provision(request)
            if identity is not None:
                sharing.provided[identity] = result[resource.id]
        except ProvisionError as error:
            problems.extend(error.problems or [Problem(source.position, str(error))])
    return dict(sorted(result.items()))


def _metadata(service: Service) -> dict[str, Any]:
    metadata = service.source.data.get("metadata", {})
    return {**metadata, "name": service.name}


def _labels(platform: Platform, service: Service) -> dict[str, str]:
    labels = {
        **selector(service),
        "app.kubernetes.io/part-of": platform.name,
        "app.kubernetes.io/managed-by": "dockyard",
    }
    if service.settings.team:
        labels["dockyard.dev/team"] = service.settings.team
    return labels


def _object_labels(rendered: Rendered, labels: Mapping[str, str]) -> Mapping[str, str]:
    """A provisioned object that makes pods of its own (a waypoint Gateway) must not carry the
    service's selector labels: its pods would become endpoints of the service's Service."""
    if rendered.kind != "Gateway":
        return labels
    return {k: v for k, v in labels.items() if k not in SELECTOR_KEYS}


def _finish(rendered: Rendered, labels: Mapping[str, str]) -> Rendered:
    """Add the standard labels (keeping any the object sets itself) and the source and stage annotations."""
    metadata = rendered.manifest["metadata"]
    metadata["labels"] = {**labels, **metadata.get("labels", {})}
    metadata["annotations"] = {
        **metadata.get("annotations", {}),
        SOURCE_ANNOTATION: rendered.source.file,
        STAGE_ANNOTATION: str(rendered.stage),
    }
    return rendered


def _namespaces(platform: Platform) -> list[Rendered]:
    mesh = profiles.enabled(platform.profile, "mesh")
    teams: dict[str, tuple[str | None, str]] = {}
    for service in platform.services:
        teams.setdefault(service.settings.namespace, (service.settings.team, service.source.file))
    common = {"app.kubernetes.io/part-of": platform.name, "app.kubernetes.io/managed-by": "dockyard"}
    objects = []
    settings = platform.settings.teams
    for namespace, (team, file) in sorted(teams.items()):
        manifests = render_namespace(namespace, team, mesh)
        where = Source(file)
        if team is not None and team in settings:
            manifests += team_objects(namespace, settings[team])
            where = _layer_source(platform.locate(("teams", team)))
        for manifest in manifests:
            source = where if manifest["kind"] not in ("Namespace", "NetworkPolicy") else Source(file)
            objects.append(_finish(Rendered(manifest, Stage.NAMESPACES, source), common))
        if platform.settings.console_in_cluster:  # placed at the setting that asks for it
            console = _layer_source(platform.locate(("console", "inCluster")))
            objects += [_finish(Rendered(m, Stage.NAMESPACES, console), common) for m in console_bindings(namespace)]
    admins = platform.settings.platform_admins
    if admins:
        source = _layer_source(platform.locate(("platformAdmins",)))
        objects.append(_finish(Rendered(admin_binding(admins), Stage.NAMESPACES, source), common))
    return objects


def _layer_source(position: Position) -> Source:
    """Objects a layer's setting makes: placed at that setting."""
    return Source(position.file, lambda: position)


def deduplicate(objects: list[Rendered], problems: Problems) -> list[Rendered]:
    """Identical objects rendered twice (a namespace's waypoint) are kept once; different ones clash.
    An object whose identity is malformed (a name with `/`, a namespace that is no DNS label) is a
    problem: nothing downstream (files, requests, policies) may be named after it."""
    seen: dict[tuple[str, str, str | None, str], Rendered] = {}
    for rendered in objects:
        wrong = rendered.identity_problem
        if wrong is not None:
            problems.append(Problem(rendered.source.position, wrong))
            continue
        key = (rendered.api_version, rendered.kind, rendered.namespace, rendered.name)
        first = seen.get(key)
        if first is None:
            seen[key] = rendered
        elif _comparable(first) != _comparable(rendered):
            where = f"{rendered.namespace}/" if rendered.namespace else ""
            problems.append(
                Problem(
                    rendered.source.position,
                    f"{rendered.kind} {where}{rendered.name} is also rendered, differently, from {first.source}",
                    "give one of them another name",
                )
            )
    return list(seen.values())


def _comparable(rendered: Rendered) -> Any:
    manifest = dict(rendered.manifest)
    metadata = dict(manifest["metadata"])
    metadata.pop("annotations", None)
    metadata.pop("labels", None)
    manifest["metadata"] = metadata
    return manifest


SHAREABLE = frozenset({"postgres", "redis", "volume", "secret"})
"""Built-in types a resource `id` may share; a platform's own provisioners may be shared too."""


@dataclass
class Sharing:
    """Score's shared resources: the resources of the same type, class and `id` are one. The first
    service that uses one (in name order) provisions it for all of them (its access policy admits
    every one); the others get its outputs and their network egress, and no objects of their own."""

    users: dict[tuple[str, str, str], list[Service]] = field(default_factory=dict)
    broken: set[tuple[str, str, str]] = field(default_factory=set)
    provided: dict[tuple[str, str, str], Provision] = field(default_factory=dict)

    def owner(self, identity: tuple[str, str, str]) -> Service:
        return self.users[identity][0]

    @classmethod
    def of(cls, services: Sequence[Service], problems: Problems) -> Sharing:
        sharing = cls()
        declared: dict[tuple[str, str, str], list[tuple[Service, ResourceRequest]]] = {}
        for service in services:
            for resource in service.resources:
                if resource.identity is not None:
                    declared.setdefault(resource.identity, []).append((service, resource))
        for identity, uses in declared.items():
            sharing.users[identity] = [service for service, _resource in uses]
            first, first_resource = uses[0]
            first_at = first.source.position(("resources", first_resource.id), key=True)
            kind, klass, shared = identity
            name = f"{kind}.{klass}#{shared}"
            for service, resource in uses:
                where = service.source.position(("resources", resource.id, "id"))
                if kind in BUILT_IN and kind not in SHAREABLE:
                    problems.append(
                        Problem(
                            where,
                            f"a `{kind}` resource cannot be shared (`id: {shared}`): each service has its own",
                            f"built-in types that can be shared: {', '.join(sorted(SHAREABLE))}",
                        )
                    )
                    sharing.broken.add(identity)
                elif service.settings.namespace != first.settings.namespace:
                    problems.append(
                        Problem(
                            where,
                            f"shared resource `{name}` is also used by `{first.name}`, in namespace "
                            f"`{first.settings.namespace}`, not `{service.settings.namespace}`: a shared resource "
                            "lives in one namespace",
                            "give the services that share it the same `team` (in their dockyard.yaml)",
                        )
                    )
                    sharing.broken.add(identity)
                elif resource.params != first_resource.params:
                    problems.append(
                        Problem(
                            where,
                            f"shared resource `{name}` has params different from `{first.name}`'s "
                            f"({first_at}): it is one resource",
                            "give every service that shares it the same params",
                        )
                    )
                    sharing.broken.add(identity)
        return sharing
