"""Load a whole platform repo: every file parsed and checked, or every problem at once."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard.errors import InputError, Position, Problem, Problems
from dockyard.load.checks import cross_file_checks
from dockyard.load.files import SETTINGS_FILE, RepoFile, discover
from dockyard.load.parsed import Parsed, parse_all
from dockyard.load.schemas import DNS_LABEL, DNS_LABEL_ERROR, V1ALPHA1
from dockyard.load.versions import core_range_problem, deprecation
from dockyard.load.words import did_you_mean
from dockyard.load.yamlsafe import Document

_DNS_LABEL = re.compile(DNS_LABEL)
_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_][\w.]*)", re.MULTILINE)


def rego_package(source: str) -> str | None:
    """The package a Rego module declares (None: it declares none)."""
    found = _PACKAGE.search(source)
    return found.group(1) if found else None


@dataclass(frozen=True)
class SettingsFile:
    """Where one file holds a service's Dockyard settings: the document, and the key they sit under
    (none in services/<name>/dockyard.yaml; `x-dockyard` in the deprecated layouts)."""

    document: Document
    under: tuple[str, ...] = ()

    @property
    def values(self) -> dict[str, Any]:
        values: Any = self.document.data
        for part in self.under:
            values = values.get(part, {}) if isinstance(values, dict) else {}
        if not self.under:
            values = {k: v for k, v in values.items() if k not in HEADER_KEYS}
        return values if isinstance(values, dict) else {}

    def position(self, path: tuple[Any, ...], *, key: bool = False) -> Position:
        return self.document.position((*self.under, *path), key=key)


HEADER_KEYS = ("apiVersion", "kind")


@dataclass
class Repo:
    """The platform repo's documents by role. Built only when every file is valid on its own."""

    root: Path
    platform: Document
    environments: dict[str, Document] = field(default_factory=dict)
    clusters: dict[str, Document] = field(default_factory=dict)
    services: dict[str, Document] = field(default_factory=dict)
    """Each service's score.yaml, by service name."""
    settings: dict[str, SettingsFile] = field(default_factory=dict)
    """Each service's own settings (services/<name>/dockyard.yaml), by service name."""
    overrides: dict[tuple[str, str], SettingsFile] = field(default_factory=dict)
    """Per-service, per-environment settings, by (service, environment)."""
    files: dict[str, bytes] = field(default_factory=dict)
    """Files that services name (contracts, file sources), by repo-relative path."""
    provisioners: dict[str, Document] = field(default_factory=dict)
    """By file name: `<type>`, or `<type>.<class>` for the resources of that class."""
    """The platform repo's own resource types, by type."""
    contracts: dict[str, dict[str, Document]] = field(default_factory=dict)
    """Parsed contracts by repo-relative path: each with every file it spans (its own first)."""
    policies: dict[str, str] = field(default_factory=dict)
    """The platform repo's own Rego policies in Dockyard's format, by rule name (file stem)."""
    gatekeeper: dict[str, Document] = field(default_factory=dict)
    """Gatekeeper ConstraintTemplates and Constraints (`policies/*.yaml`), by path."""
    conftest: dict[str, str] = field(default_factory=dict)
    """Policies written for conftest (`package main` or another package of their own, `deny`,
    `violation` and `warn` rules over one manifest), by rule name (file stem)."""
    secrets: dict[str, Document] = field(default_factory=dict)
    """Encrypted secrets files (SOPS), by path: secrets/<layer>.yaml and services/<name>/secrets.yaml.
    Only their keys and ciphertexts are read here; values are decrypted at apply time."""
    environment_files: set[str] = field(default_factory=set)
    """Every environment with a file, valid or not (so one broken file reports once)."""
    service_files: set[str] = field(default_factory=set)
    """Every service with a score.yaml, valid or not (a broken one is reported at its own lines, not
    again by every service that calls it)."""
    deprecations: list[Problem] = field(default_factory=list)
    """Files in a deprecated schema version: warnings, each naming the migration."""


def load(root: Path) -> Repo:
    """Read, parse and validate every file of the repo at `root`; raise InputError with all problems."""
    problems = Problems()
    repo = load_into(root, problems)
    problems.raise_if_any()
    return repo


def load_into(root: Path, problems: Problems) -> Repo:
    """The repo at `root` as far as its files are valid: a file with a problem (added to `problems`)
    is left out. Only `validate` goes on with such a repo, to say what rendering the rest finds."""
    files, found = discover(root, problems)
    policies, conftest = _policies([f for f in files if f.kind == "policy"], problems)
    files = [f for f in files if f.kind != "policy"]
    documents: dict[str, tuple[str, Document]] = {}
    all_parsed = parse_all(files)
    _require_matching_core(all_parsed)
    for parsed in all_parsed:
        problems.extend(parsed.problems)
        if parsed.document is not None and not parsed.problems:
            documents[parsed.file.path] = (parsed.file.kind, parsed.document)
    repo = _assemble(root, documents, problems)
    repo.policies, repo.conftest = policies, conftest
    repo.environment_files = {
        path.split("/")[-1].removesuffix(".yaml") for kind, path in found if kind == "environment"
    }
    repo.service_files = {path.split("/")[1] for kind, path in found if kind == "score"}
    referenced = cross_file_checks(repo)
    problems.extend(referenced.problems)
    repo.files, repo.contracts = referenced.files, referenced.contracts
    return repo


def _require_matching_core(all_parsed: list[Parsed]) -> None:
    """Refuse, before anything else is reported, a repo written for another Dockyard."""
    for parsed in all_parsed:
        if parsed.file.kind == "platform" and parsed.document is not None:
            problem = core_range_problem(parsed.document)
            if problem is not None:
                raise InputError([problem])


def _assemble(root: Path, documents: dict[str, tuple[str, Document]], problems: Problems) -> Repo:
    # An invalid platform.yaml has been reported already; the empty stand-in lets the
    # cross-file checks still report everything else in the same run.
    platform = documents.get("platform.yaml", ("platform", Document("platform.yaml", {})))
    repo = Repo(root, platform[1])
    for path, (kind, document) in sorted(documents.items()):
        deprecated = deprecation(kind, document)
        if deprecated is not None:
            repo.deprecations.append(deprecated)
        parts = path.split("/")
        name = parts[-1].removesuffix(".yaml")
        if kind == "environment" and _named(path, name, "environment", problems):
            repo.environments[name] = document
        elif kind == "cluster" and _named(path, name, "cluster", problems):
            repo.clusters[name] = document
        elif kind == "score" and _named(path, parts[1], "service", problems):
            repo.services[parts[1]] = document
            if "x-dockyard" in document.data:
                _settings_once(repo, parts[1], SettingsFile(document, ("x-dockyard",)), problems)
        elif kind == "servicesettings":
            _settings_once(repo, parts[1], SettingsFile(document), problems)
        elif kind == "provisioner" and all(_named(path, part, "provisioner", problems) for part in name.split(".", 1)):
            repo.provisioners[name] = document
        elif kind == "gatekeeper" and _gatekeeper_object(path, document, problems):
            repo.gatekeeper[path] = document
        elif kind == "serviceoverride":
            old = document.data.get("apiVersion") == V1ALPHA1
            repo.overrides[(parts[1], name)] = SettingsFile(document, ("x-dockyard",) if old else ())
        elif kind == "secrets" and _encrypted(document, problems):
            repo.secrets[path] = document
    _constraints_have_templates(repo.gatekeeper, problems)
    layers = {"platform", *repo.environments, *repo.clusters}
    for path in sorted(repo.secrets):
        layer = path.removeprefix("secrets/").removesuffix(".yaml")
        if path.startswith("secrets/") and layer not in layers:
            problems.append(
                Problem(
                    Position(path, 1, 1),
                    f"`{layer}` is neither `platform` nor an environment or a cluster: no cluster reads this file",
                    did_you_mean(layer, sorted(layers)) or "name it after the layer it is for",
                )
            )
    return repo


RECIPIENT_KEYS = ("age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "key_groups")
"""Where a sops file keeps its encrypted data keys: one at least, or nobody can open it."""


def _encrypted(document: Document, problems: Problems) -> bool:
    """A secrets file must be encrypted (a `sops:` section); plain values never belong in the repo."""
    data = document.data
    if isinstance(data, dict) and isinstance(data.get("sops"), dict):
        section = data["sops"]
        missing = [f"`{key}`" for key in ("mac", "lastmodified") if not isinstance(section.get(key), str)]
        if not any(section.get(key) for key in RECIPIENT_KEYS):
            missing.append("recipient (age, pgp, kms, ...)")
        for what in missing:
            problems.append(
                Problem(
                    document.position(("sops",), key=True),
                    f"the `sops:` section has no {what}: not a file sops or Dockyard wrote",
                    "take the file back from version control, or write it again with `dockyard secrets set`",
                )
            )
        return not missing
    problems.append(
        Problem(
            Position(document.file, 1, 1),
            "not an encrypted file: it has no `sops:` section",
            "write it with `dockyard secrets set` or `dockyard secrets edit` (or `sops`), never by hand",
        )
    )
    return False


def _settings_once(repo: Repo, service: str, found: SettingsFile, problems: Problems) -> None:
    """A service's settings come from one file: its dockyard.yaml, or (deprecated) its score.yaml."""
    earlier = repo.settings.get(service)
    if earlier is None:
        repo.settings[service] = found
        return
    legacy = earlier if earlier.under else found
    problems.append(
        Problem(
            legacy.position((), key=True),
            f"service `{service}` has settings both here and in services/{service}/{SETTINGS_FILE}",
            f"keep them in {SETTINGS_FILE} only: move what is here there by hand",
        )
    )


def _policies(files: list[RepoFile], problems: Problems) -> tuple[dict[str, str], dict[str, str]]:
    """Dockyard-format policies (`package dockyard.policies.<rule>`) and conftest ones (any other
    package), each by rule name."""
    policies, conftest = {}, {}
    for file in files:
        name = file.path.split("/")[-1].removesuffix(".rego")
        if not _named(file.path, name, "policy", problems):
            continue
        try:
            source = file.raw.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(Position(file.path, 1, 1), "not valid UTF-8", "save the file as UTF-8"))
            continue
        package = f"package dockyard.policies.{name.replace('-', '_')}"
        declared = rego_package(source)
        if declared is None:
            problems.append(Problem(Position(file.path, 1, 1), "a policy file must declare its `package`"))
        elif declared.startswith("dockyard.") and package not in source:
            problems.append(
                Problem(
                    Position(file.path, 1, 1),
                    f"a policy file in Dockyard's format must declare `{package}`",
                    "its `deny` set is then checked with the built-in rules (a conftest policy uses a package "
                    "of its own, such as `package main`)",
                )
            )
        elif declared.startswith("dockyard."):
            policies[name] = source
        else:
            conftest[name] = source
    return policies, conftest


def _named(path: str, name: str, role: str, problems: Problems) -> bool:
    if len(name) <= 63 and _DNS_LABEL.match(name):
        return True
    problems.append(
        Problem(
            Position(path, 1, 1),
            f"{role} name `{name}` (from the file name) {DNS_LABEL_ERROR}",
            "rename the file" if role != "service" else "rename the service's directory",
        )
    )
    return False


TEMPLATE_API = "templates.gatekeeper.sh/"
CONSTRAINT_API = "constraints.gatekeeper.sh/"


def _constraints_have_templates(documents: dict[str, Document], problems: Problems) -> None:
    """Each Constraint's kind is one a ConstraintTemplate in policies/ defines."""
    kinds = {
        document.data["spec"]["crd"]["spec"]["names"]["kind"]
        for document in documents.values()
        if document.data.get("kind") == "ConstraintTemplate"
    }
    for _path, document in sorted(documents.items()):
        kind = document.data.get("kind")
        if kind != "ConstraintTemplate" and kind not in kinds:
            problems.append(
                Problem(
                    document.position(("kind",)),
                    f"no ConstraintTemplate in policies/ defines the kind {kind}",
                    did_you_mean(str(kind), sorted(kinds))
                    or "add its template (from the gatekeeper-library) beside it",
                )
            )


def _gatekeeper_object(path: str, document: Document, problems: Problems) -> bool:
    """A ConstraintTemplate (its kind's name and its Rego) or a Constraint (its kind a template's)."""
    data = document.data
    api = str(data.get("apiVersion", "")) if isinstance(data, dict) else ""
    if api.startswith(TEMPLATE_API) and data.get("kind") == "ConstraintTemplate":
        spec = data.get("spec") or {}
        kind = (((spec.get("crd") or {}).get("spec") or {}).get("names") or {}).get("kind")
        targets = spec.get("targets") or []
        if (
            isinstance(kind, str)
            and targets
            and isinstance(targets[0], dict)
            and isinstance(targets[0].get("rego"), str)
        ):
            return True
        problems.append(
            Problem(
                document.position(("spec",)) if isinstance(data.get("spec"), dict) else Position(path, 1, 1),
                "a ConstraintTemplate needs spec.crd.spec.names.kind and spec.targets[0].rego",
            )
        )
        return False
    if api.startswith(CONSTRAINT_API) and isinstance(data.get("kind"), str):
        return True
    problems.append(
        Problem(
            Position(path, 1, 1),
            "a YAML file in policies/ must be a Gatekeeper ConstraintTemplate "
            f"({TEMPLATE_API}v1) or Constraint ({CONSTRAINT_API}v1beta1)",
        )
    )
    return False
