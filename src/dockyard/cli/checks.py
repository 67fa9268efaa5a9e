"""`dockyard check`: the checks over a cluster's render, or the path of one request through it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from dockyard import actions
from dockyard.cli.shared import ImageOpt, Output, RepoArg, err, out, output_format
from dockyard.model.images import parse_image_options


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

    chosen = output_format(output, tuple(Output))
    platform = actions.platform_for(actions.load_repo(repo, err.print), cluster, parse_image_options(image))
    bundle = actions.render_for(platform, report=err.print)
    if explain_wire is not None:
        _explain(bundle, *explain_wire)
        return
    findings = run_checks(platform, bundle)
    if chosen is Output.JSON:
        sys.stdout.write(json.dumps([finding.as_dict() for finding in findings], indent=2) + "\n")
    elif chosen is Output.SARIF:
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
