"""The JSON API's bodies and answers, as its OpenAPI description shows them.

These describe; they do not judge (answers built from the console's own dataclasses name those:
a run, a commit, the sync controller's status): a body is read by `form.parse_fields`, whose errors name the
field in the console's own shape (`errors` by field, as the pages show them), and answers are
built where they are made. A test holds every answer the API gives to the schema here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dockyard.console.gitrepo import Change
from dockyard.console.live import SyncView
from dockyard.console.runs import Run


class _Described(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SecretFields(_Described):
    """A `secret` resource: the Secret's keys, each given to the container as a variable by reference."""

    id: str = Field(description="Its name: lower-case letters, digits and dashes (`smtp`: SMTP_PASSWORD, ...).")
    keys: list[str] | str = Field(description="Its keys (a list, or text separated by commas).")
    from_: Literal["outside", "repo", "store"] | None = Field(
        None,
        alias="from",
        description="Where the values come from: a Secret people make (outside, the default), the repo's encrypted "
        "secrets (repo: `dockyard secrets set <id>.<key>`) or a secret manager (store).",
    )
    store: str | None = Field(None, description="With `from: store`: the ClusterSecretStore that reaches the manager.")


class FileFields(_Described):
    """A text file of the container: written in score.yaml, or in the file of the service's folder it is read from."""

    target: str = Field(description="Its absolute path in the container, e.g. /etc/app/config.yaml.")
    content: str = Field(description="Its text (at most 256 KiB).")
    placeholders: Literal["filled", "as-written"] | None = Field(
        None, description="`${...}` in the content filled by the platform (the default), or left as written."
    )


class VolumeFields(_Described):
    """A disk: a `volume` resource (a PersistentVolumeClaim) the container mounts at a folder."""

    id: str = Field(description="Its name: lower-case letters, digits and dashes (the claim is <service>-<id>).")
    target: str = Field(description="The folder it is mounted at in the container, e.g. /var/lib/app.")
    size: str | None = Field(None, description="A whole number of Mi, Gi or Ti (default 1Gi).")


class PortFields(_Described):
    """A port beside the one the service listens on and its metrics port."""

    name: str = Field(description="2 to 15 lower-case letters, digits and dashes, with a letter.")
    port: int | str = Field(description="The container's port (1-65535).")
    published: int | str | None = Field(None, description="The number it is published on (empty: the same).")
    protocol: Literal["TCP", "UDP"] | None = Field(None, description="TCP (the default) or UDP.")


class ServiceFields(_Described):
    """A service as the form has it; what is left out stays as the service's files say."""

    name: str = Field(description="Lower-case letters, digits and dashes, starting with a letter.")
    team: str = Field(description="The team that owns the service.")
    image: str = Field(description="The container image, e.g. ghcr.io/acme/orders:1.4.2.")
    port: int | str | None = Field(None, description="The port the container listens on (1-65535).")
    metrics_port: int | str | None = Field(
        None,
        description="The port the container serves Prometheus metrics on (1-65535; may be `port`), scraped by the "
        "platform; empty: not scraped.",
    )
    variables: str | dict[str, str | int | float] | None = Field(
        None, description="Environment variables: KEY=value lines, or a mapping of names to values."
    )
    database: bool | str | None = Field(None, description="A Postgres database.")
    cache: bool | str | None = Field(None, description="A Redis cache.")
    bucket: bool | str | None = Field(None, description="An S3 bucket on the platform's object store.")
    route_host: str | None = Field(None, description="Published at this host (a name under the platform domain).")
    route_path: str | None = Field(None, description="The path under the host (default /).")
    health_path: str | None = Field(None, description="A path that answers 200 while the container is healthy.")
    replicas: int | str | None = Field(None, description="Pod replicas (0-1000); empty: the platform's default.")
    contract: str | None = Field(None, description="An OpenAPI 3.0 or 3.1 document, YAML or JSON (at most 1 MiB).")
    runs: Literal["always", "on-schedule", "when-started"] | None = Field(None, description="A service or a job.")
    schedule: str | None = Field(None, description="A job's cron schedule (runs: on-schedule).")
    base: str | None = Field(None, description="The `base` of the service when the form was opened (lost updates).")
    calls: list[str] | str | None = Field(
        None,
        description="The services it calls (names, or lines): each a `service` resource with its URL variable; "
        "those no longer named are removed. Not given: as its score.yaml says.",
    )
    secrets: list[SecretFields] | None = Field(
        None,
        description="Its secrets (`secret` resources; never their values): those no longer named are removed with "
        "their variables. Not given: as its score.yaml says.",
    )
    files: list[FileFields] | None = Field(
        None,
        description="The container's text files: those no longer named are removed from score.yaml; files the form "
        "keeps as written (binary, or read from outside the service's folder) stay. Not given: as they are.",
    )
    ports: list[PortFields] | None = Field(
        None,
        description="Its ports beside `port` and the metrics port: those no longer named are removed. Not given: as "
        "they are.",
    )
    volumes: list[VolumeFields] | None = Field(
        None,
        description="The disks its container mounts: those no longer named are unmounted and their resource removed "
        "(the claim and its data stay on the cluster: apply never prunes a claim unless its kind is allowed). Not "
        "given: as they are.",
    )
    settings: dict[str, Any] | None = Field(
        None,
        description="Settings of dockyard.yaml, nested as there or by dotted path (`autoscaling.maxReplicas`): each "
        "one named is written, null or empty removes it, those not named stay as written. Errors come back under "
        "`setting.<path>`.",
    )
    new: bool | None = Field(None, description="Drafts: true for a new service.")


class Checked(_Described):
    """What the pipeline says of a draft: problems by field ("" for the files as a whole)."""

    ok: bool
    errors: dict[str, list[str]]
    notes: list[str] | None = None
    files: list[str] | None = Field(None, description="Drafts: the files the change would write.")


class Saved(_Described):
    ok: Literal[True]
    commit: str
    service: str
    branch: str | None = Field(None, description="Where the platform asks for review: the change's branch.")
    pushed_to: str | None = None
    review: str | None = Field(
        None, description="The pull request the forge opened (console.review), or where to open one (GitHub, GitLab)."
    )
    pull_request: int | None = Field(None, description="The number of the pull request the forge opened.")
    not_opened: str | None = Field(None, description="Why the forge did not open the pull request (branch pushed).")


class Failure(_Described):
    error: str


class PlannedChange(_Described):
    action: str = Field(description="create, configure, unchanged, prune, ...")
    object: str
    diff: str


class Plan(_Described):
    ok: Literal[True] | None = None
    summary: str
    changes: list[PlannedChange]


class Operation(_Described):
    method: str
    path: str
    open: bool
    scopes: list[list[str]] = Field(description="Each inner list: scopes that together let a caller in.")


class Contract(_Described):
    title: str
    readable: bool
    operations: list[Operation]


class Resource(_Described):
    id: str
    type: str
    shared: bool


class Service(_Described):
    name: str
    team: str | None
    owner: str | None
    namespace: str
    images: list[str]
    urls: list[str]
    resources: list[Resource]
    dependencies: list[str]
    contract: Contract | None
    source: str
    objects: int
    job: str | None
    status: str | None = None
    drift: list[str] | None = None


class Services(_Described):
    cluster: str
    services: list[Service]
    problems: list[str]
    cluster_error: str | None
    sync: SyncView | None


class Value(_Described):
    key: str
    value: Any
    origin: str


class ServiceDetail(Service):
    base: str
    called_by: list[str]
    values: list[Value]
    history: list[Change]


class Person(_Described):
    name: str
    email: str
    admin: bool
    teams: dict[str, Literal["viewer", "editor"]]


class Job(Service):
    runs: list[Run]


class Jobs(_Described):
    jobs: list[Job]
    cluster_error: str | None


class RunStarted(_Described):
    run: str


class RunCancelled(_Described):
    cancelled: str


class PodLog(_Described):
    pod: str
    log: str


class RunLogs(_Described):
    pods: list[PodLog]


def body(model: type[BaseModel]) -> dict[str, Any]:
    """An operation's request body in OpenAPI, for a route that reads its body itself."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def answers(ok: type[BaseModel], status: int = 200, **others: type[BaseModel]) -> dict[int | str, Any]:
    """An operation's answers in OpenAPI: `ok` at `status`, and others by status (`_422=Checked`)."""
    found: dict[int | str, Any] = {status: {"model": ok}}
    for code, model in others.items():
        found[int(code.lstrip("_"))] = {"model": model}
    return found
