"""The add/edit service form: its fields, the files they become, and which field a problem belongs to.

A new service becomes `services/<name>/score.yaml` (the Score workload) and `dockyard.yaml` (team,
replicas, contract), and `openapi.yaml` when a contract is uploaded. An edit changes only what the
form shows, in the files as they are: ruamel's round trip keeps every comment, the order of keys
and everything the form does not know (other containers, probes, other resources)."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from dockyard.console import files_form, ports_form, secrets_form, settings_form, volumes_form
from dockyard.console.files_form import FileForm
from dockyard.console.ports_form import PortForm
from dockyard.console.resource_ids import WHAT, NameTaken
from dockyard.console.secrets_form import SecretForm
from dockyard.console.settings_form import PREFIX
from dockyard.console.text import NOT_TEXT, NOT_TEXT_PROBLEM
from dockyard.console.volumes_form import VolumeForm
from dockyard.errors import Problem

FIELDS = (
    *("name", "team", "image", "port", "variables", "database", "cache", "bucket", "route_host", "route_path"),
    *(
        "metrics_port",
        "health_path",
        "replicas",
        "contract",
        "runs",
        "schedule",
        "calls",
        "secrets",
        "files",
        "volumes",
        "ports",
    ),
)
EVERY_FIELD = (*FIELDS, *(setting.name for setting in settings_form.setting_fields()))
"""The form's own fields and the settings it shows (each with its error below it)."""
RUNS = ("always", "on-schedule", "when-started")
NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SCORE_HEADER = "# yaml-language-server: $schema=../../.dockyard/schemas/score.json\n"
SETTINGS_HEADER = "# yaml-language-server: $schema=../../.dockyard/schemas/servicesettings.json\n"
SETTINGS_HEADER_KEYS = ("apiVersion", "kind")
CONTRACT_FILE = "openapi.yaml"
DATABASE_VARIABLES = {"DB_HOST": "host", "DB_PORT": "port", "DB_NAME": "name", "DB_USER": "username"}
DATABASE_VARIABLES |= {"DB_PASSWORD": "password"}
CACHE_VARIABLES = {"REDIS_HOST": "host", "REDIS_PORT": "port", "REDIS_USERNAME": "username"}
CACHE_VARIABLES |= {"REDIS_PASSWORD": "password"}
BUCKET_VARIABLES = {"S3_ENDPOINT": "endpoint", "S3_BUCKET": "bucket", "S3_REGION": "region"}
BUCKET_VARIABLES |= {"AWS_ACCESS_KEY_ID": "access_key_id", "AWS_SECRET_ACCESS_KEY": "secret_access_key"}
METRICS_PORT = "metrics"
"""The name of the port the form adds for metrics (a service's settings name it in `metrics.port`)."""
NEEDS = (("postgres", "db", "database"), ("redis", "cache", "cache"), ("s3", "files", "bucket"))
"""What the form can tick: resource type, the id it gets, the form field."""


class CannotEdit(Exception):
    """The service's files are written in a shape the form cannot change safely; the reason says where."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field
        """The form's field it is about ("": the form as a whole)."""


_SEGMENT = re.compile(r"^[A-Za-z0-9][-_.A-Za-z0-9]*$")


OWN_FILES = ("score.yaml", "dockyard.yaml", "secrets.yaml")
"""Files of a service's folder the form never shows or writes as a container's file."""


def container_file(relative: str) -> bool:
    """A file of the service's folder the form may show and change as a container's file."""
    return inside_service(relative) and relative not in OWN_FILES


def inside_service(relative: str) -> bool:
    """A path relative to a service's folder that stays inside it: plain names, no `..`, not absolute."""
    parts = relative.split("/")
    return 0 < len(parts) <= 4 and all(_SEGMENT.match(part) and part not in (".", "..") for part in parts)


@dataclass(frozen=True)
class ServiceForm:
    """What a person fills in; everything else about the service stays as its files say."""

    name: str
    team: str
    image: str
    port: int | None = None
    """The port the container listens on (published in the cluster as port 80)."""
    metrics_port: int | None = None
    """The port it serves Prometheus metrics on, scraped by the platform (None: not scraped); may be `port`."""
    metrics_named: bool = True
    """Whether the request names the metrics port (False: as the service's files say)."""
    variables: tuple[tuple[str, str], ...] = ()
    database: bool = False
    cache: bool = False
    bucket: bool = False
    """An S3 bucket on the platform's object store."""
    route_host: str = ""
    """A name under the platform domain (or a whole host name); empty: not published."""
    route_path: str = "/"
    health_path: str = ""
    """A path that answers 200 while the container is healthy (its readiness and liveness probe)."""
    replicas: int | None = None
    contract: str | None = None
    """An uploaded OpenAPI document (None: keep what the service has)."""
    runs: str = "always"
    """always (a service), on-schedule or when-started (a job)."""
    schedule: str = ""
    """A job's cron schedule (runs: on-schedule)."""
    settings: tuple[tuple[str, Any], ...] = ()
    """Settings the request names (settings_form.py), by field name: the value, or None to remove it."""
    calls: tuple[str, ...] | None = None
    """The services it calls (`service` resources); None: as its score.yaml says."""
    secrets: tuple[SecretForm, ...] | None = None
    """Its `secret` resources (secrets_form.py); None: as its score.yaml says."""
    files: tuple[FileForm, ...] | None = None
    """The text files of its container (files_form.py); None: as its files say."""
    volumes: tuple[VolumeForm, ...] | None = None
    """The disks its container mounts (volumes_form.py); None: as its score.yaml says."""
    ports: tuple[PortForm, ...] | None = None
    """Its ports beside `port` and its metrics port (ports_form.py); None: as its score.yaml says."""

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "team": self.team,
            "image": self.image,
            "port": self.port,
            "metrics_port": self.metrics_port,
            "variables": dict(self.variables),
            "database": self.database,
            "cache": self.cache,
            "bucket": self.bucket,
            "route_host": self.route_host,
            "route_path": self.route_path,
            "health_path": self.health_path,
            "replicas": self.replicas,
            "runs": self.runs,
            "schedule": self.schedule,
            "settings": {name.removeprefix(PREFIX): value for name, value in self.settings},
            "calls": None if self.calls is None else list(self.calls),
            "secrets": None if self.secrets is None else [secret.as_json() for secret in self.secrets],
            "files": None if self.files is None else [file.as_json() for file in self.files],
            "volumes": None if self.volumes is None else [volume.as_json() for volume in self.volumes],
            "ports": None if self.ports is None else [port.as_json() for port in self.ports],
        }


@dataclass(frozen=True)
class FieldError:
    field: str
    """A form field, or "" for the form as a whole."""
    message: str
    hint: str | None = None


TEXT_FIELDS = ("name", "team", "image", "route_host", "route_path", "health_path", "runs", "schedule", "contract")
NUMBER_FIELDS = ("port", "metrics_port", "replicas")
FLAG_FIELDS = ("database", "cache", "bucket")


def _readable(posted: Mapping[str, Any], errors: list[FieldError]) -> dict[str, Any]:
    """The posted fields whose type and characters can be read: text where text belongs (numbers and
    flags may also be JSON's numbers and booleans), variables a mapping or lines; anything else is an
    error at its field, and the field is left out."""
    kept: dict[str, Any] = dict(posted)
    for key in (*TEXT_FIELDS, *NUMBER_FIELDS, *FLAG_FIELDS, "variables"):
        value = posted.get(key)
        if value is None:
            continue
        allowed, kind = _allowed(key)
        if not isinstance(value, allowed) or (isinstance(value, bool) and key not in FLAG_FIELDS):
            errors.append(FieldError(key, f"must be {kind}, not {_json_type(value)}"))
            kept[key] = None
            continue
        texts = [value] if isinstance(value, str) else []
        if isinstance(value, Mapping):
            for name, text in value.items():
                if not isinstance(text, str | int | float) or isinstance(text, bool):
                    errors.append(FieldError(key, f"the value of `{name}` must be text, not {_json_type(text)}"))
                    kept[key] = None
                texts += [str(name), str(text)]
        if any(NOT_TEXT.search(text) for text in texts):
            errors.append(FieldError(key, NOT_TEXT_PROBLEM))
            kept[key] = None
    return kept


def _allowed(key: str) -> tuple[tuple[type, ...], str]:
    if key in NUMBER_FIELDS:
        return (str, int), "a whole number"
    if key in FLAG_FIELDS:
        return (str, bool), "true or false"
    if key == "variables":
        return (str, Mapping), "KEY=value lines or a mapping of names to text"
    return (str,), "text"


def _json_type(value: Any) -> str:
    for kind, name in ((bool, "true or false"), (int, "a number"), (float, "a number"), (str, "text")):
        if isinstance(value, kind):
            return name
    return "a list" if isinstance(value, list) else "a mapping" if isinstance(value, Mapping) else "null"


def parse_fields(posted: Mapping[str, Any]) -> tuple[ServiceForm, list[FieldError]]:
    """The form from posted fields (strings, or JSON types from the API); what cannot be read at all
    is an error at its field (the rest is the pipeline's to judge)."""
    errors: list[FieldError] = []
    values = _readable(posted, errors)

    def text(key: str, default: str = "") -> str:
        value = values.get(key, default)
        return default if value is None else str(value).strip()

    def number(key: str, low: int, high: int) -> int | None:
        raw = text(key)
        if raw == "":
            return None
        try:
            value = int(raw)
        except ValueError:
            errors.append(FieldError(key, f"`{raw}` is not a whole number"))
            return None
        if not low <= value <= high:
            errors.append(FieldError(key, f"must be between {low} and {high}"))
            return None
        return value

    def flag(key: str) -> bool:
        value = values.get(key)
        return value is True or (isinstance(value, str) and value.lower() in ("on", "true", "1", "yes"))

    name = text("name")
    if not NAME.match(name) or len(name) > 63:
        errors.append(
            FieldError("name", "a service name is lower-case letters, digits and dashes, starting with a letter")
        )
    team = text("team")
    if not team or not NAME.match(team):
        errors.append(FieldError("team", "choose the team that owns the service (lower-case letters, digits, dashes)"))
    image = text("image")
    if not image:
        errors.append(FieldError("image", "give the container image, e.g. ghcr.io/acme/orders:1.4.2"))
    variables = _variables(values.get("variables"), errors)
    runs = text("runs", "always") or "always"
    if runs not in RUNS:
        errors.append(FieldError("runs", f"choose one of: {', '.join(RUNS)}"))
    schedule = text("schedule")
    if runs != "always":
        for key, what in (
            ("port", "port"),
            ("metrics_port", "metrics port"),
            ("route_host", "route"),
            ("health_path", "health check"),
        ):
            if text(key):
                errors.append(FieldError(key, f"a job runs to completion and has no {what}: clear it, or run always"))
    if runs == "on-schedule" and not schedule:
        errors.append(FieldError("schedule", "give a cron schedule, e.g. `0 3 * * *` (03:00 every day)"))
    if runs == "always" and text("metrics_port") and not text("port"):
        errors.append(
            FieldError("metrics_port", "a service's metrics are scraped through its port: give the port it listens on")
        )
    contract = values.get("contract")
    settings = _settings(posted, runs, errors)
    calls = _calls(posted.get("calls"), name, errors)
    secrets, problems = secrets_form.parse(posted["secrets"] if "secrets" in posted else secrets_form.rows(posted))
    errors += [FieldError("secrets", problem) for problem in problems]
    files, problems = files_form.parse(posted["files"] if "files" in posted else files_form.rows(posted))
    errors += [FieldError("files", problem) for problem in problems]
    volumes, problems = volumes_form.parse(posted["volumes"] if "volumes" in posted else volumes_form.rows(posted))
    errors += [FieldError("volumes", problem) for problem in problems]
    ports, problems = ports_form.parse(posted["ports"] if "ports" in posted else ports_form.rows(posted))
    errors += [FieldError("ports", problem) for problem in problems]
    if ports and runs != "always":
        errors.append(FieldError("ports", "a job runs to completion and has no ports: clear them, or run always"))
    elif ports and not text("port"):
        errors.append(FieldError("ports", "give the port it listens on first: the other ports are published beside it"))
    form = ServiceForm(
        name=name,
        team=team,
        image=image,
        port=number("port", 1, 65535),
        metrics_port=number("metrics_port", 1, 65535),
        metrics_named=values.get("metrics_port") is not None,  # JSON's null: not named, as `calls`
        variables=variables,
        database=flag("database"),
        cache=flag("cache"),
        bucket=flag("bucket"),
        route_host=text("route_host"),
        route_path=text("route_path", "/") or "/",
        health_path=text("health_path"),
        runs=runs,
        schedule=schedule if runs == "on-schedule" else "",
        replicas=number("replicas", 0, 1000),
        contract=contract if isinstance(contract, str) and contract.strip() else None,
        settings=settings,
        calls=calls,
        secrets=secrets,
        files=files,
        volumes=volumes,
        ports=ports,
    )
    return form, errors


def _calls(raw: Any, name: str, errors: list[FieldError]) -> tuple[str, ...] | None:
    """The services it calls: a list of names (the form's boxes; an empty one marks the list as
    given) or lines; None when the request does not name them."""
    if raw is None:
        return None
    items = raw if isinstance(raw, list) else str(raw).splitlines() if isinstance(raw, str) else None
    if items is None or not all(isinstance(item, str) for item in items):
        errors.append(FieldError("calls", f"must be a list of service names, not {_json_type(raw)}"))
        return None
    names = list(dict.fromkeys(item.strip() for item in items if item.strip()))
    for callee in names:
        if not NAME.match(callee) or len(callee) > 63:
            shown = NOT_TEXT.sub("\ufffd", callee[:63])
            errors.append(FieldError("calls", f"`{shown}` is not a service name (lower-case letters, digits, dashes)"))
            return None
        if callee == name:
            errors.append(FieldError("calls", "a service does not call itself: untick it"))
            return None
    return tuple(sorted(names))


def called(score: Any) -> dict[str, str]:
    """The services a score.yaml calls, by name: the id of each one's `service` resource."""
    resources = score.get("resources") if isinstance(score, dict) else None
    found: dict[str, str] = {}
    for rid, resource in (resources or {}).items():
        if isinstance(resource, dict) and resource.get("type") == "service":
            params = resource.get("params")
            found.setdefault(str(params.get("name", rid) if isinstance(params, dict) else rid), str(rid))
    return found


def url_variable(callee: str) -> str:
    """The variable a called service's address is given in: ORDERS_URL for orders."""
    return callee.upper().replace("-", "_") + "_URL"


def _settings(posted: Mapping[str, Any], runs: str, errors: list[FieldError]) -> tuple[tuple[str, Any], ...]:
    """The settings the request names, each read as its schema types it; a job's settings only for a job."""
    known = settings_form.by_name()
    found: list[tuple[str, Any]] = []
    for name, raw in sorted(settings_form.posted_settings(posted).items()):
        setting = known.get(name)
        if setting is None:
            errors.append(FieldError(name, f"`{name.removeprefix(PREFIX)}` is not a setting the form can change"))
            continue
        texts = raw if isinstance(raw, list) else [raw]
        if any(isinstance(text, str) and NOT_TEXT.search(text) for text in texts):
            errors.append(FieldError(name, NOT_TEXT_PROBLEM))
            continue
        value, problem = settings_form.value_of(setting, raw)
        if problem is not None:
            errors.append(FieldError(name, problem))
            continue
        if setting.job and value is not None and runs == "always":
            errors.append(FieldError(name, "only a job has this setting: choose how it runs first, or clear it"))
            continue
        found.append((name, value))
    return tuple(found)


def _variables(raw: Any, errors: list[FieldError]) -> tuple[tuple[str, str], ...]:
    """`KEY=value` lines (or a mapping from the JSON API)."""
    if isinstance(raw, Mapping):
        pairs = [(str(k), "" if v is None else str(v)) for k, v in raw.items()]
    else:
        pairs = []
        for number, line in enumerate(str(raw or "").splitlines(), 1):
            if not line.strip():
                continue
            key, sep, value = line.partition("=")
            if not sep:
                errors.append(FieldError("variables", f"line {number}: write KEY=value"))
                continue
            pairs.append((key.strip(), value.strip()))
    seen: set[str] = set()
    for key, _value in pairs:
        if not VARIABLE.match(key):
            errors.append(FieldError("variables", f"`{key}` is not a variable name (letters, digits and _)"))
        elif key in seen:
            errors.append(FieldError("variables", f"`{key}` is given twice"))
        seen.add(key)
    return tuple(pairs)


def current_fields(name: str, existing: Mapping[str, bytes]) -> dict[str, Any]:
    """The form's fields as a service's files say now (what the edit form starts from)."""
    score, settings = _load(existing.get("score.yaml")), _load(existing.get("dockyard.yaml"))
    _require_shapes(f"services/{name}/score.yaml", score)
    containers = score.get("containers") or {}
    container: Any = next(iter(containers.values()), {}) if isinstance(containers, dict) else {}
    first = next(iter(containers), "") if isinstance(containers, dict) else ""
    resources = score.get("resources") if isinstance(score.get("resources"), dict) else {}
    database, cache, bucket = _type_id(score, "postgres"), _type_id(score, "redis"), _type_id(score, "s3")
    route_id = _type_id(score, "route")
    route = (resources.get(route_id) or {}).get("params") or {} if route_id else {}
    health = _health_path(container) if isinstance(container, dict) else None
    automatic = {
        variable
        for chosen, names in ((database, DATABASE_VARIABLES), (cache, CACHE_VARIABLES), (bucket, BUCKET_VARIABLES))
        if chosen
        for variable, output in names.items()
        if (container.get("variables") or {}).get(variable) == "${resources." + chosen + "." + output + "}"
    }
    calls = called(score)
    automatic |= {
        url_variable(callee)
        for callee, rid in calls.items()
        if (container.get("variables") or {}).get(url_variable(callee)) == "${resources." + rid + ".url}"
    }
    automatic |= {
        name
        for name, reference in secrets_form.automatic(secrets_form.present(resources)).items()
        if (container.get("variables") or {}).get(name) == reference
    }
    variables = {k: v for k, v in (container.get("variables") or {}).items() if k not in automatic}
    port, metrics_port = _first_port(score), _metrics_port(score, settings)
    service = score.get("service") if isinstance(score.get("service"), dict) else {}
    other_ports = ports_form.shown(service.get("ports"), (_own_metrics_port(score, settings),))
    return {
        "name": name,
        "team": settings.get("team") or "",
        "image": container.get("image") or "",
        "port": "" if port is None else str(port),
        "metrics_port": "" if metrics_port is None else str(metrics_port),
        "variables": "\n".join(f"{k}={v}" for k, v in variables.items()),
        "database": database is not None,
        "cache": cache is not None,
        "bucket": bucket is not None,
        "route_host": str(route.get("host") or "") if isinstance(route, dict) else "",
        "route_path": str(route.get("path") or "/") if isinstance(route, dict) else "/",
        "health_path": str(health or ""),
        "replicas": "" if settings.get("replicas") is None else str(settings.get("replicas")),
        **_runs_fields(settings.get("job")),
        "containers": len(containers) if isinstance(containers, dict) else 0,
        "calls": sorted(calls),
        "secrets": secrets_form.shown(resources),
        **dict(zip(("files", "files_kept"), files_form.shown(container, existing, container_file), strict=True)),
        "ports": other_ports,
        "volumes": volumes_form.shown(resources, container, volumes_form.sources_elsewhere(containers, first)),
        **{setting.name: settings_form.shown(setting, settings) for setting in settings_form.setting_fields()},
    }


def source_files(score_bytes: bytes | None) -> list[str]:
    """The files of the service's folder its (first) container's files are read from."""
    try:
        score = _load(score_bytes)
    except YAMLError:
        return []
    containers = score.get("containers")
    first = next(iter(containers.values()), None) if isinstance(containers, dict) and containers else None
    return files_form.sources(first, container_file)


@dataclass
class Draft:
    """The files a form becomes, and where each field landed in them (for errors at their field)."""

    service: str
    files: dict[str, bytes]
    spans: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)
    """Per field: (file, first line, last line), 1-based."""

    def field_of(self, problem: Problem) -> str:
        """The field a problem is about (the narrowest span that holds its line), or "" (the form)."""
        position = problem.position
        best: tuple[int, str] | None = None
        for name, spans in self.spans.items():
            for file, first, last in spans:
                if file == position.file and first <= position.line <= last:
                    width = last - first
                    if best is None or width < best[0]:
                        best = (width, name)
        return best[1] if best else ""


def _yaml() -> YAML:
    yaml = YAML()  # round trip: comments, order and quoting kept
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def _load(data: bytes | None) -> CommentedMap:
    loaded = _yaml().load(data) if data else None
    return loaded if isinstance(loaded, CommentedMap) else CommentedMap()


def _dump(document: CommentedMap, header: str, had_header: bool) -> bytes:
    stream = io.StringIO()
    _yaml().dump(document, stream)
    return ((header if not had_header else "") + stream.getvalue()).encode()


def draft(form: ServiceForm, existing: Mapping[str, bytes], inherited_team: str | None = None) -> Draft:
    """The service's files after the form: `existing` holds its current files by name
    (score.yaml, dockyard.yaml), empty for a new service; `inherited_team` is the team a layer
    gives it (written into dockyard.yaml only when the form chooses another)."""
    base = f"services/{form.name}"
    score_bytes = existing.get("score.yaml")
    score = _load(score_bytes)
    if not score:
        score["apiVersion"] = "score.dev/v1b1"
        score["metadata"] = CommentedMap(name=form.name)
    _require_shapes(f"{base}/score.yaml", score)
    containers = score.setdefault("containers", CommentedMap())
    if not containers:
        containers["main"] = CommentedMap()
    container_name = next(iter(containers))
    container = containers[container_name]
    old_port = _first_port(score)
    settings_bytes = existing.get("dockyard.yaml")
    settings = _load(settings_bytes)
    shown_metrics = _metrics_port(score, settings) is not None  # as the form showed it, before any change
    container["image"] = form.image
    resources = score.get("resources")
    resources = resources if isinstance(resources, CommentedMap) else CommentedMap()
    had = {_type_id(score, kind) for kind, _id, _field in NEEDS} - {None}
    had_secrets = secrets_form.present(resources)
    try:  # first: a database or a call added beside a secret takes another id than the secret's
        secrets = secrets_form.write(resources, form.secrets)
    except NameTaken as taken:
        raise CannotEdit(str(taken), "secrets") from None
    try:
        elsewhere = volumes_form.sources_elsewhere(containers, container_name)
        disks = volumes_form.write(resources, container, form.volumes, elsewhere)
    except NameTaken as taken:
        raise CannotEdit(str(taken), "volumes") from None
    database = _toggle(resources, "postgres", "db", form.database)
    cache = _toggle(resources, "redis", "cache", form.cache)
    bucket = _toggle(resources, "s3", "files", form.bucket)
    route = _route(resources, form)
    api = _api(resources, form)
    had |= {rid for rid, r in resources.items() if isinstance(r, dict) and r.get("type") == "service"}
    calls = _set_calls(resources, form.calls)
    written = container.get("variables") if isinstance(container.get("variables"), dict) else {}
    wanted = dict(form.variables)
    _secret_variables(wanted, written, had_secrets, secrets, (database, cache, bucket), calls)
    for callee, rid in calls.items():
        automatic = "${resources." + rid + ".url}"
        if rid not in had or written.get(url_variable(callee)) == automatic:
            wanted.setdefault(url_variable(callee), automatic)
    for chosen, names in ((database, DATABASE_VARIABLES), (cache, CACHE_VARIABLES), (bucket, BUCKET_VARIABLES)):
        if chosen is None:
            continue
        for variable, output in names.items():
            automatic = "${resources." + chosen + "." + output + "}"
            if chosen not in had or written.get(variable) == automatic:  # new, or kept as the edit form hid it
                wanted.setdefault(variable, automatic)
    removed = [r for r in had if r not in resources]
    for key in [k for k, v in wanted.items() if any(f"${{resources.{r}." in v for r in removed)]:
        del wanted[key]  # a removed database's or cache's outputs
    _set_mapping(container, "variables", wanted)
    try:
        sources = files_form.write(container, form.files, existing, container_file)
    except files_form.NotAFile as kept:
        raise CannotEdit(str(kept), "files") from None
    if form.port is None and form.ports is None and form.runs == "always":
        service = score.get("service")
        remaining = ports_form.present(service.get("ports") if isinstance(service, dict) else None, ())
        remaining.pop(_own_metrics_port(score, settings) or "", None)
        if remaining:
            raise CannotEdit(
                f"the service has other ports ({', '.join(remaining)}): remove them too, or keep the port it listens "
                "on",
                "port",
            )
    _require_own_folders(container, form)
    _ports(score, form.port)
    _other_ports(score, settings, form)
    _probes(container, form.health_path, form.port, old_port)
    if resources:
        score["resources"] = resources
    elif "resources" in score:
        del score["resources"]
    if not settings:
        settings["apiVersion"] = "dockyard.dev/v1alpha1"
        settings["kind"] = "ServiceSettings"
    if "team" in settings or form.team != inherited_team:
        settings["team"] = form.team
    if form.replicas is not None:
        settings["replicas"] = form.replicas
    elif "replicas" in settings:
        del settings["replicas"]
    _job(settings, form)
    for name, value in form.settings:
        settings_form.write(settings, settings_form.by_name()[name].path, value)
    if form.ports is not None:
        others = frozenset(port.name for port in form.ports)
    else:  # as written: those beside the first and the metrics port's own
        service = score.get("service")
        written_ports = service.get("ports") if isinstance(service, dict) else None
        others = frozenset(ports_form.present(written_ports, (_own_metrics_port(score, settings),)))
    if form.runs != "always":  # a job has no ports: nothing of theirs is scraped
        _metrics(base, score, settings, None, shown=True)
    elif form.metrics_named:
        _metrics(base, score, settings, form.metrics_port, shown=shown_metrics, others=others)
    files = {f"{base}/score.yaml": _dump(score, SCORE_HEADER, score_bytes is not None)}
    files |= {f"{base}/{source}": data for source, data in sources.items()}
    contract_file = None
    if api is not None:
        contract_file = str(settings.get("contract") or CONTRACT_FILE)
        if not inside_service(contract_file):
            raise CannotEdit(
                f"{base}/dockyard.yaml names the contract `{contract_file}`, outside the service's folder; "
                "the console writes contracts only inside it"
            )
        settings["contract"] = contract_file
        if form.contract is not None:
            if f"{base}/{contract_file}" in files:
                raise CannotEdit(
                    f"{base}/{contract_file} is both the contract and a file of the container; upload the contract "
                    "or change the file, not both at once",
                    "contract",
                )
            files[f"{base}/{contract_file}"] = form.contract.encode()
    if settings_bytes is not None or set(settings) - set(SETTINGS_HEADER_KEYS):  # never a file of headers alone
        files[f"{base}/dockyard.yaml"] = _dump(settings, SETTINGS_HEADER, settings_bytes is not None)
    result = Draft(form.name, files)
    _record_spans(result, base, container_name, (database, cache, bucket, route, api), contract_file, form.settings)
    written_score = _load(files[f"{base}/score.yaml"])
    for name, ids in (("calls", calls.values()), ("secrets", secrets), ("volumes", disks)):
        for rid in ids:
            span = _span(written_score, ("resources", rid))
            if span is not None:
                result.spans.setdefault(name, []).append((f"{base}/score.yaml", *span))
    for port in form.ports or ():
        span = _span(written_score, ("service", "ports", port.name))
        if span is not None:
            result.spans.setdefault("ports", []).append((f"{base}/score.yaml", *span))
    own = _own_metrics_port(written_score, _load(files.get(f"{base}/dockyard.yaml")))
    span = _span(written_score, ("service", "ports", own)) if own is not None else None
    if span is not None:
        result.spans.setdefault("metrics_port", []).append((f"{base}/score.yaml", *span))
    for name in ("files", "volumes"):
        span = _span(written_score, ("containers", container_name, name))
        if span is not None:
            result.spans.setdefault(name, []).append((f"{base}/score.yaml", *span))
    for source in files_form.sources(container, container_file):
        lines = max(files.get(f"{base}/{source}", existing.get(source, b"")).count(b"\n"), 1)
        result.spans.setdefault("files", []).append((f"{base}/{source}", 1, lines + 1))
    return result


def _secret_variables(
    wanted: dict[str, str],
    written: Mapping[str, Any],
    had: Mapping[str, tuple[str, ...]],
    secrets: Mapping[str, tuple[str, ...]],
    chosen: tuple[str | None, str | None, str | None],
    calls: Mapping[str, str],
) -> None:
    """Each secret key's variable in `wanted`: added for a new key, kept where the edit form hid it;
    a removed key's variable (the one holding just its reference) removed. CannotEdit when one is
    named as the variable of a database, cache, bucket or called service the form gives."""
    others = {url_variable(callee): f"the service `{callee}` it calls" for callee in calls}
    for rid, names, what in zip(chosen, (DATABASE_VARIABLES, CACHE_VARIABLES, BUCKET_VARIABLES), NEEDS, strict=True):
        if rid is not None:
            others |= dict.fromkeys(names, f"its {WHAT[what[0]]}")
    before = secrets_form.automatic(had)
    for rid, keys in secrets.items():
        for key in keys:
            name, reference = secrets_form.variable(rid, key), secrets_form.reference(rid, key)
            if name in others:
                raise CannotEdit(
                    f"`{name}`, the variable of the key `{key}` of the secret `{rid}`, is also the variable of "
                    f"{others[name]}: give the secret another name",
                    "secrets",
                )
            if reference not in before.values() and wanted.get(name, reference) != reference:
                raise CannotEdit(
                    f"`{name}`, the variable of the key `{key}` of the secret `{rid}`, is also given in the "
                    "variables: remove it there, or give the secret another name",
                    "secrets",
                )
            if reference not in before.values() or written.get(name) == reference:
                wanted.setdefault(name, reference)  # a new key, or kept as the edit form hid it
    gone = set(before.values()) - set(secrets_form.automatic(secrets).values())
    for name in [name for name, value in wanted.items() if value in gone]:
        del wanted[name]  # a removed key's own variable; another that uses it is the pipeline's to report


def _runs_fields(job: Any) -> dict[str, str]:
    if not isinstance(job, dict):
        return {"runs": "always", "schedule": ""}
    schedule = job.get("schedule")
    return {"runs": "on-schedule" if schedule else "when-started", "schedule": str(schedule or "")}


def _require_shapes(file: str, score: Any) -> None:
    """CannotEdit unless the parts the form changes have the shapes it knows (mappings where Score
    allows them); anything else is changed in the file, never guessed at."""
    places = [("containers", score.get("containers"))]
    containers = score.get("containers")
    if isinstance(containers, dict) and containers:
        first = next(iter(containers.values()))
        places.append((f"containers.{next(iter(containers))}", first))
        if isinstance(first, dict):
            places.append((f"containers.{next(iter(containers))}.variables", first.get("variables")))
    places.append(("resources", score.get("resources")))
    service = score.get("service")
    places.append(("service", service))
    if isinstance(service, dict):
        places.append(("service.ports", service.get("ports")))
    for where, value in places:
        if value is not None and not isinstance(value, dict):
            raise CannotEdit(f"{file}: `{where}` is not a mapping; the form cannot change it, change the file itself")


def _first_port(score: Any) -> int | None:
    ports = (score.get("service") or {}).get("ports") if isinstance(score.get("service"), dict) else None
    first = next(iter(ports.values()), None) if isinstance(ports, dict) else None
    if not isinstance(first, dict):
        return None
    port = first.get("targetPort", first.get("port"))
    return port if isinstance(port, int) else None


def _type_id(score: CommentedMap, kind: str) -> str | None:
    resources = score.get("resources")
    if not isinstance(resources, dict):
        return None
    return next((k for k, v in resources.items() if isinstance(v, dict) and v.get("type") == kind), None)


def _toggle(resources: CommentedMap, kind: str, default_id: str, wanted: bool) -> str | None:
    """The id of the resource of `kind` after the form: kept, added or removed."""
    present = next((k for k, v in resources.items() if isinstance(v, dict) and v.get("type") == kind), None)
    if wanted and present is None:
        names = (default_id, f"{default_id}-{kind}", *(f"{default_id}-{kind}-{n}" for n in range(2, 100)))
        present = next(name for name in names if name not in resources)
        resources[present] = CommentedMap(type=kind)
    elif not wanted and present is not None:
        settings_form.write(resources, (present,), None)  # the comment lines after it stay
        return None
    return present


def _set_calls(resources: CommentedMap, wanted: tuple[str, ...] | None) -> dict[str, str]:
    """The `service` resources after the form (each called service by name: its resource's id): those
    no longer called removed, new ones added under the service's name (params and order of the
    others kept); with `wanted` None, as they are."""
    present = called({"resources": resources})
    if wanted is None:
        return present
    for rid, resource in list(resources.items()):  # every resource of a service no longer called
        if isinstance(resource, dict) and resource.get("type") == "service":
            params = resource.get("params")
            callee = str(params.get("name", rid) if isinstance(params, dict) else rid)
            if callee not in wanted:
                settings_form.write(resources, (rid,), None)  # the comment lines after it stay
                present.pop(callee, None)
    for callee in wanted:
        if callee not in present:
            rid = next(r for r in (callee, *(f"{callee}-service-{n}" for n in range(2, 100))) if r not in resources)
            resources[rid] = CommentedMap(type="service")
            if rid != callee:  # the resource's id names another of its resources: the service by name
                resources[rid]["params"] = CommentedMap(name=callee)
            present[callee] = rid
    return present


def _route(resources: CommentedMap, form: ServiceForm) -> str | None:
    present = _toggle(resources, "route", "public", bool(form.route_host))
    if present is not None:
        params = resources[present].setdefault("params", CommentedMap())
        if params.get("host") != form.route_host:
            params["host"] = form.route_host
        if params.get("path", "/") != form.route_path:  # a route without a path is at /
            params["path"] = form.route_path
        params.setdefault("port", 80)
    return present


def _api(resources: CommentedMap, form: ServiceForm) -> str | None:
    """The API resource: kept when the service has one, added when a contract is uploaded."""
    has_api = any(isinstance(v, dict) and v.get("type") == "api" for v in resources.values())
    return _toggle(resources, "api", "api", has_api or form.contract is not None)


def _set_mapping(parent: CommentedMap, key: str, wanted: Mapping[str, str]) -> None:
    """Make parent[key] hold exactly `wanted`, keeping the order and comments of kept keys."""
    if not wanted:
        if key in parent:
            del parent[key]
        return
    current = parent.get(key)
    if not isinstance(current, CommentedMap):
        parent[key] = current = CommentedMap()
    for name in [k for k in current if k not in wanted]:
        del current[name]
    for name, value in wanted.items():
        if current.get(name) is None or str(current[name]) != value:  # `PORT: 8080` stays a number
            current[name] = value


def _ports(score: CommentedMap, port: int | None) -> None:
    if port is None:
        if "service" in score:
            del score["service"]
        return
    service = score.setdefault("service", CommentedMap())
    ports = service.setdefault("ports", CommentedMap())
    if not ports:
        ports["http"] = CommentedMap(port=80)
    _listen(ports[next(iter(ports))], port)


def _listen(entry: CommentedMap, port: int) -> None:
    """A service port whose container listens on `port` (its published port kept)."""
    if entry.get("targetPort", entry.get("port")) == port:
        return  # as written (a `targetPort` equal to `port` stays)
    if entry.get("port") == port:
        entry.pop("targetPort", None)
    else:
        entry["targetPort"] = port


def _require_own_folders(container: CommentedMap, form: ServiceForm) -> None:
    """CannotEdit when a disk and a file of the container are mounted at one path (the pod would
    not start)."""
    file_targets = {file.target for file in files_form.written(container, {}, lambda _source: False)}
    for mount in volumes_form.mounts(container):
        if mount.target in file_targets:
            field = "volumes" if any(v.target == mount.target for v in form.volumes or ()) else "files"
            raise CannotEdit(
                f"a file and a disk are both mounted at `{mount.target}`: give one of them another path", field
            )


def _own_metrics_port(score: Any, settings: Any) -> str | None:
    """The port of its own that `metrics.port` names (None: none, or the service's first port)."""
    metrics = settings.get("metrics") if isinstance(settings, dict) else None
    named = metrics.get("port") if isinstance(metrics, dict) else None
    service = score.get("service")
    ports = service.get("ports") if isinstance(service, dict) else None
    if not isinstance(ports, dict) or not isinstance(named, str):
        return None
    return named if named in ports and named != next(iter(ports), None) else None


def _other_ports(score: CommentedMap, settings: CommentedMap, form: ServiceForm) -> None:
    """The ports beside the first and the metrics port's own, as the form says (none without a first)."""
    service = score.get("service")
    ports = service.get("ports") if isinstance(service, dict) else None
    if not isinstance(ports, CommentedMap):
        return
    own = _own_metrics_port(score, settings)
    removing_metrics = form.metrics_named and form.metrics_port is None
    skipped = () if removing_metrics and own in {port.name for port in form.ports or ()} else (own,)
    first = ports[next(iter(ports))] if ports else None
    for port in form.ports or ():
        if isinstance(first, dict) and (port.port, port.protocol) == (
            first.get("targetPort", first.get("port")),
            first.get("protocol") or "TCP",
        ):
            raise CannotEdit(
                f"port `{port.name}`: the container listens on {port.port} for its first port already: give it its "
                "own port",
                "ports",
            )
    taken = ports_form.taken_by_form(form.ports, ports, skipped)
    if taken is not None:
        which = "the port it listens on" if taken == next(iter(ports)) else "its metrics port"
        raise CannotEdit(f"`{taken}` is the name of {which}: give the other port another name", "ports")
    ports_form.write(ports, form.ports, skipped)


def _metrics_port(score: Any, settings: Any) -> int | None:
    """The container port the service's settings have scraped (`metrics.port` names a service port)."""
    metrics = settings.get("metrics") if isinstance(settings, dict) else None
    name = metrics.get("port") if isinstance(metrics, dict) else None
    if not isinstance(name, str):
        return None
    service = score.get("service") if isinstance(score.get("service"), dict) else {}
    entry = (service.get("ports") or {}).get(name) if isinstance(service.get("ports"), dict) else None
    if not isinstance(entry, dict):
        return None
    port = entry.get("targetPort", entry.get("port"))
    return port if isinstance(port, int) else None


def _metrics(
    base: str,
    score: CommentedMap,
    settings: CommentedMap,
    port: int | None,
    *,
    shown: bool,
    others: frozenset[str] = frozenset(),
) -> None:
    """`metrics.port` naming the service port the container serves metrics on: its main port when
    they are the same, a port of its own already serving it, else a new one (named and published
    on numbers no other port has). With none, the setting and the port of its own the form made
    (`metrics`) are removed (the rest of `metrics`, its path, kept; the comment lines after each
    kept), unless the form showed no port (`shown`): a name of no port stays for validate to report
    at the field. `others`: the other ports the form shows, never taken as the metrics port's own."""
    metrics = settings.get("metrics")
    named = metrics.get("port") if isinstance(metrics, dict) else None
    if named is not None and not isinstance(named, str):
        raise CannotEdit(
            f"{base}/dockyard.yaml: `metrics.port` is not the name of a port; the form cannot change it, "
            "change it in the file itself"
        )
    service = score.get("service")
    ports = service.get("ports") if isinstance(service, dict) else None
    ports = ports if isinstance(ports, CommentedMap) else CommentedMap()
    main = next(iter(ports), None)
    own = named if named in ports and named != main and named not in others else None
    made = own if own is not None and re.fullmatch(METRICS_PORT + r"(-[0-9]+)?", own) else None
    if port is None:
        if named is None or not shown:
            return
        if made is not None:
            settings_form.write(score, ("service", "ports", made), None)
        settings_form.write(settings, ("metrics", "port"), None)
        return
    if main is not None and _first_port(score) == port:
        wanted = main
        if made is not None:
            settings_form.write(score, ("service", "ports", made), None)
    else:
        listening = [n for n in others if isinstance(ports.get(n), dict) and _container_port(ports[n]) == port]
        if listening:
            raise CannotEdit(
                f"the other port `{listening[0]}` listens on {port} already: give the metrics port its own number, "
                "or remove that port",
                "metrics_port",
            )
        wanted = own or _serving(ports, port, main) or _free_name(ports)
        entry = ports.get(wanted)
        if not isinstance(entry, CommentedMap):
            published = _free_number(ports, port)
            ports[wanted] = CommentedMap(port=published)
            if published != port:
                ports[wanted]["targetPort"] = port
        elif entry.get("targetPort", entry.get("port")) != port:
            _listen(entry, port)
    if named != wanted:
        settings_form.write(settings, ("metrics", "port"), wanted)


def _container_port(entry: Mapping[str, Any]) -> Any:
    return entry.get("targetPort", entry.get("port"))


def _serving(ports: CommentedMap, port: int, main: str | None) -> str | None:
    """A port other than the main one whose container port is `port`."""
    return next(
        (
            name
            for name, entry in ports.items()
            if name != main and isinstance(entry, dict) and entry.get("targetPort", entry.get("port")) == port
        ),
        None,
    )


def _free_name(ports: CommentedMap) -> str:
    return next(n for n in (METRICS_PORT, *(f"{METRICS_PORT}-{i}" for i in range(2, 100))) if n not in ports)


def _free_number(ports: CommentedMap, port: int) -> int:
    """`port` when no other port is published on it, else the first free number from 9090: a
    Service's ports must differ (the API server refuses two on one number)."""
    taken = {entry.get("port") for entry in ports.values() if isinstance(entry, dict)}
    return port if port not in taken else next(n for n in range(9090, 65536) if n not in taken)


PROBES = ("readinessProbe", "livenessProbe")


def _job(settings: CommentedMap, form: ServiceForm) -> None:
    """`job:` as the form says: absent for a service; a schedule, or none, for a job (its other keys kept)."""
    if form.runs == "always":
        if "job" in settings:
            del settings["job"]
        return
    job = settings.get("job")
    if not isinstance(job, CommentedMap):
        settings["job"] = job = CommentedMap()
    if form.runs == "on-schedule":
        if job.get("schedule") != form.schedule:
            job["schedule"] = form.schedule
    elif "schedule" in job:
        del job["schedule"]


def _health_path(container: dict[str, Any]) -> str | None:
    """The path the form shows for a container's probes: its readiness probe's, else its liveness probe's."""
    for probe in PROBES:
        found = container.get(probe)
        if isinstance(found, dict) and isinstance(found.get("httpGet"), dict):
            return str(found["httpGet"].get("path") or "")
    return None


def _probes(container: CommentedMap, path: str, port: int | None, old_port: int | None) -> None:
    """HTTP readiness and liveness probes on `path` (probes of another kind are kept as written).
    Probes that show `path` already keep their paths (the form shows one path for both); those on
    the container's old port follow it to the new one."""
    if (_health_path(container) or "") == path:
        if port is not None and old_port is not None and port != old_port:
            for probe in PROBES:
                get = (container.get(probe) or {}).get("httpGet") if isinstance(container.get(probe), dict) else None
                if isinstance(get, dict) and get.get("port") == old_port:
                    get["port"] = port
        return
    for probe in PROBES:
        current = container.get(probe)
        if isinstance(current, dict) and "httpGet" not in current:
            continue
        if not path or port is None:
            if current is not None:
                del container[probe]
            continue
        if not isinstance(current, CommentedMap):
            container[probe] = current = CommentedMap()
        get = current.setdefault("httpGet", CommentedMap())
        if get.get("path") != path:
            get["path"] = path
        if get.get("port") != port:
            get["port"] = port


def _record_spans(
    result: Draft,
    base: str,
    container: str,
    resource_ids: tuple[str | None, ...],
    contract: str | None,
    form_settings: tuple[tuple[str, Any], ...] = (),
) -> None:
    score_file, settings_file = f"{base}/score.yaml", f"{base}/dockyard.yaml"
    score, settings = _load(result.files[score_file]), _load(result.files.get(settings_file))
    database, cache, bucket, route, api = resource_ids
    places: list[tuple[str, str, CommentedMap | None, tuple[str, ...]]] = [
        ("name", score_file, score, ("metadata", "name")),
        ("image", score_file, score, ("containers", container, "image")),
        ("variables", score_file, score, ("containers", container, "variables")),
        ("port", score_file, score, ("service",)),
        ("metrics_port", settings_file, settings, ("metrics", "port")),
        *(("health_path", score_file, score, ("containers", container, probe)) for probe in PROBES),
        ("team", settings_file, settings, ("team",)),
        ("replicas", settings_file, settings, ("replicas",)),
        ("contract", settings_file, settings, ("contract",)),
        ("runs", settings_file, settings, ("job",)),
        ("schedule", settings_file, settings, ("job", "schedule")),
        *((name, settings_file, settings, settings_form.by_name()[name].path) for name, _value in form_settings),
    ]
    for name, resource in (
        ("database", database),
        ("cache", cache),
        ("bucket", bucket),
        ("route_host", route),
        ("contract", api),
    ):
        if resource is not None:
            places.append((name, score_file, score, ("resources", resource)))
    if route is not None:
        places.append(("route_path", score_file, score, ("resources", route, "params", "path")))
        places.append(("route_host", score_file, score, ("resources", route, "params", "host")))
    for name, file, document, path in places:
        span = _span(document, path)
        if span is not None:
            result.spans.setdefault(name, []).append((file, *span))
    if contract is not None:
        lines = result.files.get(f"{base}/{contract}", b"").count(b"\n") + 1
        result.spans.setdefault("contract", []).append((f"{base}/{contract}", 1, max(lines, 1)))


def _span(document: Any, path: tuple[str, ...]) -> tuple[int, int] | None:
    """First and last line (1-based) of the key at `path` and everything under it."""
    node = document
    for key in path[:-1]:
        if not isinstance(node, CommentedMap) or key not in node:
            return None
        node = node[key]
    last_key = path[-1]
    if not isinstance(node, CommentedMap) or last_key not in node:
        return None
    first = node.lc.key(last_key)[0] + 1
    return first, max(first, _last_line(node[last_key], first))


def _last_line(node: Any, seen: int) -> int:
    if isinstance(node, CommentedMap):
        for key in node:
            seen = max(seen, node.lc.key(key)[0] + 1, _last_line(node[key], seen))
    elif isinstance(node, list) and hasattr(node, "lc"):
        for index, item in enumerate(node):
            seen = max(seen, node.lc.item(index)[0] + 1, _last_line(item, seen))
    return seen
