"""A Bundle: the rendered objects, each with its deploy stage and the source that produced it.

Objects are plain dicts in Kubernetes' conventional key order; a Bundle is sorted by stage,
then by kind, namespace and name, so the same input always gives byte-identical output.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property, partial
from typing import Any

import yaml

from dockyard.errors import Position, Problem
from dockyard.load.yamlsafe import Document
from dockyard.model.sealed import SealedValue
from dockyard.render.object_id import identity_problem
from dockyard.render.task_data import T, TaskData, TaskKind, payload
from dockyard.render.value_paths import Path_, holding, value_at


class Stage(StrEnum):
    """Deploy stages, in order: CRDs; networking, certs, secrets, identity; shared platform
    services; team namespaces; services."""

    CRDS = "crds"
    PLATFORM_NETWORKING = "platform-networking"
    PLATFORM_SERVICES = "platform-services"
    NAMESPACES = "namespaces"
    SERVICES = "services"


STAGES = tuple(Stage)
TEAM_STAGES = (Stage.NAMESPACES, Stage.SERVICES)
"""The stages of the teams' objects; the platform's own come before them."""

SOURCE_ANNOTATION = "dockyard.dev/source"
STAGE_ANNOTATION = "dockyard.dev/stage"

KIND_ORDER = (
    "CustomResourceDefinition",
    "Namespace",
    "ResourceQuota",
    "LimitRange",
    "NetworkPolicy",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "PersistentVolumeClaim",
    "Role",
    "RoleBinding",
    "Service",
    "Deployment",
    "StatefulSet",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
)


@dataclass(frozen=True)
class Origin:
    """Where a value of a rendered object was set: a place in the repo's files, and, when that
    place is not the value's own line (Dockyard's default, a chart's default), a note saying so."""

    position: Position
    note: str = ""


Trace = Callable[[str, bool, Mapping[str, Any], Path_], "Origin | None"]
"""Where the value holding some text (or, with the flag, that is the text), at a field of the
object, was set (None: not known)."""


@dataclass(frozen=True, eq=False)
class Source:
    """Where a rendered object comes from: its file, and (looked up only when asked) the line;
    `trace` finds where one of its values was set, for a finding about that value."""

    file: str
    locate: Callable[[], Position] | None = None
    trace: Trace | None = None

    @classmethod
    def at(cls, document: Document, path: tuple[str | int, ...], *, key: bool = False) -> Source:
        return cls(document.file, lambda: document.position(path, key=key), partial(_in_document, document))

    @property
    def position(self) -> Position:
        return self.locate() if self.locate is not None else Position(self.file, 1, 1)

    def origin(self, text: str, manifest: Mapping[str, Any], field: Path_, *, whole: bool = False) -> Origin:
        """Where the value holding `text` (with `whole`: that is `text`), at `field` of `manifest`
        (one of this source's objects), was set; the object's own origin when that is not known."""
        found = self.trace(text, whole, manifest, field) if self.trace is not None else None
        return found or Origin(self.position)

    def __str__(self) -> str:
        return str(self.position)


def _in_document(
    document: Document, text: str, whole: bool, manifest: Mapping[str, Any], field: Path_
) -> Origin | None:
    """In the file the object was made from: the value that holds the text as written, else the
    Score variable or argument the field was filled from (by a placeholder)."""
    path = holding(document.data, text, whole=whole)
    if path is None:
        path = _score_field(document.data, manifest, field)
    return None if path is None else Origin(document.position(path))


def _score_field(data: Any, manifest: Mapping[str, Any], field: Path_) -> Path_ | None:
    """`containers.<name>.variables.<NAME>` (or `.args`, `.command`) for a field of a pod's container."""
    if "containers" not in field or not isinstance(data, dict) or not isinstance(data.get("containers"), dict):
        return None
    at = field.index("containers") + 2
    container = value_at(manifest, field[:at])
    name = container.get("name") if isinstance(container, dict) else None
    declared = data["containers"].get(name) if isinstance(name, str) else None
    if not isinstance(declared, dict) or not isinstance(name, str):
        return None
    rest = field[at:]
    if rest[:1] == ("env",) and len(rest) > 1:
        variable = (value_at(manifest, field[: at + 2]) or {}).get("name")
        if isinstance(variable, str) and variable in (declared.get("variables") or {}):
            return ("containers", name, "variables", variable)
    if rest[:1] in (("args",), ("command",)) and rest[0] in declared:
        return ("containers", name, *rest)
    return None


@dataclass(frozen=True)
class Rendered:
    """One Kubernetes object, its stage, and the file (and line) that produced it."""

    manifest: dict[str, Any]
    stage: Stage
    source: Source

    # Read once per object (the checks ask them hundreds of thousands of times): a Rendered's
    # manifest keeps its kind, name and namespace (a changed object is a new Rendered).
    @cached_property
    def kind(self) -> str:
        return str(self.manifest["kind"])

    @cached_property
    def name(self) -> str:
        return str(self.manifest["metadata"]["name"])

    @cached_property
    def namespace(self) -> str | None:
        namespace = self.manifest["metadata"].get("namespace")
        return None if namespace is None else str(namespace)

    @property
    def api_version(self) -> str:
        return str(self.manifest["apiVersion"])

    @cached_property
    def identity_problem(self) -> str | None:
        """Why it cannot be an object of the API server (object_id.identity_problem), judged once:
        the services' render and the platform's both ask."""
        return identity_problem(self.manifest)

    def key(self) -> tuple[Any, ...]:
        kind_rank = KIND_ORDER.index(self.kind) if self.kind in KIND_ORDER else len(KIND_ORDER)
        return (STAGES.index(self.stage), kind_rank, self.kind, self.namespace or "", self.name)


@dataclass(frozen=True)
class TaskRequest:
    """Data a later lifecycle task acts on (a Keycloak client, a bucket), never a secret value."""

    kind: TaskKind
    name: str
    data: TaskData
    """One of the types of render/task_data.py, by kind."""
    source: Source

    def payload(self, expected: type[T]) -> T:
        """The data as `expected`, the type of this task's kind (TypeError for another)."""
        return payload(self.kind, self.data, expected)


@dataclass(frozen=True)
class Exposure:
    """An API whose contract requires credentials, and what on the cluster checks them."""

    service: str
    namespace: str
    secured: int
    """How many of its operations need a token."""
    enforcers: tuple[str, ...]
    """What checks the tokens (`the edge gateway`, `the mesh's waypoint`); empty: nothing does."""
    inside: bool
    """Whether calls from inside the cluster are checked too (the mesh), not only those from outside."""
    source: Source


@dataclass(frozen=True)
class ExternalSecret:
    """A Secret that exists without being rendered: one the platform repo says people manage outside
    Dockyard (a `secret` resource, a provisioner's secret output), or one a component's own job
    makes at run time; with its keys when known."""

    namespace: str
    name: str
    keys: frozenset[str] | None
    source: Source
    by: str = "people outside Dockyard"
    """What makes it (for messages)."""


@dataclass(frozen=True)
class SealedSecret:
    """A rendered Secret whose values are the repo's encrypted secrets: rendered without its data,
    which is filled in memory at apply time (dockyard/secrets/unseal.py) and nowhere else."""

    namespace: str
    name: str
    values: tuple[tuple[str, SealedValue], ...]
    """(the Secret's key, the repo's secret that holds its value), by key."""

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(key for key, _value in self.values)


DIGEST_ANNOTATION = "dockyard.dev/secrets-digest"
"""On a Secret made from the repo's secrets, and on the pods that read it: a digest of the
ciphertexts (never of a value), so a changed value changes the object and rolls its pods."""


@dataclass(frozen=True)
class Bundle:
    objects: tuple[Rendered, ...]
    tasks: tuple[TaskRequest, ...] = field(default=())
    warnings: tuple[Problem, ...] = field(default=())
    """Worth a look, not a reason to stop (e.g. a chart value no template may read)."""
    exposures: tuple[Exposure, ...] = field(default=())
    """The services' APIs that need credentials, for the check that something enforces them."""
    external: tuple[ExternalSecret, ...] = field(default=())
    """Secrets managed outside Dockyard that services read."""
    sealed: tuple[SealedSecret, ...] = field(default=())
    """Rendered Secrets whose values come from the repo's encrypted secrets at apply time."""

    @classmethod
    def of(
        cls,
        objects: Iterable[Rendered],
        tasks: Iterable[TaskRequest] = (),
        warnings: Iterable[Problem] = (),
        exposures: Iterable[Exposure] = (),
        external: Iterable[ExternalSecret] = (),
        sealed: Iterable[SealedSecret] = (),
    ) -> Bundle:
        return cls(
            tuple(sorted(objects, key=Rendered.key)),
            tuple(sorted(tasks, key=lambda t: (t.kind, t.name))),
            tuple(sorted(warnings, key=lambda p: (p.position, p.message))),
            tuple(sorted(exposures, key=lambda e: (e.namespace, e.service))),
            tuple(sorted(external, key=lambda e: (e.namespace, e.name))),
            tuple(sorted(sealed, key=lambda s: (s.namespace, s.name))),
        )


def obj(api_version: str, kind: str, name: str, namespace: str | None, **body: Any) -> dict[str, Any]:
    """A Kubernetes object with apiVersion, kind and metadata first, as people write them."""
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    manifest: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": metadata}
    manifest.update(body)
    return manifest


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]  # base chosen at run time
    """libyaml's fast dumper, never writing anchors and aliases for objects used twice."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def to_yaml(manifests: Iterable[dict[str, Any]]) -> str:
    return "---\n".join(
        yaml.dump(m, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=4096)
        for m in manifests
    )


def to_json(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
