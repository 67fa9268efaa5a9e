"""`dockyard sync SOURCE --cluster NAME` (the GitOps loop, in the foreground) and `dockyard sync status`."""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from dockyard.cli.shared import ContextOpt, KubeconfigOpt, err, out
from dockyard.deploy.client import Connection
from dockyard.deploy.inventory import INVENTORY_NAMESPACE
from dockyard.errors import DockyardError, UsageError, printable
from dockyard.locations import sync_cache
from dockyard.render.remembered import remember_renders
from dockyard.sync.controller import Controller, Settings
from dockyard.sync.lease import Leadership, Lease, leader_label, lease_name
from dockyard.sync.server import Endpoints
from dockyard.sync.source import GitSource
from dockyard.sync.status import API_VERSION, KIND, Result
from dockyard.sync.webhooks import Receiver

SECRET_ENV = "DOCKYARD_WEBHOOK_SECRET"


class _RunByDefault(TyperGroup):
    """`dockyard sync SOURCE ...` runs the loop; `dockyard sync status ...` is a subcommand."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's own click Context
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_RunByDefault,
    help="Keep a cluster on the newest commit of a platform repo's branch (GitOps). "
    "`dockyard sync SOURCE -c NAME` is `dockyard sync run SOURCE -c NAME`.",
    no_args_is_help=True,
)


def _log(line: str) -> None:
    stamp = datetime.now(UTC).strftime("%H:%M:%S")
    err.print(f"{stamp} {printable(line)}")


def _secret(secret_file: Path | None) -> bytes | None:
    if secret_file is not None:
        try:
            value = secret_file.read_bytes().strip()
        except OSError as error:
            raise UsageError(f"--webhook-secret-file {secret_file}: {error.strerror}") from None
        if not value:
            raise UsageError(f"--webhook-secret-file {secret_file} is empty")
        return value
    value_env = os.environ.get(SECRET_ENV, "").strip()
    return value_env.encode() if value_env else None


def _listen(address: str) -> tuple[str, int]:
    host, _colon, port = address.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--listen {address}: write HOST:PORT, e.g. 127.0.0.1:8081")
    return host.strip("[]"), int(port)


@app.command("run")
def run(
    source: Annotated[str, typer.Argument(help="The platform repo: a git URL or a local path.")],
    cluster: Annotated[str, typer.Option("--cluster", "-c", help="The cluster to keep in sync.")],
    branch: Annotated[str, typer.Option("--branch", help="The branch to follow.")] = "main",
    path: Annotated[str, typer.Option("--path", help="The platform repo's directory in the git repo.")] = ".",
    interval: Annotated[
        float, typer.Option("--interval", help="Seconds between polls at most (up to 10 % sooner, jittered).")
    ] = 60.0,
    drift_interval: Annotated[
        float, typer.Option("--drift-interval", help="Seconds between plans of an unchanged revision.")
    ] = 300.0,
    once: Annotated[bool, typer.Option("--once", help="Fetch and reconcile once, then exit.")] = False,
    listen: Annotated[
        str | None, typer.Option("--listen", help="HOST:PORT for webhooks, /healthz, /readyz and /metrics.")
    ] = None,
    secret_file: Annotated[
        Path | None,
        typer.Option("--webhook-secret-file", help=f"The webhooks' shared secret (or ${SECRET_ENV})."),
    ] = None,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds each stage may take to become healthy.")] = 300,
    allowed_signers: Annotated[
        Path | None,
        typer.Option("--allowed-signers", help="Apply only commits signed by these keys (git's allowed signers file)."),
    ] = None,
    credentials: Annotated[
        Path | None,
        typer.Option(
            "--credentials",
            help="A directory with git's credentials as files: username and password (HTTPS), "
            "or ssh-privatekey and known_hosts (SSH); a mounted Secret.",
        ),
    ] = None,
    leader_elect: Annotated[
        bool,
        typer.Option("--leader-elect", help="Act only while holding a Lease (run several; one acts at a time)."),
    ] = False,
    lease_duration: Annotated[
        float,
        typer.Option(
            "--lease-duration", help="Seconds a Lease lasts unrenewed (with --leader-elect; renewed every third)."
        ),
    ] = 15.0,
    lease_namespace: Annotated[
        str, typer.Option("--lease-namespace", help="The namespace of the Lease (with --leader-elect).")
    ] = INVENTORY_NAMESPACE,
) -> None:
    """Follow SOURCE's branch: every new commit is validated, rendered, checked, planned and applied."""
    if interval <= 0 or drift_interval <= 0 or lease_duration < 1:
        raise UsageError("--interval and --drift-interval must be above 0, --lease-duration at least 1")
    if allowed_signers is not None and not allowed_signers.is_file():
        raise UsageError(f"--allowed-signers {allowed_signers}: no such file")
    if credentials is not None and not credentials.is_dir():
        raise UsageError(f"--credentials {credentials}: no such directory")
    settings = Settings(
        cluster,
        path,
        kubeconfig,
        context,
        interval,
        drift_interval,
        timeout,
        allowed_signers and allowed_signers.absolute(),
        os.environ.get("DOCKYARD_POD_NAMESPACE") or None,
    )
    remember_renders()  # each revision renders the platform again: its unchanged services are copied
    controller = Controller(
        GitSource(source, branch, sync_cache(), credentials and credentials.absolute()), settings, _log
    )
    if once:
        attempt = controller.cycle()
        if attempt is None and controller.head is None:
            raise DockyardError(
                f"{controller.source.shown} ({branch}) could not be fetched (above); nothing was changed"
            )
        if attempt is not None and attempt.result is Result.FAILED:
            raise DockyardError(f"{attempt.revision[:12]} was not applied: {attempt.message}")
        out.print(f"{controller.head.sha[:12] if controller.head else '?'} is applied")
        return
    secret = _secret(secret_file)
    stop, wake = threading.Event(), threading.Event()
    server = None
    if listen is not None:
        host, port = _listen(listen)
        receiver = Receiver(secret, branch) if secret else None
        endpoints = Endpoints(
            receiver, controller.metrics, wake, lambda: controller.ready, lambda: not stop.is_set(), _log
        )
        server = endpoints.serve(host, port)
        _log(f"listening on {host}:{server.server_address[1]}" + ("" if secret else " (webhooks off: no secret)"))

    def stopping(_signal: int, _frame: object) -> None:
        stop.set()
        wake.set()

    signal.signal(signal.SIGTERM, stopping)
    leadership = None
    if leader_elect:
        name = lease_name(controller.source.shown, branch, cluster)
        identity = f"{socket.gethostname()}-{os.getpid()}"
        connection = Connection(kubeconfig, context)
        lease = Lease(connection, name, identity, duration=lease_duration, namespace=lease_namespace)
        pod = os.environ.get("DOCKYARD_POD_NAME"), os.environ.get("DOCKYARD_POD_NAMESPACE")
        announce = leader_label(connection, pod[0], pod[1]) if pod[0] and pod[1] else None
        leadership = Leadership(lease, _log, announce)
    _log(f"following {controller.source.shown} ({branch}) for cluster {cluster}")
    kept = True
    try:
        kept = controller.run(stop, wake, leadership)
    except KeyboardInterrupt:
        stop.set()
    finally:
        if leadership is not None:
            leadership.step_down(release=kept)
        if server is not None:
            server.shutdown()
    if not kept:
        err.print("error: lost the Lease to another controller; stopped (a supervisor restarts it as a candidate)")
    sys.exit(0 if kept else 1)


@app.command("status")
def status(
    cluster: Annotated[str | None, typer.Option("--cluster", "-c", help="Only this cluster.")] = None,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
) -> None:
    """What the sync controller last did, as its Platform objects on the cluster say."""
    connection = Connection(kubeconfig, context)
    found = connection.list(API_VERSION, KIND, None)
    chosen = {n: p for n, p in sorted(found.items()) if cluster is None or p.get("spec", {}).get("cluster") == cluster}
    if not chosen:
        out.print("no Platform objects" + (f" for cluster {cluster}" if cluster else "") + ": nothing syncs here yet")
        raise typer.Exit(1)
    for name, platform in chosen.items():
        for line in describe(name, platform):
            out.print(line)


def describe(name: str, platform: dict[str, Any]) -> list[str]:
    spec, state = platform.get("spec", {}), platform.get("status", {})
    lines = [f"Platform {name}: {spec.get('source')} ({spec.get('branch')}), cluster {spec.get('cluster')}"]
    for condition in state.get("conditions", []):
        message = f": {condition['message']}" if condition.get("message") else ""
        lines.append(f"  {condition['type']:<12}{condition['status']:<8}{condition['reason']}{message}")
    lines.append(f"  applied     {state.get('lastAppliedRevision', '-')}")
    lines.append(f"  attempted   {state.get('lastAttemptedRevision', '-')}")
    for attempt in state.get("history", []):
        lines.append(
            f"  {attempt['startedAt']}  {attempt['revision'][:12]}  {attempt['result']:<8}"
            f"{attempt['durationSeconds']:>7.1f} s  {attempt.get('message', '')}"
        )
    return [printable(line) for line in lines]


def watch(
    repo: Annotated[Path, typer.Argument(help="The platform repo (its working tree, saved or not committed).")] = Path(
        "."
    ),
    cluster: Annotated[str, typer.Option("--cluster", "-c", help="The cluster to keep on the working tree.")] = "",
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    debounce: Annotated[
        int, typer.Option("--debounce", help="Milliseconds of quiet that end a batch of changes.")
    ] = 150,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds an apply waits for health before it is reported failed.")
    ] = 120.0,
) -> None:
    """Apply the working tree now and after every save: the inner loop (checks first; errors at
    file:line, and the watch goes on). For the branch and commits, `dockyard sync`."""
    from dockyard.load.files import find_repo
    from dockyard.sync.watch import Watch, file_changes

    if not cluster:
        raise UsageError("--cluster is required: the cluster to apply the working tree to")
    if debounce < 10:
        raise UsageError("--debounce must be at least 10 ms")
    if timeout <= 0:
        raise UsageError("--timeout must be above 0")
    root = find_repo(repo)
    remember_renders()  # each save renders the platform again: its unchanged services are copied
    session = Watch(root, cluster, _log, kubeconfig, context, timeout)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    _log(f"watching {root.name} for cluster {cluster} (Ctrl-C stops)")
    try:
        session.run(file_changes(root, debounce), stop)
    except KeyboardInterrupt:
        stop.set()
    _log("stopped")
