"""`dockyard policies export`: the policy library for in-cluster enforcement."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dockyard import actions
from dockyard.check.gatekeeper import export
from dockyard.cli.shared import err, output_directory
from dockyard.errors import UsageError
from dockyard.render.bundle import to_yaml

policies_app = typer.Typer(help="The policy library, for enforcement in the cluster.", no_args_is_help=True)


@policies_app.command("export")
def export_command(
    cluster: Annotated[str, typer.Option("--cluster", "-c", help="Whose severities and image policy.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory to write into.")],
    repo: Annotated[Path, typer.Argument(help="The platform repo (or a directory inside it).")] = Path("."),
    gatekeeper: Annotated[bool, typer.Option("--gatekeeper", help="As Gatekeeper ConstraintTemplates.")] = False,
) -> None:
    """Write the policies a cluster's checks enforce as Gatekeeper ConstraintTemplates and Constraints."""
    if not gatekeeper:
        raise UsageError("say which format: --gatekeeper (the only one so far)")
    platform = actions.platform_for(actions.load_repo(repo, err.print), cluster)
    checks = platform.settings.checks
    require_digest = platform.settings.require_digest
    result = export(dict(checks.severity), require_digest, platform.policies)
    output_directory(output, "--output")
    for manifest in result.manifests:
        name = f"{manifest['kind'].lower()}-{manifest['metadata']['name']}.yaml"
        (output / name).write_text(to_yaml([manifest]), encoding="utf-8")
    typer.echo(f"wrote {len(result.manifests)} objects into {output}")
    for rule, reason in sorted(result.skipped.items()):
        typer.echo(f"not exported: {rule}: {reason}")
    if checks.waivers:
        typer.echo("not exported: waivers (Gatekeeper has no expiring exceptions; `dockyard check` reports them)")
