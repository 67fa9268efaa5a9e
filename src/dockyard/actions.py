"""The pipeline's named actions, for every front end: the CLI today, the sync controller and the
console next. Each takes typed inputs and returns a named result; none prints or asks (what a
person should see goes to the `report` callable it is given).

    load_repo -> platform_for -> render_for -> require_clean_checks -> plan_platform -> apply_planned
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from dockyard import forked
from dockyard.charts.helm import Helm
from dockyard.check.findings import Finding
from dockyard.check.run import run_checks
from dockyard.check.schema import SchemasMissing, schema_directory
from dockyard.deploy import tasks
from dockyard.deploy.ahead import ReadAhead
from dockyard.deploy.apply import Outcome, apply
from dockyard.deploy.client import Connection
from dockyard.deploy.inventory import Inventory
from dockyard.deploy.plan import ChangeSet, plan
from dockyard.errors import DockyardError, Problem, Problems
from dockyard.load.checks import calls
from dockyard.load.files import find_repo
from dockyard.load.layers import effective
from dockyard.load.repo import Repo, load, load_into
from dockyard.model.platform import Platform, build_platform
from dockyard.render.bundle import Bundle
from dockyard.render.components.objects import ChartStore, check_pulled_values
from dockyard.render.openapi.reading import read_all
from dockyard.render.openapi.sources import Sources
from dockyard.render.platform import Part, render_platform
from dockyard.render.services import render as render_services
from dockyard.secrets.generated import Provided
from dockyard.secrets.unseal import unseal
from dockyard.tools.build import binary_path

Report = Callable[[str], None]
"""Where an action sends a line a person should see (warnings, progress)."""


def chart_store() -> ChartStore:
    """helm as `dockyard localcluster build` builds it (DOCKYARD_HELM names another)."""
    return ChartStore(Helm(Path(os.environ.get("DOCKYARD_HELM") or binary_path("helm"))))


def load_repo(path: Path, report: Report = lambda _line: None, found: Problems | None = None) -> Repo:
    """The platform repo at `path` (or the one `path` is inside), loaded and validated file by file;
    files in a deprecated schema version are reported as warnings. With `found`, the problems go
    there and the repo is the part that loaded (for `validate_repo` to render what it can)."""
    repo = load(find_repo(path)) if found is None else load_into(find_repo(path), found)
    report_warnings(repo.deprecations, report)
    return repo


def platform_for(repo: Repo, cluster: str, images: Mapping[str, str] | None = None) -> Platform:
    """One cluster's typed platform: every layer merged, and the merged settings validated;
    `images` from the command line (model/images.py)."""
    return build_platform(repo, effective(repo, cluster), images)


def validate_cluster(platform: Platform, found: Problems) -> Bundle | None:
    """What `validate` finds for one cluster without a chart store: the pulled charts' values
    against the layers' (errors and warnings), and every problem of rendering the services. The
    services' render (None when it has problems), for a caller that renders the platform next."""
    try:
        schema_directory(platform.cluster.kubernetes_version)
    except SchemasMissing as missing:
        where = platform.locate(("kubernetes", "version"))
        found.append(Problem(where, str(missing), "set the minor version the cluster runs; checks need its schemas"))
    check_pulled_values(platform, found)
    return found.attempt(partial(render_services, platform))


@dataclass(frozen=True)
class Validated:
    """What `validate` found over some clusters: each problem once, in the order found."""

    clusters: tuple[str, ...]
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]


def validate_repo(
    repo: Repo,
    clusters: Sequence[str] = (),
    images: Mapping[str, str] | None = None,
    loaded: Problems | None = None,
    *,
    parallel: bool = False,
) -> Validated:
    """`validate_cluster` for each of `clusters` (default: every cluster of the repo). `loaded`:
    what loading found, when `repo` is only the part of the repo that loaded (load_into): the
    services it can still judge are rendered, so a person sees render problems with those.
    `parallel`: a command's own process may judge the clusters in forked processes (forked.py)."""
    names = tuple(clusters) or tuple(sorted(repo.clusters))
    everything = Problems()
    if loaded:
        everything.merge(loaded)
        renderable = _still_renderable(repo, loaded.errors)
        if renderable is None:
            return Validated(names, tuple(everything.errors), tuple(everything.warnings))
        repo = renderable
    judge = partial(_judged, repo, images)
    if parallel and len(names) > 1 and len(repo.services) >= PARALLEL_SERVICES and forked.cores() > 1:
        read_all([Sources(path, documents) for path, documents in sorted(repo.contracts.items())])  # once, inherited
        judged = forked.map_forked(judge, names)
    else:
        judged = [judge(name) for name in names]
    for errors, warnings in judged:  # in the clusters' order, as one process would find them
        everything.merge(Problems(errors, warnings))
    return Validated(names, tuple(everything.errors), tuple(everything.warnings))


PARALLEL_SERVICES = 100
"""From this many services, `validate` renders its clusters in forked processes (rendering 1,000
services for one cluster takes about half a second of pure Python; a fork costs milliseconds)."""


def judge_cluster(
    repo: Repo, cluster: str, images: Mapping[str, str] | None = None
) -> tuple[Platform | None, Bundle | None, Problems]:
    """One cluster as `validate` judges it: its platform and its services' render (each None when
    it has problems), and what was found."""
    found = Problems()
    platform = found.attempt(partial(platform_for, repo, cluster, images))
    services = validate_cluster(platform, found) if platform is not None else None
    return platform, services, found


def _judged(repo: Repo, images: Mapping[str, str] | None, cluster: str) -> tuple[list[Problem], list[Problem]]:
    """What judge_cluster found, as a forked child sends it back (its platform does not pickle)."""
    found = judge_cluster(repo, cluster, images)[2]
    return list(found.errors), list(found.warnings)


def _still_renderable(repo: Repo, problems: Sequence[Problem]) -> Repo | None:
    """The part of a repo with problems whose render is still worth reporting: without the services
    whose own files have a problem and the services that call them (their render would only repeat
    it); None when a file every service depends on (a layer, a provisioner, a policy) has one."""
    broken = repo.service_files - set(repo.services)
    for problem in problems:
        parts = problem.position.file.split("/")
        if parts[0] != "services" or len(parts) < 3:
            return None
        broken.add(parts[1])
    while callers := {name for name, score in repo.services.items() if name not in broken and calls(score) & broken}:
        broken |= callers
    return dataclasses.replace(
        repo,
        services={n: s for n, s in repo.services.items() if n not in broken},
        settings={n: s for n, s in repo.settings.items() if n not in broken},
        overrides={key: s for key, s in repo.overrides.items() if key[0] not in broken},
        secrets={p: s for p, s in repo.secrets.items() if p.split("/")[:2] not in (["services", b] for b in broken)},
    )


def render_for(
    platform: Platform, only: Part = Part.ALL, report: Report = lambda _line: None, services: Bundle | None = None
) -> Bundle:
    """Every object and lifecycle task of the cluster (`only`: all, platform or services);
    `services`: this platform's services already rendered (validate_cluster), not rendered again."""
    bundle = render_platform(platform, chart_store(), only, services)
    report_warnings(bundle.warnings, report)
    return bundle


def report_warnings(warnings: Iterable[Problem], report: Report) -> None:
    """Each problem worth a look but no reason to stop, as a `warning:` line."""
    for warning in warnings:
        report(f"warning: {warning}")


def require_clean_checks(platform: Platform, bundle: Bundle, report: Report = lambda _line: None) -> list[Finding]:
    """Fail closed: any deny finding (or a check that could not run) is an error before any request
    reaches a cluster; warnings and waived findings are reported and returned."""
    findings = run_checks(platform, bundle)
    for finding in findings:
        if finding.severity in ("warn", "waived"):
            report(str(finding))
    denied = [f for f in findings if f.severity == "deny"]
    if denied:
        raise DockyardError("the checks found problems; nothing was written:\n" + "\n".join(map(str, denied)))
    return findings


@dataclass(frozen=True)
class Planned:
    """What `apply_planned` needs: the cluster's render, the connection to it, what the inventory
    recorded, and the server's dry run of every object against live state."""

    platform: Platform
    bundle: Bundle
    connection: Connection
    inventory: str
    """The inventory's name: `<platform>-<cluster>`."""
    previous: Inventory
    changes: ChangeSet
    force_conflicts: bool = False
    """Take over fields another field manager owns (a GitOps controller putting an object back)."""
    provided: Provided = field(default_factory=dict, repr=False)
    """Generated credentials the repo keeps, for the lifecycle tasks (never shown)."""


def plan_platform(
    platform: Platform,
    *,
    kubeconfig: Path | None = None,
    context: str | None = None,
    allow_mass_prune: bool = False,
    prune_kinds: Sequence[str] = (),
    recreate: Sequence[str] = (),
    checks_first: bool = False,
    force_conflicts: bool = False,
    report: Report = lambda _line: None,
    ahead: ReadAhead | None = None,
) -> Planned:
    """Render one cluster's platform (and, for an apply, check it), then dry-run it on the cluster.
    With `ahead` (the sync controller), its connection and what it read ahead are used; without,
    what the last apply recorded is read while the platform is rendered and checked (reads only:
    nothing is written before the checks pass, and a kubeconfig that cannot be used is said after
    them, as a check failure is said first)."""
    inventory = f"{platform.name}-{platform.cluster.name}"
    if ahead is None:
        with contextlib.suppress(DockyardError):  # said again below, once the checks have passed
            ahead = ReadAhead.of_last_apply(Connection(kubeconfig, context or platform.cluster.kube_context), inventory)
    bundle = render_for(platform, report=report)
    if checks_first:
        require_clean_checks(platform, bundle, report)
    unsealed = unseal(bundle, platform)  # the checks saw no value; the cluster's requests need them
    bundle = unsealed.bundle
    if ahead is None:
        ahead = ReadAhead.of_kinds(Connection(kubeconfig, context or platform.cluster.kube_context), inventory, ())
    elif ahead.inventory != inventory:
        ahead = ReadAhead.of_kinds(ahead.connection, inventory, ())  # the platform was renamed: its own inventory
    connection = ahead.connection
    recorded = ahead.recorded()
    previous = recorded.objects
    changes = plan(
        connection,
        bundle,
        set(previous),
        allow_mass_prune=allow_mass_prune,
        prune_kinds=tuple(prune_kinds),
        recreate=frozenset(r.lower() for r in recreate),
        finished=recorded.finished,
        observed=recorded.observed,
        force_conflicts=force_conflicts,
        listed=ahead.listed,
    )
    return Planned(platform, bundle, connection, inventory, previous, changes, force_conflicts, unsealed.provided)


@dataclass(frozen=True)
class Applied:
    outcome: Outcome
    tasks_done: tuple[str, ...]
    """What each lifecycle task did, in a few words (no secret values)."""


def apply_planned(planned: Planned, *, timeout: float = 300.0, report: Report = lambda _line: None) -> Applied:
    """Write the planned changes stage by stage with health waits, run the lifecycle tasks at their
    points, prune last, record the inventory."""
    admin_url = planned.platform.settings.identity_admin_url
    runner = tasks.runner(planned.connection, planned.bundle.tasks, report, admin_url, planned.provided)
    outcome = apply(
        planned.connection,
        planned.changes,
        planned.inventory,
        planned.previous,
        progress=report,
        timeout=timeout,
        after=runner.after,
        force_conflicts=planned.force_conflicts,
    )
    return Applied(outcome, tuple(runner.done))
