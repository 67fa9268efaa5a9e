"""The service catalog: what a person wants to know about each service, computed from one cluster's
typed platform and its render (pure; no I/O)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dockyard.model.platform import Platform
from dockyard.model.service import Service
from dockyard.render.bundle import Bundle, Rendered
from dockyard.render.provisioners.api import ContractUnusable, service_contract
from dockyard.render.provisioners.route import served_scheme


@dataclass(frozen=True)
class Operation:
    """One operation of a service's API contract and the scopes a caller needs (none: public)."""

    method: str
    path: str
    open: bool
    """Anyone may call it, with no token."""
    scopes: tuple[tuple[str, ...], ...]
    """When not open, any one of these sets of scopes is enough (an empty set: any token of the API)."""

    def as_json(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "open": self.open, "scopes": [list(s) for s in self.scopes]}


@dataclass(frozen=True)
class Resource:
    id: str
    type: str
    shared: bool


@dataclass(frozen=True)
class Card:
    """One service as the catalog shows it."""

    name: str
    team: str | None
    namespace: str
    images: tuple[str, ...]
    urls: tuple[str, ...]
    """Where its routes publish it, as a person would open them."""
    resources: tuple[Resource, ...]
    dependencies: tuple[str, ...]
    """The services it calls."""
    operations: tuple[Operation, ...]
    contract: str | None
    """The contract's title; None when the service has no API resource."""
    contract_readable: bool
    source: str
    """Its score.yaml, relative to the repo."""
    objects: int
    """How many objects its render has."""
    job: str | None = None
    """A job's cron schedule, or `when started`; None for a long-running service."""
    owner: str | None = None
    """Who answers for it within its team (its settings' `owner`)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "team": self.team,
            "owner": self.owner,
            "namespace": self.namespace,
            "images": list(self.images),
            "urls": list(self.urls),
            "resources": [{"id": r.id, "type": r.type, "shared": r.shared} for r in self.resources],
            "dependencies": list(self.dependencies),
            "contract": None
            if self.contract is None
            else {
                "title": self.contract,
                "readable": self.contract_readable,
                "operations": [o.as_json() for o in self.operations],
            },
            "source": self.source,
            "objects": self.objects,
            "job": self.job,
        }


@dataclass(frozen=True)
class Owned:
    """An object the render gives a service, as the console compares it with the cluster."""

    api_version: str
    service: str


def service_of(rendered: Rendered) -> str | None:
    """The service a rendered object belongs to (its source is under services/<name>/), if any."""
    parts = rendered.source.file.split("/", 2)
    return parts[1] if len(parts) == 3 and parts[0] == "services" else None


def objects_by_service(bundle: Bundle) -> Mapping[str, list[Rendered]]:
    found: dict[str, list[Rendered]] = defaultdict(list)
    for rendered in bundle.objects:
        name = service_of(rendered)
        if name is not None:
            found[name].append(rendered)
    return found


def catalog(platform: Platform, bundle: Bundle) -> tuple[Card, ...]:
    """A card per service, by name."""
    by_service = objects_by_service(bundle)
    scheme = served_scheme(platform.profile)
    return tuple(
        card(platform, service, by_service.get(service.name, []), scheme)
        for service in sorted(platform.services, key=lambda s: s.name)
    )


def card(platform: Platform, service: Service, objects: list[Rendered], scheme: str) -> Card:
    contract_title: str | None = None
    operations: tuple[Operation, ...] = ()
    readable = True
    try:
        contract = service_contract(platform, service)
    except ContractUnusable:
        contract, readable, contract_title = None, False, "unreadable contract"
    if contract is not None:
        contract_title = contract.title
        operations = tuple(
            Operation(op.method, op.path, op.open, () if op.open else op.alternatives) for op in contract.operations
        )
    return Card(
        name=service.name,
        team=service.settings.team,
        namespace=service.settings.namespace,
        images=tuple(c.image for c in service.containers),
        urls=_urls(objects, scheme),
        resources=tuple(Resource(r.id, r.type, r.shared is not None) for r in service.resources),
        dependencies=tuple(
            sorted({str(r.params.get("name") or r.id) for r in service.resources if r.type == "service"})
        ),
        operations=operations,
        contract=contract_title,
        contract_readable=readable,
        source=service.source.file,
        objects=len(objects),
        job=None if service.settings.job is None else (service.settings.job.schedule or "when started"),
        owner=service.settings.owner,
    )


def _urls(objects: list[Rendered], scheme: str) -> tuple[str, ...]:
    urls: list[str] = []
    for rendered in objects:
        manifest = rendered.manifest
        if manifest.get("kind") != "HTTPRoute":
            continue
        spec = manifest.get("spec", {})
        paths = [
            match.get("path", {}).get("value", "/")
            for rule in spec.get("rules", [])
            for match in rule.get("matches", [{}])
        ] or ["/"]
        for host in spec.get("hostnames", []):
            urls += [f"{scheme}://{host}{'' if path == '/' else path}" for path in paths]
    return tuple(dict.fromkeys(urls))
