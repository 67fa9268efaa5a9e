"""`dockyard plan` and `dockyard apply`: the render against a live cluster."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from dockyard import actions
from dockyard.cli.progress import Display
from dockyard.cli.shared import ContextOpt, ImageOpt, KubeconfigOpt, Output, RepoArg, err, out, output_format
from dockyard.errors import DockyardError, UsageError, printable
from dockyard.model.images import parse_image_options

CHANGES = 2
"""`plan --detailed-exitcode`: there are changes. Every error then exits 1, so 2 means only this."""

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
    """Compare the render with live state: what may have changed is dry-run on the server (exit 0
    whether or not there are changes, unless --detailed-exitcode)."""
    from dockyard.deploy.apply import describe_failure

    chosen = output_format(output)
    platform = actions.platform_for(actions.load_repo(repo, err.print), cluster, parse_image_options(image))
    planned = actions.plan_platform(platform, kubeconfig=kubeconfig, context=context, report=err.print)
    changes, bundle = planned.changes, planned.bundle
    if changes.failures:
        raise DockyardError("the dry run failed:\n" + "\n".join(describe_failure(c) for c in changes.failures))
    if chosen is Output.JSON:
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
    force_conflicts: Annotated[
        bool,
        typer.Option("--force-conflicts", help="Take over fields another field manager owns (as kubectl's)."),
    ] = False,
) -> None:
    """Validate, render, check and plan, then apply by stage with health waits; prune last."""
    from dockyard.deploy import tasks

    planned = actions.plan_platform(
        actions.platform_for(actions.load_repo(repo, err.print), cluster, parse_image_options(image)),
        kubeconfig=kubeconfig,
        context=context,
        allow_mass_prune=allow_mass_prune,
        prune_kinds=prune_kind or (),
        recreate=recreate or (),
        checks_first=True,
        force_conflicts=force_conflicts,
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
    with Display() as display:
        applied = actions.apply_planned(planned, timeout=timeout, report=display)
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
