"""console: the web console on this machine (pages and a JSON API over the same actions)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer

from dockyard.cli.shared import RepoArg, err
from dockyard.errors import UsageError
from dockyard.load.files import find_repo


def console_command(
    cluster: Annotated[str, typer.Option("--cluster", "-c", help="The cluster whose services the console shows.")],
    repo: RepoArg = Path("."),
    host: Annotated[str, typer.Option("--host", help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="The port to listen on.")] = 8400,
    dev_login: Annotated[
        bool,
        typer.Option("--dev-login", help="Let anyone sign in as anyone with any role (this machine only)."),
    ] = False,
    session_key_file: Annotated[
        Path | None,
        typer.Option("--session-key-file", help="A file of at least 32 random bytes: sessions survive restarts."),
    ] = None,
) -> None:
    """Serve the console: the service catalog, each service's values, objects and history, and a form
    that adds or changes a service as a commit in the repo (never a direct write to a cluster)."""
    import uvicorn

    from dockyard.console.app import create_app
    from dockyard.console.auth import SessionCodec
    from dockyard.console.state import Console
    from dockyard.console.web import Settings

    if dev_login and not _loopback(host):
        raise UsageError(f"--dev-login lets anyone sign in as anyone; listen on a loopback address with it, not {host}")
    if not dev_login:
        raise UsageError(
            "the console's sign-in through the platform's identity provider is not built yet; "
            "run it on this machine with --dev-login"
        )
    key = None
    if session_key_file is not None:
        key = session_key_file.read_bytes()
        if len(key) < 32:
            raise UsageError(f"{session_key_file} holds {len(key)} bytes; a session key needs at least 32 random bytes")
    root = find_repo(repo)
    console = Console(root, cluster)
    snapshot = console.snapshot()
    if snapshot.problems:
        err.print(f"warning: the repo does not load for cluster {cluster}; the console shows why")
    app = create_app(console, Settings(dev_login=dev_login, secure_cookies=False), SessionCodec(key))
    err.print(f"console: http://{host}:{port}/ (platform repo {root}, cluster {cluster}); Ctrl-C stops it")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
