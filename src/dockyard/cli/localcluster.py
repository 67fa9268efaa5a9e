"""`dockyard localcluster ...` and the top-level `up`, `down`, `status` commands.

The control plane's modules (TLS, HTTP and Kubernetes clients) are imported by the commands
that use them, so every other `dockyard` command starts fast.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Annotated

import typer

from dockyard.cli.progress import Display
from dockyard.localcluster.layout import Layout, known_clusters
from dockyard.tools import build as builder

app = typer.Typer(help="The local control plane: Kubernetes' own binaries on loopback.", no_args_is_help=True)

NameOpt = Annotated[str, typer.Option("--name", "-n", help="The local cluster's name.")]


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
    with Display() as display:
        paths = builder.build_all(display, names)
    for binary, path in sorted(paths.items()):
        typer.echo(f"{binary}\t{path}")


class Driver(StrEnum):
    local = "local"
    kind = "kind"


DriverOpt = Annotated[
    Driver, typer.Option("--driver", help="local: Kubernetes' own binaries, no Docker; kind: needs Docker.")
]


def up(
    name: NameOpt = "local",
    nodes: Annotated[
        int, typer.Option("--nodes", min=1, max=100, help="Nodes (KWOK nodes with the local driver).")
    ] = 1,
    driver: DriverOpt = Driver.local,
    profile: Annotated[
        str | None,
        typer.Option("--profile", help="Also install the platform: dev-fast, full or complete (from the example)."),
    ] = None,
    with_example: Annotated[
        bool, typer.Option("--with-example", help="With --profile: the example's services too.")
    ] = False,
) -> None:
    """Start a local Kubernetes control plane (no Docker): etcd, API server, controllers, scheduler, KWOK
    nodes; with --profile, the platform's components on it (and with --with-example, the example's services)."""
    from dockyard.cli.local_platform import PROFILES
    from dockyard.errors import UsageError
    from dockyard.localcluster import control_plane, kind

    if profile is not None and profile not in PROFILES:
        raise UsageError(f"--profile must be one of {', '.join(PROFILES)}, not `{profile}`")
    if with_example and profile is None:
        raise UsageError("--with-example needs --profile (the platform the example's services run on)")
    if profile is not None and driver is Driver.kind:
        raise UsageError("--profile works with the local driver (use `dockyard apply` on a kind cluster)")

    if driver is Driver.kind:
        context = kind.up(name, nodes)
        typer.echo(f"kind cluster {name} is up; kubeconfig context {context}")
        return
    with Display() as display:
        running = control_plane.up(name, nodes, progress=display)
    state = "already running" if running.already_running else "up"
    typer.echo(f"cluster {running.name} is {state} ({running.seconds:.1f}s): {running.server}")
    for process in running.processes:
        typer.echo(f"  {process.name:<24} pid {process.pid:<8} log {process.log}")
    typer.echo(f"  nodes: {running.nodes} (KWOK marks them Ready and their pods Running)")
    typer.echo(f"  kubeconfig: {running.kubeconfig} (context {running.context}, also merged into your kubeconfig)")
    typer.echo(f"  try: kubectl --context {running.context} get nodes")
    if profile is not None:
        from pathlib import Path

        from dockyard.cli.local_platform import deploy

        deploy(name, profile, Path(running.kubeconfig), running.context, with_example)


def down(
    name: NameOpt = "local",
    purge: Annotated[bool, typer.Option("--purge", help="Also delete the data directory and the context.")] = False,
    driver: DriverOpt = Driver.local,
) -> None:
    """Stop exactly the processes `up` started; keep the data unless --purge."""
    from dockyard.localcluster import control_plane, kind

    if driver is Driver.kind:
        kind.down(name)
        typer.echo(f"kind cluster {name} deleted")
        return
    stopped = control_plane.down(name, purge=purge)
    what = ", ".join(stopped) if stopped else "nothing was running"
    typer.echo(f"cluster {name}: stopped {what}")
    if purge:
        import shutil

        from dockyard.cli.local_platform import platform_dir

        shutil.rmtree(platform_dir(name), ignore_errors=True)  # what `up --profile` made for it
        typer.echo(f"  deleted {Layout(name).root} and the context dockyard-{name}")
    else:
        typer.echo(f"  data kept in {Layout(name).root} (`dockyard down --purge` deletes it)")


def status(name: Annotated[str | None, typer.Option("--name", "-n", help="Only this cluster.")] = None) -> None:
    """What runs: components, PIDs, ports, versions, kubeconfig."""
    from dockyard.localcluster import control_plane

    names = [name] if name else known_clusters()
    if not names:
        typer.echo("no local clusters; `dockyard up` starts one")
        return
    for cluster in names:
        current = control_plane.status(cluster)
        typer.echo(f"cluster {current.name}: {'running' if current.running else 'stopped'}")
        typer.echo(f"  server      {current.server}")
        typer.echo(f"  kubeconfig  {current.kubeconfig} (context dockyard-{current.name})")
        typer.echo("  versions    " + ", ".join(f"{tool} {version}" for tool, version in current.versions.items()))
        typer.echo("  ports       " + ", ".join(f"{part} {port}" for part, port in sorted(current.ports.items())))
        typer.echo(f"  nodes       {current.nodes}")
        for part in current.components:
            typer.echo(f"  {part.name:<24} pid {part.pid:<8} {'running' if part.running else 'stopped'}")


TOP_LEVEL: list[Callable[..., None]] = [up, down, status]
"""Commands that stand at the top level (`dockyard up`)."""
