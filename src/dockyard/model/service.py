"""A service: its Score workload (containers, ports, resources) and its effective settings."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from dockyard.errors import Position
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
class File:
    """A file Score puts into the container: exactly one of content, binary_content or source."""

    key: int | str
    """Where it is written in score.yaml: its index (a list) or its target (a mapping)."""
    target: str
    mode: int | None
    content: str | None = None
    binary_content: str | None = None
    """Base64, as Score gives it."""
    source: str | None = None
    """A file of the repo, relative to score.yaml."""
    no_expand: bool = False


@dataclass(frozen=True)
class Volume:
    key: int | str
    """Where it is written in score.yaml: its index (a list) or its target (a mapping)."""
    source: str
    """A placeholder naming a `volume` resource (or its claim)."""
    target: str
    path: str | None
    read_only: bool


@dataclass(frozen=True)
class Compute:
    """A container's own requests and limits (cpu, memory), as written."""

    requests: Mapping[str, str]
    limits: Mapping[str, str]


@dataclass(frozen=True)
class HttpProbe:
    """A Score `httpGet` probe: a GET of `path` on `port` (200-399 is healthy)."""

    path: str
    port: int
    host: str | None = None
    scheme: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ExecProbe:
    """A Score `exec` probe: a command run in the container (exit 0 is healthy)."""

    command: tuple[str, ...]


Probe = HttpProbe | ExecProbe


def probe_of(written: Mapping[str, Any] | None) -> Probe | None:
    """A probe from its Score fields (the schema allows one of `httpGet` and `exec`; load refuses both)."""
    if written is None:
        return None
    if "exec" in written:
        return ExecProbe(tuple(str(part) for part in written["exec"]["command"]))
    http = written["httpGet"]
    return HttpProbe(
        str(http["path"]),
        int(http["port"]),
        http.get("host"),
        http.get("scheme"),
        tuple((str(h["name"]), str(h["value"])) for h in http.get("httpHeaders") or ()),
    )


class Ready(StrEnum):
    """Score's `before.<container>.ready`: how far a container gets before the others start."""

    STARTED = "started"
    HEALTHY = "healthy"
    COMPLETE = "complete"


@dataclass(frozen=True)
class Container:
    """A Score container, typed."""

    name: str
    image: str
    command: tuple[str, ...] | None
    args: tuple[str, ...] | None
    variables: Mapping[str, str]
    files: tuple[File, ...]
    volumes: tuple[Volume, ...]
    resources: Compute
    liveness_probe: Probe | None
    readiness_probe: Probe | None
    before: Mapping[str, Ready] = field(default_factory=dict)
    """Containers that start only once this one is `ready` (load holds them to one `ready` each)."""

    @property
    def starts_first(self) -> Ready | None:
        """How this container must be before the others start; None: it is one of the workload's own."""
        return next(iter(self.before.values()), None)


def container_of(name: str, image: str, spec: Mapping[str, Any]) -> Container:
    """A container from its Score fields (already valid against the Score schema)."""
    files = spec.get("files") or []
    file_entries = enumerate(files) if isinstance(files, list) else ((t, {"target": t, **e}) for t, e in files.items())
    volumes = spec.get("volumes") or []
    volume_entries = (
        enumerate(volumes) if isinstance(volumes, list) else ((t, {"target": t, **e}) for t, e in volumes.items())
    )
    own = spec.get("resources") or {}
    return Container(
        name=name,
        image=image,
        command=tuple(spec["command"]) if "command" in spec else None,
        args=tuple(spec["args"]) if "args" in spec else None,
        variables={str(k): v for k, v in (spec.get("variables") or {}).items()},
        files=tuple(
            File(
                key,
                entry["target"],
                int(entry["mode"], 8) if "mode" in entry else None,
                entry.get("content"),
                entry.get("binaryContent"),
                entry.get("source"),
                bool(entry.get("noExpand", False)),
            )
            for key, entry in file_entries
        ),
        volumes=tuple(
            Volume(key, entry["source"], entry["target"], entry.get("path"), bool(entry.get("readOnly", False)))
            for key, entry in volume_entries
        ),
        resources=Compute(dict(own.get("requests") or {}), dict(own.get("limits") or {})),
        liveness_probe=probe_of(spec.get("livenessProbe")),
        readiness_probe=probe_of(spec.get("readinessProbe")),
        before={str(target): Ready(entry["ready"]) for target, entry in sorted((spec.get("before") or {}).items())},
    )


@dataclass(frozen=True)
class ResourceRequest:
    """A Score resource: what the service needs from the platform."""

    id: str
    """Its name in the service's `resources`."""
    type: str
    params: Mapping[str, Any]
    class_: str | None = None
    shared: str | None = None
    """Score's resource `id`: resources of the same type, class and id are one, shared."""

    @property
    def identity(self) -> tuple[str, str, str] | None:
        """(type, class, id) of a shared resource; None for one of this service alone."""
        return (self.type, self.class_ or "default", self.shared) if self.shared else None


@dataclass(frozen=True)
class Service:
    name: str
    source: Document
    """score.yaml as parsed, so later steps can point at the line that caused them."""
    containers: tuple[Container, ...]
    ports: tuple[Port, ...]
    resources: tuple[ResourceRequest, ...]
    settings: Settings
    locate_setting: Callable[[tuple[str | int, ...]], Position | None] = field(
        default=lambda _path: None, compare=False, repr=False
    )
    """Where the repo set a setting (a dotted path of `settings`); None where the built-in default holds."""

    def repo_path(self, written: str) -> str:
        """A path the service writes relative to its score.yaml, as a repo-relative path."""
        return posixpath.normpath(posixpath.join(posixpath.dirname(self.source.file), written))

    def contract_paths(self) -> tuple[str, ...] | None:
        """The contract of each `api` resource (its params.contract, else the service's setting);
        None when one is written with a placeholder (its path is known only as it is rendered)."""
        written = [r.params.get("contract") or self.settings.contract for r in self.resources if r.type == "api"]
        if any(isinstance(w, str) and "$" in w for w in written):
            return None
        return tuple(self.repo_path(w) for w in written if isinstance(w, str) and w)

    def file_paths(self) -> tuple[str, ...]:
        """The repo files its containers' files are read from (their `source`)."""
        return tuple(self.repo_path(f.source) for c in self.containers for f in c.files if f.source is not None)


def build_service(
    name: str,
    score: Document,
    settings: Mapping[str, Any],
    given_images: Mapping[str, str] | None = None,
    locate_setting: Callable[[tuple[str | int, ...]], Position | None] | None = None,
) -> Service:
    """`given_images`: from the command line (model/images.py)."""
    data = score.data
    written = {n: str(c["image"]) for n, c in data["containers"].items()}
    typed = settings_of(name, settings)
    images = resolved_images(name, written, typed.images, given_images or {})
    containers = tuple(container_of(n, images[n], c) for n, c in sorted(data["containers"].items()))
    ports = tuple(
        Port(n, p["port"], p.get("targetPort", p["port"]), p.get("protocol", "TCP"))
        for n, p in sorted(data.get("service", {}).get("ports", {}).items())
    )
    resources = tuple(
        ResourceRequest(rid, r["type"], r.get("params", {}), r.get("class"), r.get("id"))
        for rid, r in sorted(data.get("resources", {}).items())
    )
    return Service(name, score, containers, ports, resources, typed, locate_setting or (lambda _path: None))
