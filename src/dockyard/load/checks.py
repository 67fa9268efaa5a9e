"""Checks that span files: names that must match, references that must exist and stay inside."""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from dockyard.errors import Position, Problem, Problems
from dockyard.load.contracts import ContractRef, load_contracts
from dockyard.load.files import read_inside
from dockyard.load.resource_types import ResourceType
from dockyard.load.start_order import check_start_order
from dockyard.load.words import did_you_mean
from dockyard.load.yamlsafe import Document

if TYPE_CHECKING:
    from dockyard.load.repo import Repo

"""The built-in provisioners; a Score resource of any other type is an error."""


@dataclass
class CrossFile:
    """What the cross-file checks found: every problem, and the files services name (read from the
    repo, confined to it): file sources by path, contracts with every file they span."""

    problems: Problems = field(default_factory=Problems)
    files: dict[str, bytes] = field(default_factory=dict)
    contracts: dict[str, dict[str, Document]] = field(default_factory=dict)
    wanted_contracts: list[ContractRef] = field(default_factory=list)


def cross_file_checks(repo: Repo) -> CrossFile:
    """References between the repo's files, checked; the files they name, read. The repo itself
    is not changed: the caller decides what to keep."""
    found = CrossFile()
    problems = found.problems
    environments = sorted(repo.environment_files)
    for name, cluster in sorted(repo.clusters.items()):
        _check_environment_ref(cluster, cluster.data["environment"], environments, f"cluster `{name}`", problems)
    for (service, environment), override in sorted(repo.overrides.items()):
        if service in repo.services:
            _check_environment_ref(
                override.document, environment, environments, f"override of `{service}`", problems, file_named=True
            )
    known = KnownNames.of(repo)
    for name, score in sorted(repo.services.items()):
        _check_service(repo, name, score, found, known)
    found.contracts = load_contracts(repo.root, found.wanted_contracts, problems)
    return found


def _check_environment_ref(
    document: Document,
    environment: str,
    known: list[str],
    who: str,
    problems: Problems,
    *,
    file_named: bool = False,
) -> None:
    if environment in known:
        return
    position = document.position(()) if file_named else document.position(("environment",))
    hint = did_you_mean(environment, known) or (
        f"known environments: {', '.join(known)}" if known else "add environments/<name>.yaml"
    )
    problems.append(
        Problem(
            position,
            f"{who} names environment `{environment}`, which does not exist (no environments/{environment}.yaml)",
            hint,
        )
    )


@dataclass(frozen=True)
class KnownNames:
    """The names a score file may refer to, gathered once for all services (not once per service:
    that was quadratic in the number of services)."""

    services: list[str]
    service_set: frozenset[str]
    types: list[str]

    @classmethod
    def of(cls, repo: Repo) -> KnownNames:
        services = sorted(repo.service_files | set(repo.services))
        types = sorted({*ResourceType, *(name.split(".", 1)[0] for name in repo.provisioners)})
        return cls(services, frozenset(services), types)


def _check_service(repo: Repo, name: str, score: Document, found: CrossFile, known: KnownNames) -> None:
    problems = found.problems
    data = score.data
    declared = data["metadata"]["name"]
    if declared != name:
        problems.append(
            Problem(
                score.position(("metadata", "name")),
                f"metadata.name `{declared}` does not match the service's directory `{name}`",
                f"rename one of them; the directory is services/{name}/",
            )
        )
    for resource_id, resource in sorted(data.get("resources", {}).items()):
        _check_resource(score, name, resource_id, resource, known, problems)
    own = repo.settings.get(name)
    settings = own.values if own is not None else {}
    if own is not None and isinstance(settings.get("contract"), str):  # null: no contract
        _check_file_ref(repo, own.document, (*own.under, "contract"), settings["contract"], found, contract=True)
    for container_name, container in sorted(data["containers"].items()):
        files = container.get("files", [])
        entries = enumerate(files) if isinstance(files, list) else ((k, v) for k, v in files.items())
        for key, entry in entries:
            given = [field for field in ("content", "binaryContent", "source") if field in entry]
            if len(given) != 1:
                problems.append(
                    Problem(
                        score.position(("containers", container_name, "files", key)),
                        "a file needs exactly one of `content`, `binaryContent` or `source`"
                        + (f" (it has {' and '.join(f'`{g}`' for g in given)})" if given else ""),
                    )
                )
            elif "source" in entry:
                path = ("containers", container_name, "files", key, "source")
                _check_file_ref(repo, score, path, entry["source"], found)
            elif "binaryContent" in entry and not _base64(entry["binaryContent"]):
                problems.append(
                    Problem(
                        score.position(("containers", container_name, "files", key, "binaryContent")),
                        "binaryContent must be base64 (RFC 4648, with padding)",
                    )
                )
    check_start_order(score, problems)
    for key in sorted((data["metadata"].get("annotations") or {}) if isinstance(data["metadata"], dict) else {}):
        where = score.position(("metadata", "annotations", key), key=True)
        if not ANNOTATION_KEY.match(key):
            message = f"`{key}` is not a Kubernetes annotation key: [prefix/]name, the name at most 63 characters"
            problems.append(Problem(where, message))
        elif key.startswith("dockyard.dev/"):
            problems.append(Problem(where, f"`{key}`: the prefix dockyard.dev/ is Dockyard's own"))
    ports = sorted(data.get("service", {}).get("ports", {}))
    _check_published(score, data.get("service", {}).get("ports", {}), problems)
    metrics_port = settings.get("metrics", {}).get("port")
    if own is not None and metrics_port is not None and metrics_port not in ports:
        problems.append(
            Problem(
                own.position(("metrics", "port")),
                f"metrics port `{metrics_port}` is not a port of this service",
                did_you_mean(metrics_port, ports) or f"ports: {', '.join(ports) or 'none'}",
            )
        )


def _check_published(score: Document, ports: dict[str, Any], problems: Problems) -> None:
    """A Service's ports must differ in number and protocol: the API server refuses two alike."""
    first: dict[tuple[object, object], str] = {}
    for name, entry in ports.items():
        if not isinstance(entry, dict):
            continue
        published = (entry.get("port"), entry.get("protocol", "TCP"))
        if published in first:
            problems.append(
                Problem(
                    score.position(("service", "ports", name, "port")),
                    f"port `{name}` is published on {published[0]}/{published[1]} like port `{first[published]}`: "
                    "a Service's ports must differ",
                    "publish one of them on another number (`port`; the container's stays in `targetPort`)",
                )
            )
        first.setdefault(published, name)


def _unknown_type_hint(kind: str, types: list[str]) -> str:
    how = f"a platform adds a type of its own as provisioners/{kind}.yaml"
    close = did_you_mean(kind, types)
    return f"{close} Or {how}" if close else f"known types: {', '.join(types)}; {how}"


def _base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


ANNOTATION_KEY = re.compile(
    r"^(?:(?=[a-z0-9.-]{1,253}/)[a-z0-9]([-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
"""A Kubernetes annotation key: an optional DNS-subdomain prefix and `/`, then a name of 63 characters at most."""


def calls(score: Document) -> set[str]:
    """The services a workload calls (its `service` resources: `params.name`, else the resource's id)."""
    resources = score.data.get("resources") or {}
    return {
        str((r.get("params") or {}).get("name", rid))
        for rid, r in resources.items()
        if isinstance(r, dict) and r.get("type") == "service"
    }


def _check_resource(
    score: Document,
    service: str,
    resource_id: str,
    resource: dict[str, Any],
    known: KnownNames,
    problems: Problems,
) -> None:
    kind = resource["type"]
    if kind not in known.types:
        problems.append(
            Problem(
                score.position(("resources", resource_id, "type")),
                f"unknown resource type `{kind}`",
                _unknown_type_hint(kind, known.types),
            )
        )
        return
    if kind != "service":
        return
    params = resource.get("params", {})
    target = params.get("name", resource_id)
    path = ("resources", resource_id, "params", "name") if "name" in params else ("resources", resource_id)
    on_key = "name" not in params
    if not isinstance(target, str):
        problems.append(
            Problem(score.position(path, key=on_key), "`params.name` of a service resource must be a string")
        )
    elif target == service:
        problems.append(Problem(score.position(path, key=on_key), f"service `{service}` depends on itself"))
    elif target not in known.service_set:
        problems.append(
            Problem(
                score.position(path, key=on_key),
                f"depends on service `{target}`, which does not exist (no services/{target}/score.yaml)",
                did_you_mean(target, known.services) or f"services: {', '.join(known.services)}",
            )
        )


def _check_file_ref(
    repo: Repo,
    score: Document,
    path: tuple[Any, ...],
    reference: str,
    found: CrossFile,
    *,
    contract: bool = False,
) -> None:
    """A file the service names, read now; a contract, noted to be loaded with the others."""
    if PurePosixPath(reference).is_absolute():
        found.problems.append(
            Problem(
                score.position(path),
                f"`{reference}` is an absolute path",
                "give a path relative to the service's directory",
            )
        )
        return
    base = PurePosixPath(score.file).parent
    relative = posixpath.normpath(str(base / reference))

    def where() -> Position:
        return score.position(path)

    if contract:
        found.wanted_contracts.append(ContractRef(relative, where, reference))
        return
    raw = read_inside(repo.root, relative, found.problems, referrer=where, written=reference)
    if raw is not None:
        found.files[relative] = raw
