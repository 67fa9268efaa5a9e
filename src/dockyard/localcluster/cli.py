"""`dockyard localcluster ...` and the top-level `up`, `down`, `status` commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from dockyard.localcluster import build as builder

app = typer.Typer(help="The local control plane: Kubernetes' own binaries on loopback.", no_args_is_help=True)


@app.command()
def build(
    tool: Annotated[list[str] | None, typer.Argument(help="Only these tools (etcd, kubernetes, kwok, helm).")] = None,
) -> None:
    """Build (or confirm cached) etcd, Kubernetes, KWOK and helm from their Go modules."""
    names = tuple(tool) if tool else None
    if names:
        unknown = sorted(set(names) - {t.name for t in builder.TOOLS})
        if unknown:
            raise typer.BadParameter(f"unknown tool {', '.join(unknown)}; tools: etcd, kubernetes, kwok, helm")
    paths = builder.build_all(lambda line: typer.echo(line, err=True), names)
    for binary, path in sorted(paths.items()):
        typer.echo(f"{binary}\t{path}")


TOP_LEVEL: list[Callable[..., None]] = []
"""Commands that also stand at the top level (`dockyard up`)."""
