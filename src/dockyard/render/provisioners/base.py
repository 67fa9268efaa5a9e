"""What a provisioner is: a resource type, its declared outputs, and a function from a request to
the outputs, objects, tasks and network rules that wire the resource to the service."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dockyard.errors import Problem
from dockyard.model.platform import Platform
from dockyard.model.service import ResourceRequest, Service
from dockyard.render.bundle import Exposure, Rendered, SealedSecret, Source, TaskRequest
from dockyard.render.labels import selector_of
from dockyard.render.placeholders import Output


class ProvisionError(Exception):
    """A resource cannot be provisioned as asked; the message says why, for the user.

    `problems`, when given, are the exact findings with their own places (e.g. lines of a
    contract file) and replace the message.
    """

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


@dataclass(frozen=True)
class Peer:
    """One side of an allowed connection: pods selected by labels in a namespace, on ports."""

    namespace: str
    pod_labels: Mapping[str, str]
    ports: tuple[tuple[str, int], ...]
    """(protocol, port) pairs; empty means every port."""


@dataclass(frozen=True)
class Request:
    platform: Platform
    service: Service
    resource: ResourceRequest
    namespace: str
    labels: Mapping[str, str]
    """The service's standard labels (app.kubernetes.io/...)."""
    source: Source
    """Where the resource is declared in score.yaml."""
    services: Mapping[str, Service]
    """Every service of the platform, by name (for dependencies)."""
    clients: tuple[Service, ...] = ()
    """The services that use the resource: this one, or every service that shares it (Score's
    resource `id`); empty means this service alone."""

    def object_name(self, suffix: str = "") -> str:
        """`<service>-<resource>`, or a shared resource's id (one object for all its services)."""
        base = self.resource.shared or f"{self.service.name}-{self.resource.id}"
        return f"{base}-{suffix}" if suffix else base

    def client_selectors(self) -> list[dict[str, str]]:
        """The pod labels of every service that uses the resource (for its access policy)."""
        return [selector_of(s.name) for s in (self.clients or (self.service,))]


@dataclass
class Provision:
    outputs: dict[str, Output] = field(default_factory=dict)
    objects: list[Rendered] = field(default_factory=list)
    tasks: list[TaskRequest] = field(default_factory=list)
    egress: list[Peer] = field(default_factory=list)
    """Connections the service makes because of this resource."""
    ingress: list[Peer] = field(default_factory=list)
    """Connections the service accepts because of this resource (e.g. from the gateway)."""
    service_labels: dict[str, str] = field(default_factory=dict)
    """Labels the service's Service object needs (e.g. to use a waypoint)."""
    depends_on: str | None = None
    """Another service this resource is a dependency on (it gets an ingress rule from this one)."""
    exposure: Exposure | None = None
    """The service's API, when this resource makes one that needs credentials."""
    external: dict[str, set[str]] = field(default_factory=dict)
    """Secrets this resource's outputs read that people manage outside Dockyard: name -> keys."""
    sealed: list[SealedSecret] = field(default_factory=list)
    """Rendered Secrets whose values are the repo's encrypted secrets (filled at apply time)."""


@dataclass(frozen=True)
class Provisioner:
    type: str
    outputs: tuple[str, ...]
    provision: Callable[[Request], Provision]
    description: str
    params: Mapping[str, Any] = field(default_factory=dict)
    """Accepted params and a word on each (documentation and validation)."""


YAML_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    list: "a list",
    dict: "a mapping",
    type(None): "null",
}
"""How a person writing YAML names each type (never Python's names)."""


def param(request: Request, name: str, kinds: type | tuple[type, ...], default: Any) -> Any:
    value = request.resource.params.get(name, default)
    if not isinstance(value, kinds):
        wanted = [k for k in (kinds if isinstance(kinds, tuple) else (kinds,)) if k is not type(None)]
        words = " or ".join(YAML_NAMES.get(k, k.__name__) for k in wanted)
        found = YAML_NAMES.get(type(value), type(value).__name__)
        raise ProvisionError(f"resource `{request.resource.id}`: params.{name} must be {words}, not {found}")
    return value
