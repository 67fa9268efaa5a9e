"""console: the web console on this machine (pages and a JSON API over the same actions)."""

from __future__ import annotations

import contextlib
import ipaddress
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer

from dockyard.cli.shared import RepoArg, err
from dockyard.errors import InputError, UsageError
from dockyard.load.files import find_repo
from dockyard.load.layers import effective
from dockyard.load.repo import load

if TYPE_CHECKING:
    from dockyard.console.gitrepo import Upstream


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
    oidc_issuer: Annotated[
        str | None,
        typer.Option("--oidc-issuer", help="The identity provider, e.g. https://sso.<domain>/realms/<realm>."),
    ] = None,
    oidc_client_id: Annotated[str, typer.Option("--oidc-client-id", help="The console's client.")] = "dockyard-console",
    oidc_client_secret_file: Annotated[
        Path | None, typer.Option("--oidc-client-secret-file", help="A file holding the client's secret.")
    ] = None,
    public_url: Annotated[
        str | None,
        typer.Option("--public-url", help="The console's address as browsers reach it (default http://HOST:PORT)."),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="Work on a clone of this git URL instead of REPO (the console in the cluster): it follows "
            "--branch, and each change is pushed to it as it is committed.",
        ),
    ] = None,
    branch: Annotated[str, typer.Option("--branch", help="The branch --source follows.")] = "main",
    path: Annotated[str, typer.Option("--path", help="The platform repo's folder in --source.")] = ".",
    credentials: Annotated[
        Path | None,
        typer.Option(
            "--credentials",
            help="A folder of git credentials for --source (username and password, or ssh-privatekey and "
            "known_hosts), as `sync run` takes them.",
        ),
    ] = None,
    workdir: Annotated[
        Path | None, typer.Option("--workdir", help="Where the clone of --source is kept (default: a new folder).")
    ] = None,
    plans: Annotated[
        bool,
        typer.Option(
            "--plans/--no-plans",
            help="Plan against the cluster (dry runs need the rights applying needs; the console in the cluster "
            "runs without them).",
        ),
    ] = True,
) -> None:
    """Serve the console: the service catalog, each service's values, objects and history, and a form
    that adds or changes a service as a commit in the repo (never a direct write to a cluster)."""
    import uvicorn

    from dockyard.console.app import create_app
    from dockyard.console.auth import SessionCodec
    from dockyard.console.oidc import OpenIdConnect, Provider
    from dockyard.console.state import Console
    from dockyard.console.web import Settings
    from dockyard.render.remembered import remember_renders

    if dev_login and not _loopback(host):
        raise UsageError(f"--dev-login lets anyone sign in as anyone; listen on a loopback address with it, not {host}")
    if not dev_login and oidc_issuer is None:
        raise UsageError(
            "nobody could sign in: give the identity provider (--oidc-issuer, --oidc-client-id, "
            "--oidc-client-secret-file) or, on this machine only, --dev-login"
        )
    base = (public_url or f"http://{host}:{port}").rstrip("/")
    oidc = None
    if oidc_issuer is not None:
        if oidc_client_secret_file is None:
            raise UsageError("--oidc-issuer needs --oidc-client-secret-file (the console is a confidential client)")
        secret = _read(oidc_client_secret_file, "--oidc-client-secret-file").decode("utf-8", "replace").strip()
        if not secret:
            raise UsageError(f"{oidc_client_secret_file} is empty; it must hold the client's secret")
        oidc = OpenIdConnect(Provider(oidc_issuer, oidc_client_id, secret, f"{base}/auth/callback"))
    key = None
    if session_key_file is not None:
        key = _read(session_key_file, "--session-key-file")
        if len(key) < 32:
            raise UsageError(f"{session_key_file} holds {len(key)} bytes; a session key needs at least 32 random bytes")
    upstream = None
    if source is not None:
        if repo != Path("."):
            raise UsageError("give the platform repo either as REPO or as --source, not both")
        clone, upstream = _clone(source, branch, credentials, workdir)
        repo = clone / path
    root = find_repo(repo)
    with contextlib.suppress(InputError):  # an invalid repo is served: the console shows its problems
        effective(load(root), cluster)  # an unknown cluster is a usage error (with the clusters there are)
    console = Console(root, cluster, upstream=upstream, plans=plans)
    snapshot = console.snapshot()
    if snapshot.problems:
        err.print(f"warning: the repo does not load for cluster {cluster}; the console shows why")
    hosts = {"127.0.0.1", "localhost", "::1", urlsplit(base).hostname or "127.0.0.1"}
    if host not in ("0.0.0.0", "::"):
        hosts.add(host)
    settings = Settings(
        dev_login=dev_login, secure_cookies=base.startswith("https://"), oidc=oidc, hosts=tuple(sorted(hosts))
    )
    app = create_app(console, settings, SessionCodec(key))
    remember_renders()  # every save and look renders the platform again: its unchanged services are copied
    err.print(f"console: {base}/ (platform repo {root}, cluster {cluster}); Ctrl-C stops it")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


BRANCH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
"""A branch name the console follows: never one git could read as an option."""


def _clone(source: str, branch: str, credentials: Path | None, workdir: Path | None) -> tuple[Path, Upstream]:
    """A working copy of `source`'s `branch` in `workdir` (cloned when new, kept when it is one
    already), and the upstream the console follows and pushes to."""
    import subprocess
    import tempfile

    from dockyard.console.gitrepo import Upstream
    from dockyard.sync.source import GitSource  # its credentials, as the sync controller uses them

    if not BRANCH.fullmatch(branch) or ".." in branch or branch.endswith((".lock", "/")):
        raise UsageError(f"--branch `{branch}` is not a branch name (letters, digits, `.`, `_`, `-` and `/`)")
    folder = workdir or Path(tempfile.mkdtemp(prefix="dockyard-console-"))
    remote = GitSource(source, branch, folder.parent / f".{folder.name}-git", credentials)
    env = remote.remote_env()
    if not (folder / ".git").is_dir():
        if folder.exists() and any(folder.iterdir()):
            raise UsageError(f"--workdir {folder} is neither empty nor a clone; give an empty or new folder")
        command = ["git", "-c", "credential.helper=", "clone", "--quiet", "--branch", branch, "--single-branch"]
        done = subprocess.run(
            [*command, "--", source, str(folder)], env=env, capture_output=True, text=True, timeout=300, check=False
        )
        if done.returncode != 0:
            said = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
            raise UsageError(f"cannot clone {remote.shown} ({branch}): {said.replace(source, remote.shown)}")
    return folder, Upstream("origin", branch, env)


def _read(path: Path, option: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise UsageError(f"{option}: cannot read {path}: {error.strerror or error}") from None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
