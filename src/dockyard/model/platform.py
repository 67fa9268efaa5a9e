"""The typed platform for one cluster, built from the loaded repo and its effective values.

Everything here is frozen and free of I/O; later steps (render, check, plan) read only
these models, never raw dictionaries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard.errors import Position, Problem, Problems
from dockyard.load.layers import Effective
from dockyard.load.repo import Repo
from dockyard.load.yamlsafe import Document
from dockyard.model.consistency import settings_problems
from dockyard.model.images import image_problems, unsupplied
from dockyard.model.sealed import SealedSecrets, sealed_for
from dockyard.model.service import Service, build_service
from dockyard.model.settings import PlatformSettings, platform_settings_of


@dataclass(frozen=True)
class Cluster:
    name: str
    environment: str
    kubernetes_version: str
    kube_context: str | None


@dataclass(frozen=True)
class Platform:
    """One cluster's platform: its identity, values and services, in name order."""

    name: str
    domain: str
    profile: str
    cluster: Cluster
    services: tuple[Service, ...]
    values: Mapping[str, Any]
    """Every effective platform-wide value; read only for what is open by nature (the components'
    chart values). Dockyard's own settings are typed in `settings`."""
    settings: PlatformSettings
    files: Mapping[str, bytes] = field(default_factory=dict)
    """Files services name (file sources), by repo-relative path."""
    contracts: Mapping[str, Mapping[str, Document]] = field(default_factory=dict)
    """Parsed OpenAPI contracts by repo-relative path: each with every file it spans."""
    provisioners: Mapping[str, Document] = field(default_factory=dict)
    """The platform repo's own provisioners, by resource type."""
    policies: Mapping[str, str] = field(default_factory=dict)
    """The platform repo's own Rego policies, by rule name."""
    conftest: Mapping[str, str] = field(default_factory=dict)
    """The platform repo's conftest policies, by rule name."""
    gatekeeper: tuple[Document, ...] = ()
    """The platform repo's Gatekeeper ConstraintTemplates and Constraints."""
    locate: Callable[[tuple[str | int, ...]], Position] = field(default=lambda _path: Position("platform.yaml"))
    """Where the layers set a platform-wide value (the most specific layer that set it)."""
    root: Path | None = None
    """The platform repo's directory (charts/ and charts.lock live there)."""
    sealed: SealedSecrets = field(default_factory=SealedSecrets)
    """The repo's encrypted secrets for this cluster (keys and ciphertexts; opened at apply time)."""

    def service(self, name: str) -> Service:
        for service in self.services:
            if service.name == name:
                return service
        raise KeyError(name)


def build_platform(repo: Repo, effective: Effective, images: Mapping[str, str] | None = None) -> Platform:
    """InputError when the merged layers contradict each other (consistency.py), or an image is
    missing. `images` are given on the command line (`SERVICE=IMAGE` for its `image: .`
    containers, `SERVICE.CONTAINER=IMAGE` for one container) and win over every layer."""
    problems = Problems()
    problems.extend(_required_problems(effective))
    problems.extend(_review_problems(effective))
    problems.extend(settings_problems(effective.services))
    problems.extend(image_problems(repo, effective, images or {}))
    services = tuple(
        build_service(
            name, repo.services[name], effective.services[name].values, images or {}, _setting_locator(effective, name)
        )
        for name in sorted(repo.services)
    )
    problems.extend(unsupplied(services))
    problems.raise_if_any()
    values = effective.platform.values
    cluster = Cluster(
        name=effective.cluster,
        environment=effective.environment,
        kubernetes_version=values["kubernetes"]["version"],
        kube_context=values.get("kubeContext"),
    )
    return Platform(
        values["name"],
        values["domain"],
        values["profile"],
        cluster,
        services,
        values,
        platform_settings_of(values),
        repo.files,
        repo.contracts,
        repo.provisioners,
        repo.policies,
        repo.conftest,
        tuple(document for _path, document in sorted(repo.gatekeeper.items())),
        _locator(effective),
        repo.root,
        sealed_for(repo.secrets, effective.environment, effective.cluster),
    )


def _setting_locator(effective: Effective, service: str) -> Callable[[tuple[str | int, ...]], Position | None]:
    merged = effective.services[service]

    def locate(path: tuple[str | int, ...]) -> Position | None:
        if path not in merged.origin:
            return None
        position = merged.position(path)
        return position if position.line > 0 else None

    return locate


REQUIRED: tuple[tuple[str, ...], ...] = (("name",), ("domain",), ("profile",), ("kubernetes", "version"))
"""What every cluster's merged values must hold; the schemas require each in its file, but a
`null` in a more specific layer removes a value."""


def _required_problems(effective: Effective) -> list[Problem]:
    merged = effective.platform
    problems = []
    for path in REQUIRED:
        try:
            merged.lookup(path)
        except KeyError:
            removed = merged.removed.get(path)
            dotted = ".".join(path)
            problems.append(
                Problem(
                    removed.locate(path) if removed is not None else Position("platform.yaml"),
                    f"`{dotted}` is removed here, and every cluster needs one",
                    f"delete this line to keep the value of a more general layer, or set a `{dotted}` here",
                )
            )
    return problems


def _review_problems(effective: Effective) -> list[Problem]:
    """`console.review` opens a pull request for a pushed branch: it needs `changes: branch` and a `remote`."""
    console = effective.platform.values.get("console") or {}
    if not console.get("review"):
        return []
    missing = [] if console.get("changes") == "branch" else ["`changes: branch`"]
    missing += [] if console.get("remote") else ["`remote: origin`"]
    if not missing:
        return []
    return [
        Problem(
            _locator(effective)(("console", "review")),
            "console.review opens a pull request for each change's branch, but changes are not pushed on a branch "
            "of their own here",
            f"set {' and '.join(missing)} under console, or remove console.review",
        )
    ]


def _locator(effective: Effective) -> Callable[[tuple[str | int, ...]], Position]:
    """Where a value was set; for a part of a list (lists are replaced whole), where the list was."""

    def locate(path: tuple[str | int, ...]) -> Position:
        for end in range(len(path), 0, -1):
            if path[:end] in effective.platform.origin:
                return effective.platform.position(path[:end])
        return Position("platform.yaml")

    return locate
