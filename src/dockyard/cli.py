"""The `dockyard` command: parse arguments, call the pipeline, turn errors into exit codes.

Exit codes: 0 success; 1 the input is invalid (or a step failed); 2 the command line is
wrong; 70 an internal error (a bug: please report it; DOCKYARD_DEBUG=1 shows the traceback).
"""

from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.exceptions import TyperException

from dockyard import __version__, actions, components_cli, policies_cli
from dockyard.errors import DockyardError, InputError, Problem, UsageError, printable
from dockyard.load import schemas
from dockyard.load.layers import Explanation, effective, explain
from dockyard.localcluster import cli as localcluster_cli
from dockyard.model.images import parse_image_options
from dockyard.render.components.install import check_pulled_values
from dockyard.render.output import stream, write_tree
from dockyard.render.platform import PARTS
from dockyard.render.services import render
from dockyard.scaffold import init as scaffold_init


class _Stream:
    """Plain lines to stdout or stderr (rich is imported only where a command draws more than lines)."""

    def __init__(self, *, stderr: bool) -> None:
        self.stderr = stderr

    def print(self, line: str = "") -> None:
        typer.echo(line, err=self.stderr)


out = _Stream(stderr=False)
err = _Stream(stderr=True)

app = typer.Typer(
    name="dockyard",
    help="Dockyard turns one platform repo into a validated microservice platform on Kubernetes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(localcluster_cli.app, name="localcluster")
app.add_typer(components_cli.charts_app, name="charts")
app.add_typer(policies_cli.policies_app, name="policies")
app.command("components")(components_cli.components)
for command in localcluster_cli.TOP_LEVEL:
    app.command(command.__name__)(command)

RepoArg = Annotated[Path, typer.Argument(help="The platform repo (or a directory inside it).")]
ClusterOpt = Annotated[str | None, typer.Option("--cluster", "-c", help="Only this cluster.")]
ImageOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--image",
        help="SERVICE=IMAGE for the service's `image: .` containers, SERVICE.CONTAINER=IMAGE for one (repeatable).",
    ),
]


def _version(value: bool) -> None:
    if value:
        out.print(f"dockyard {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Dockyard: one platform repo, a whole platform."""


@app.command()
def init(directory: Annotated[Path, typer.Argument(help="A new or empty directory.")]) -> None:
    """Create a platform repo from the example shop (four services, two environments, two clusters)."""
    written = scaffold_init(directory)
    out.print(f"created platform repo {directory} ({len(written)} files)")
    out.print(f"next: dockyard validate {directory}, then dockyard charts pull {directory} (the pinned charts)")


@app.command()
def validate(repo: RepoArg = Path("."), cluster: ClusterOpt = None, image: ImageOpt = None) -> None:
    """Load and merge every layer, validate everything (rendering included), print every error at once."""
    loaded = actions.load_repo(repo)
    clusters = [cluster] if cluster else sorted(loaded.clusters)
    problems: list[Problem] = []
    warnings: list[Problem] = []
    for name in clusters:
        try:
            platform = actions.platform_for(loaded, name, parse_image_options(image))
        except InputError as error:
            problems += [p for p in error.problems if p not in problems]
            continue
        checked = check_pulled_values(platform)
        problems += [p for p in checked.errors if p not in problems]
        warnings += [p for p in checked.warnings if p not in warnings]
        try:
            render(platform)
        except InputError as error:
            problems += [p for p in error.problems if p not in problems]
    actions.report_warnings(warnings, err.print)
    if problems:
        raise InputError(problems)
    services, environments = len(loaded.services), len(loaded.environments)
    out.print(
        f"valid: {loaded.platform.data['name']}: {services} services, {environments} environments, "
        f"cluster{'s' if len(clusters) != 1 else ''} {', '.join(clusters)}"
    )


@app.command(name="render")
def render_command(
    cluster: Annotated[str, typer.Option("--cluster", "-c", help="The cluster to render for.")],
    repo: RepoArg = Path("."),
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write one file per object here.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="yaml or json.")] = "yaml",
    only: Annotated[str, typer.Option("--only", help="all, platform (components) or services.")] = "all",
    image: ImageOpt = None,
) -> None:
    """Render the platform's components and every service: one file per object, or one stream to stdout."""
    if fmt not in ("yaml", "json"):
        raise UsageError(f"--format must be yaml or json, not `{fmt}`")
    if only not in PARTS:
        raise UsageError(f"--only must be one of {', '.join(PARTS)}, not `{only}`")
    platform = actions.platform_for(actions.load_repo(repo), cluster, parse_image_options(image))
    bundle = actions.render_for(platform, only, report=err.print)
    if output is None:
        sys.stdout.write(stream(bundle, fmt))
        return
    written = write_tree(bundle, output, fmt)
    err.print(f"rendered {len(written)} objects for cluster {cluster} into {output}")


@app.command(name="check")
def check_command(
    cluster: Annotated[str, typer.Option("--cluster", "-c", help="The cluster to check for.")],
    repo: RepoArg = Path("."),
    output: Annotated[str, typer.Option("--output", help="text, json or sarif.")] = "text",
    explain_wire: Annotated[
        tuple[str, str] | None,
        typer.Option(
            "--explain-wire",
            metavar="FROM TO",
            help="Show the path a request takes instead: FROM a workload ([NAMESPACE/]NAME) or `gateway`, "
            "TO a Service ([NAMESPACE/]NAME[:PORT]) or, from the gateway, a URL.",
        ),
    ] = None,
    image: ImageOpt = None,
) -> None:
    """Check every rendered object against the Kubernetes (and CRD) schemas and the policy library.

    Exit 1 on any deny finding (with --explain-wire: when the request is refused on its way)."""
    from dockyard.check.run import run_checks

    _check_output(output, ("text", "json", "sarif"))
    platform = actions.platform_for(actions.load_repo(repo), cluster, parse_image_options(image))
    bundle = actions.render_for(platform, report=err.print)
    if explain_wire is not None:
        _explain(bundle, *explain_wire)
        return
    findings = run_checks(platform, bundle)
    if output == "json":
        sys.stdout.write(json.dumps([finding.as_dict() for finding in findings], indent=2) + "\n")
    elif output == "sarif":
        from dockyard.check.policy import descriptions
        from dockyard.check.sarif import to_sarif

        sys.stdout.write(json.dumps(to_sarif(findings, descriptions(platform.policies)), indent=2) + "\n")
    else:
        for finding in findings:
            out.print(str(finding))
        counts = {level: sum(1 for f in findings if f.severity == level) for level in ("deny", "warn", "waived")}
        out.print(f"check: {counts['deny']} deny, {counts['warn']} warn, {counts['waived']} waived")
    if any(f.severity == "deny" for f in findings):
        raise typer.Exit(1)


def _explain(bundle: Any, source: str, target: str) -> None:
    from dockyard.check.wiring.explain import explain_wire

    paths = explain_wire(bundle, source, target)
    for path in paths:
        for line in path.lines():
            out.print(line)
    if not all(path.connects for path in paths):
        raise typer.Exit(1)


KubeconfigOpt = Annotated[Path | None, typer.Option("--kubeconfig", help="Default: $KUBECONFIG or ~/.kube/config.")]
ContextOpt = Annotated[str | None, typer.Option("--context", help="Default: the cluster's kubeContext.")]


def _check_output(output: str, allowed: tuple[str, ...] = ("text", "json")) -> None:
    if output not in allowed:
        raise UsageError(f"--output must be {', '.join(allowed[:-1])} or {allowed[-1]}, not `{output}`")


SYMBOLS = {"create": "+", "configure": "~", "recreate": "±"}
COLOURS = {"+": "\033[32m", "-": "\033[31m", "@": "\033[36m"}


def _colour(diff: str) -> str:
    """Green additions, red removals, cyan hunk headers, when stdout is a terminal."""
    if not sys.stdout.isatty() or os.environ.get("NO_COLOR"):
        return diff
    lines = []
    for line in diff.splitlines():
        colour = COLOURS.get(line[:1]) if not line.startswith(("+++", "---")) else "\033[1m"
        lines.append(f"{colour}{line}\033[0m" if colour else line)
    return "\n".join(lines)


def _show_plan(changes: Any, *, diffs: bool) -> None:
    for change in changes.changes:
        if change.action != "unchanged":
            out.print(f"{SYMBOLS[change.action]} {change.id}")
            if diffs and change.diff:
                out.print(_colour(printable(change.diff.rstrip("\n"), keep_newlines=True)))
    for object_id in changes.prune.delete:
        out.print(f"- {object_id}")
    for object_id in changes.prune.kept:
        out.print(f"  {object_id}: no longer rendered, kept (its kind is never pruned unless --prune-kind allows it)")
    out.print(f"plan: {changes.summary()}")


@app.command(name="plan")
def plan_command(
    cluster: Annotated[str, typer.Option("--cluster", "-c", help="The cluster to plan for.")],
    repo: RepoArg = Path("."),
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    output: Annotated[str, typer.Option("--output", help="text or json.")] = "text",
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            "--detailed-exitcode",
            help="Exit 2 when there are changes, 0 when none, 1 on any error (usage errors too), as terraform.",
        ),
    ] = False,
    image: ImageOpt = None,
) -> None:
    """Dry-run the whole set on the server and compare with live state (exit 0 whether or not there
    are changes, unless --detailed-exitcode)."""
    from dockyard.deploy.apply import describe_failure

    _check_output(output)
    planned = actions.plan_cluster(
        repo, cluster, kubeconfig=kubeconfig, context=context, images=parse_image_options(image), report=err.print
    )
    changes, bundle = planned.changes, planned.bundle
    if changes.failures:
        raise DockyardError("the dry run failed:\n" + "\n".join(describe_failure(c) for c in changes.failures))
    if output == "json":
        document = {
            "summary": changes.summary(),
            "changes": [
                {"object": str(c.id), "action": c.action, "source": c.rendered.source.file} for c in changes.changes
            ],
            "prune": [str(i) for i in changes.prune.delete],
            "tasks": [
                {"task": t.kind, "name": t.name, "source": t.source.file}
                for t in sorted(bundle.tasks, key=lambda t: (t.kind, t.name))
            ],
        }
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        _show_plan(changes, diffs=True)
        _show_tasks(bundle.tasks)
    raise typer.Exit(CHANGES if detailed_exitcode and changes.has_changes else 0)


@app.command(name="apply")
def apply_command(
    cluster: Annotated[str, typer.Option("--cluster", "-c", help="The cluster to apply to.")],
    repo: RepoArg = Path("."),
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds each stage may take to become healthy.")] = 300,
    allow_mass_prune: Annotated[bool, typer.Option("--allow-mass-prune", help="Prune more than 20 %.")] = False,
    prune_kind: Annotated[
        list[str] | None, typer.Option("--prune-kind", help="Also prune this protected kind.")
    ] = None,
    recreate: Annotated[
        list[str] | None, typer.Option("--recreate", help="Delete and create this object (kind/namespace/name).")
    ] = None,
    image: ImageOpt = None,
) -> None:
    """Validate, render, dry-run the whole set, then apply by stage with health waits; prune last."""
    from dockyard.deploy import tasks

    planned = actions.plan_cluster(
        repo,
        cluster,
        kubeconfig=kubeconfig,
        context=context,
        allow_mass_prune=allow_mass_prune,
        prune_kinds=prune_kind or (),
        recreate=recreate or (),
        checks_first=True,
        images=parse_image_options(image),
        report=err.print,
    )
    changes, bundle = planned.changes, planned.bundle
    tasks.check_known(bundle.tasks)
    _show_plan(changes, diffs=False)
    _show_tasks(bundle.tasks)
    if not changes.has_changes and not changes.failures and not bundle.tasks:
        out.print("nothing to do")
        return
    if not yes and not changes.failures:
        if not sys.stdin.isatty():
            raise UsageError("apply needs --yes when it cannot ask (no terminal)")
        if not typer.confirm("apply these changes?"):
            raise typer.Exit(1)
    applied = actions.apply_planned(planned, timeout=timeout, report=err.print)
    outcome = applied.outcome
    out.print(
        f"applied: {len(outcome.written)} written, {len(outcome.pruned)} pruned, {outcome.unchanged} unchanged, "
        f"{len(applied.tasks_done)} tasks run"
    )


def _show_tasks(requests: Any) -> None:
    """The lifecycle tasks apply runs (each is idempotent, so they run on every apply)."""
    from dockyard.deploy.tasks import KINDS
    from dockyard.render.task_points import described

    for request in sorted(requests, key=lambda r: (r.kind, r.name)):
        when = f"once {described(KINDS[request.kind].point)}" if request.kind in KINDS else "never (no task runs it)"
        out.print(f"task {request.kind} {request.name} ({when})")


@app.command(name="explain")
def explain_command(
    key: Annotated[str, typer.Argument(help="A dotted key, e.g. services.orders.replicas.")],
    cluster: Annotated[str, typer.Option("--cluster", "-c", help="The cluster whose values to explain.")],
    repo: RepoArg = Path("."),
) -> None:
    """Show a key's effective value, the file:line that set it, and what it overrode."""
    loaded = actions.load_repo(repo)
    _print_explanation(explain(effective(loaded, cluster), key))


def _print_explanation(explanation: Explanation) -> None:
    if explanation.removed_by is not None:
        out.print(f"{explanation.key} is unset: removed (null) by {explanation.removed_by}")
    elif explanation.leaves and explanation.leaves[0].key == explanation.key:
        leaf = explanation.leaves[0]
        out.print(f"{leaf.key} = {_show(leaf.value)}")
        out.print(f"  set by {leaf.origin}")
    else:
        out.print(f"{explanation.key}:")
        width = max((len(leaf.key) for leaf in explanation.leaves), default=0)
        for leaf in explanation.leaves:
            out.print(f"  {leaf.key:<{width}} = {_show(leaf.value)}  ({leaf.origin})")
    for override in explanation.overridden:
        out.print(f"  overrides {_show(override.value)} from {override.origin}")


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


@app.command()
def schema(
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write one <kind>.json per file kind here.")
    ] = None,
) -> None:
    """Print or write the JSON Schemas (Draft 2020-12) of every platform repo file kind."""
    if out_dir is None:
        sys.stdout.write(json.dumps(schemas.BY_KIND, indent=2, sort_keys=True) + "\n")
        return
    for name in write_schemas(out_dir):
        out.print(f"wrote {name}")


def write_schemas(directory: Path) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, document in sorted(schemas.BY_KIND.items()):
        path = directory / f"{kind}.json"
        path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        written.append(str(path))
    return written


def _report(error: DockyardError) -> None:
    if isinstance(error, InputError):
        for problem in error.problems:
            err.print(str(problem))
        count = len(error.problems)
        err.print(f"{count} problem{'s' if count != 1 else ''} found; nothing was changed")
    else:
        err.print(f"error: {printable(str(error), keep_newlines=True)}")


CHANGES = 2
"""`plan --detailed-exitcode`: there are changes. Every error then exits 1, so 2 means only this."""


GC_THRESHOLDS = (100_000, 50, 100)
"""A render allocates millions of small objects that live until the command ends; at Python's
default (700 allocations) the collector ran so often it took 40 % of a warm `validate` of 1,000
services (bench/validate.py). Collections are rarer, not off: reference cycles are still freed."""


def main() -> None:
    """Console entry point: never a traceback for a user's mistake."""
    gc.set_threshold(*GC_THRESHOLDS)
    gc.freeze()  # what the imports made lives as long as the process: never scan it again
    detailed = "--detailed-exitcode" in sys.argv[1:]

    def failed(code: int) -> NoReturn:
        sys.exit(1 if detailed and code == CHANGES else code)

    try:
        code = app(standalone_mode=False)  # an Exit(n) inside a command comes back as n
        if isinstance(code, int) and code:
            sys.exit(code)
    except DockyardError as error:
        _report(error)
        failed(error.exit_code)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except TyperException as error:  # the command line itself is wrong
        show = getattr(error, "show", None)
        if show is not None:
            show()
        else:
            err.print(f"error: {error!s}")
        failed(getattr(error, "exit_code", 2))
    except Exception as error:  # a bug
        if os.environ.get("DOCKYARD_DEBUG"):
            raise
        err.print(f"internal error: {type(error).__name__}: {printable(str(error))}")
        err.print("this is a bug in Dockyard; rerun with DOCKYARD_DEBUG=1 for the traceback and report it")
        sys.exit(70)


if __name__ == "__main__":
    main()
