"""A service: its Score workload (containers, ports, resources) and its effective settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dockyard.load.yamlsafe import Document
from dockyard.model.images import resolved_images
from dockyard.model.settings import Settings, settings_of


@dataclass(frozen=True)
class Port:
    name: str
    port: int
    target_port: int
    protocol: str


@dataclass(frozen=True)
class Container:
    name: str
    image: str
    spec: Mapping[str, Any]
    """The container's Score fields as written (command, args, variables, files, probes, ...)."""


@dataclass(frozen=True)
class ResourceRequest:
    """A Score resource: what the service needs from the platform."""

    id: str
    type: str
    params: Mapping[str, Any]
    class_: str | None = None


@dataclass(frozen=True)
class Service:
    name: str
    source: Document
    """score.yaml as parsed, so later steps can point at the line that caused them."""
    containers: tuple[Container, ...]
    ports: tuple[Port, ...]
    resources: tuple[ResourceRequest, ...]
    settings: Settings


def build_service(
    name: str, score: Document, settings: Mapping[str, Any], given_images: Mapping[str, str] | None = None
) -> Service:
    """`given_images`: from the command line (model/images.py)."""
    data = score.data
    written = {n: str(c["image"]) for n, c in data["containers"].items()}
    typed = settings_of(name, settings)
    images = resolved_images(name, written, typed.images, given_images or {})
    containers = tuple(Container(n, images[n], c) for n, c in sorted(data["containers"].items()))
    ports = tuple(
        Port(n, p["port"], p.get("targetPort", p["port"]), p.get("protocol", "TCP"))
        for n, p in sorted(data.get("service", {}).get("ports", {}).items())
    )
    resources = tuple(
        ResourceRequest(rid, r["type"], r.get("params", {}), r.get("class"))
        for rid, r in sorted(data.get("resources", {}).items())
    )
    return Service(name, score, containers, ports, resources, typed)
