"""A service's Dockyard settings, typed: built once from its merged layers (the built-in defaults
are the first layer, load/defaults.py), so later steps read fields, never dict keys with
fallbacks of their own."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dockyard.load import defaults

IntOrPercent = int | str
"""A count or a percentage such as `25%` (rollouts, disruption budgets)."""


@dataclass(frozen=True)
class Autoscaling:
    enabled: bool
    min_replicas: int
    max_replicas: int
    target_cpu_percent: int


@dataclass(frozen=True)
class Rollout:
    strategy: str
    """RollingUpdate or Recreate."""
    max_surge: IntOrPercent
    max_unavailable: IntOrPercent


@dataclass(frozen=True)
class DisruptionBudget:
    """Exactly one of the two is set (the schema and model/consistency.py hold it so)."""

    min_available: IntOrPercent | None
    max_unavailable: IntOrPercent | None


@dataclass(frozen=True)
class Compute:
    """Default requests and limits for containers that set none (cpu, memory)."""

    requests: Mapping[str, str] = field(default_factory=dict)
    limits: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Metrics:
    port: str | None
    """The name of the service port Prometheus scrapes; None: no scrape."""
    path: str


@dataclass(frozen=True)
class Job:
    """A workload that runs to completion: on a schedule, or when someone starts it."""

    schedule: str | None
    """Cron; None: only when started."""
    time_zone: str | None = None
    retries: int = 2
    timeout_seconds: int | None = None
    concurrency: str = "Forbid"
    keep_succeeded: int = 3
    keep_failed: int = 3
    finished_ttl_seconds: int = 7 * 24 * 3600
    """A finished run is deleted this long after it ended, whatever `keep` says."""


@dataclass(frozen=True)
class Settings:
    """Dockyard's effective per-service settings (dockyard.yaml merged over every layer)."""

    team: str | None
    namespace: str
    replicas: int
    autoscaling: Autoscaling
    rollout: Rollout
    disruption_budget: DisruptionBudget | None
    resources: Compute
    contract: str | None
    """The OpenAPI contract, relative to score.yaml."""
    jwt: bool
    """Whether the platform checks tokens for the service's API (False: the service does)."""
    images: Mapping[str, str]
    """Images by container name, supplied by a layer."""
    metrics: Metrics
    job: Job | None = None
    """Set: the workload runs as a job (a CronJob), not as a Deployment."""
    callers: tuple[str, ...] = ()
    """Other teams, or services of other teams, that may depend on the service."""
    owner: str | None = None
    """Who answers for the service within its team (a person, a group, a rotation)."""


def settings_of(name: str, merged: Mapping[str, Any]) -> Settings:
    """The typed settings of service `name` from its merged values. A layer may remove a value
    (an explicit null); the built-in default then applies, as if no layer had set it."""
    values = _filled(merged, defaults.VALUES["serviceDefaults"])
    team = values.get("team")
    scaling = values["autoscaling"]
    rollout = values["rollout"]
    budget = values.get("disruptionBudget")
    compute = values["resources"]
    metrics = values["metrics"]
    return Settings(
        team=team,
        namespace=values.get("namespace") or team or name,
        replicas=values["replicas"],
        autoscaling=Autoscaling(
            bool(scaling["enabled"]),
            scaling["minReplicas"],
            scaling["maxReplicas"],
            scaling["targetCPUUtilizationPercentage"],
        ),
        rollout=Rollout(rollout["strategy"], rollout["maxSurge"], rollout["maxUnavailable"]),
        disruption_budget=(
            DisruptionBudget(budget.get("minAvailable"), budget.get("maxUnavailable")) if budget else None
        ),
        resources=Compute(dict(compute.get("requests") or {}), dict(compute.get("limits") or {})),
        contract=values.get("contract"),
        jwt=bool(values["auth"]["jwt"]),
        images=dict(values.get("images") or {}),
        metrics=Metrics(metrics.get("port"), metrics["path"]),
        job=_job(values.get("job")),
        callers=tuple(values.get("callers") or ()),
        owner=values.get("owner"),
    )


def _job(values: Any) -> Job | None:
    if not isinstance(values, Mapping):
        return None
    keep = values.get("keep") or {}
    return Job(
        schedule=values.get("schedule"),
        time_zone=values.get("timeZone"),
        retries=int(values.get("retries", 2)),
        timeout_seconds=values.get("timeoutSeconds"),
        concurrency=str(values.get("concurrency") or "Forbid"),
        keep_succeeded=int(keep.get("succeeded", 3)),
        keep_failed=int(keep.get("failed", 3)),
    )


def _filled(values: Mapping[str, Any], fallback: Mapping[str, Any]) -> dict[str, Any]:
    """`values` with every key of `fallback` it lacks (or holds as None) filled in, at every depth."""
    result = {key: value for key, value in values.items() if value is not None}
    for key, default in fallback.items():
        own = result.get(key)
        if own is None:
            result[key] = default
        elif isinstance(own, Mapping) and isinstance(default, Mapping):
            result[key] = _filled(own, default)
    return result


@dataclass(frozen=True)
class Postgres:
    mode: str
    """dedicated (a cluster per database) or shared (one platform cluster)."""
    instances: int
    storage: str


@dataclass(frozen=True)
class Waiver:
    """A finding accepted for a reason, until a date (an ISO date, checked by the schema)."""

    rule: str
    object: str
    """The object as `check` prints it; `*` matches anything."""
    reason: str
    expires: str


@dataclass(frozen=True)
class Checks:
    severity: Mapping[str, str]
    """Per rule: deny, warn or off."""
    waivers: tuple[Waiver, ...]


@dataclass(frozen=True)
class Notification:
    """A receiver of the sync controller's events (`notifications` in the layers)."""

    name: str
    url: str
    format: str = "cloudevents"
    secret_env: str | None = None
    """The controller's environment variable that holds the signing key (never the key itself)."""
    events: tuple[str, ...] = ("applied", "failed", "drift-repaired", "service-added", "service-removed")


@dataclass(frozen=True)
class SyncController:
    """`sync.controller`: the sync controller run in the cluster (the dockyard-controller component)."""

    source: str
    image: str
    """The image repository; the tag is `version`."""
    version: str
    """The release to run, exactly (a repo change moves the runtime, never the CLI someone runs)."""
    digest: str | None = None
    branch: str = "main"
    path: str = "."
    replicas: int = 2
    interval: int = 60
    credentials: str | None = None
    """A Secret of git credentials in the controller's namespace."""
    decryption: str | None = None
    """A Secret in the controller's namespace whose `keys.txt` holds the age keys that open the
    repo's secrets files (as Flux's `decryption.secretRef`)."""


@dataclass(frozen=True)
class Team:
    """A team's access and budget in its namespaces (`teams.<name>`)."""

    editors: tuple[str, ...] = ()
    """Groups whose members may change the team's namespaces."""
    viewers: tuple[str, ...] = ()
    quota: Mapping[str, str] = field(default_factory=dict)
    """ResourceQuota `hard`, as written (quantities as text)."""
    limits: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """LimitRange for containers: default, defaultRequest, max (each cpu and memory)."""
    hosts: tuple[str, ...] = ()
    """Host patterns only this team's services may route."""


@dataclass(frozen=True)
class ForgeReview:
    """console.review: where the console opens a pull request for each change's branch."""

    forge: str
    """gitea (Forgejo too) or github."""
    api: str
    """The API's base URL, without a trailing slash."""
    repository: str
    """owner/name on the forge."""
    token_env: str = "DOCKYARD_FORGE_TOKEN"
    """The console's environment variable holding the token."""


def _review(review: Mapping[str, Any] | None) -> ForgeReview | None:
    if not review:
        return None
    token_env = str(review.get("tokenEnv") or ForgeReview.token_env)
    return ForgeReview(str(review["forge"]), str(review["api"]).rstrip("/"), str(review["repository"]), token_env)


@dataclass(frozen=True)
class PlatformSettings:
    """The platform-wide settings every cluster's layers merge (chart values stay open, in
    Platform.values: they belong to the charts, not to Dockyard)."""

    postgres: Postgres
    require_digest: bool
    """imagePolicy.requireDigest: every image pinned by digest."""
    checks: Checks
    identity_admin_url: str | None
    """identity.adminUrl: Keycloak's base URL from where apply runs (None: the API server's proxy)."""
    certificate_issuer: str | None
    """certificates.issuer: a ClusterIssuer of the platform team's own (None: a platform CA)."""
    gateway_service_type: str
    api_versions: tuple[str, ...]
    """kubernetes.apiVersions: API versions the cluster serves beyond the built-in ones (for charts)."""
    sync_drift: str = "repair"
    """sync.drift: what the sync controller does with a live change, `repair` or `report`."""
    notifications: tuple[Notification, ...] = ()
    sync_controller: SyncController | None = None
    console_changes: str = "commit"
    """console.changes: `commit` on the checked-out branch, or a new `branch` per change."""
    console_remote: str | None = None
    """console.remote: where a change's branch is pushed (None: it stays local)."""
    console_in_cluster: bool = False
    """console.inCluster: run the console in the cluster (the dockyard-console component)."""
    console_review: ForgeReview | None = None
    """console.review: the forge's API that opens a pull request for each change's branch."""
    teams: Mapping[str, Team] = field(default_factory=dict)
    platform_admins: tuple[str, ...] = ()
    """platformAdmins: groups whose members administer the whole cluster."""


def platform_settings_of(merged: Mapping[str, Any]) -> PlatformSettings:
    """The typed platform-wide settings from a cluster's merged values (defaults filled in)."""
    values = _filled(merged, defaults.VALUES)
    postgres = values["postgres"]
    checks = values["checks"]
    return PlatformSettings(
        postgres=Postgres(postgres["mode"], postgres["instances"], postgres["storage"]),
        require_digest=bool(values["imagePolicy"]["requireDigest"]),
        checks=Checks(
            dict(checks.get("severity") or {}),
            tuple(Waiver(w["rule"], w["object"], w["reason"], w["expires"]) for w in checks.get("waivers") or ()),
        ),
        identity_admin_url=(values.get("identity") or {}).get("adminUrl"),
        certificate_issuer=(values.get("certificates") or {}).get("issuer"),
        gateway_service_type=values["gateway"]["serviceType"],
        api_versions=tuple((values.get("kubernetes") or {}).get("apiVersions") or ()),
        sync_drift=values["sync"]["drift"],
        notifications=tuple(
            Notification(
                n["name"],
                n["url"],
                n.get("format", "cloudevents"),
                n.get("secretEnv"),
                tuple(n.get("events") or Notification.events),
            )
            for n in values.get("notifications") or ()
        ),
        sync_controller=SyncController(**values["sync"]["controller"]) if values["sync"].get("controller") else None,
        console_changes=str((values.get("console") or {}).get("changes") or "commit"),
        console_remote=(values.get("console") or {}).get("remote"),
        console_in_cluster=bool((values.get("console") or {}).get("inCluster")),
        console_review=_review((values.get("console") or {}).get("review")),
        teams={
            name: Team(
                tuple(team.get("editors") or ()),
                tuple(team.get("viewers") or ()),
                {key: str(value) for key, value in (team.get("quota") or {}).items()},
                {key: dict(value) for key, value in (team.get("limits") or {}).items() if value},
                tuple(team.get("hosts") or ()),
            )
            for name, team in sorted((values.get("teams") or {}).items())
        },
        platform_admins=tuple(values.get("platformAdmins") or ()),
    )
