"""A real Gitea on a loopback port for the console's pull requests: built from its Go module
(tests/peers.py), SQLite in a temporary folder, one admin, one repository, tokens by scope."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.helpers import free_port
from tests.peers import gitea

ADMIN, PASSWORD = "dock", "Dock-pass-12345"
REPOSITORY = "platform"


@dataclass(frozen=True)
class Gitea:
    url: str
    """The web root, e.g. http://127.0.0.1:PORT"""

    @property
    def api(self) -> str:
        return f"{self.url}/api/v1"

    @property
    def clone_url(self) -> str:
        """The repository's address with the admin's credentials (for a test's `git push`)."""
        return self.url.replace("http://", f"http://{ADMIN}:{PASSWORD}@") + f"/{ADMIN}/{REPOSITORY}.git"

    def token(self, *scopes: str) -> str:
        made = httpx.post(
            f"{self.api}/users/{ADMIN}/tokens",
            auth=(ADMIN, PASSWORD),
            json={"name": f"t-{time.monotonic_ns()}", "scopes": list(scopes)},
            timeout=10,
        )
        made.raise_for_status()
        return str(made.json()["sha1"])

    def pull(self, number: int) -> dict[str, object]:
        found = httpx.get(f"{self.api}/repos/{ADMIN}/{REPOSITORY}/pulls/{number}", auth=(ADMIN, PASSWORD), timeout=10)
        found.raise_for_status()
        return dict(found.json())


@contextmanager
def running_gitea(work: Path) -> Iterator[Gitea]:
    binary, source = gitea()
    port = free_port()
    config = work / "app.ini"
    lines = [
        "RUN_MODE = prod",
        f"WORK_PATH = {work}",
        *(["I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true"] if os.geteuid() == 0 else []),
        "[database]",
        "DB_TYPE = sqlite3",
        f"PATH = {work}/gitea.db",
        "[repository]",
        f"ROOT = {work}/repos",
        "DEFAULT_BRANCH = main",
        "[server]",
        "HTTP_ADDR = 127.0.0.1",
        f"HTTP_PORT = {port}",
        f"ROOT_URL = http://127.0.0.1:{port}/",
        "DISABLE_SSH = true",
        "OFFLINE_MODE = true",
        "LFS_START_SERVER = false",
        f"STATIC_ROOT_PATH = {source}",
        "[security]",
        "INSTALL_LOCK = true",
        "SECRET_KEY = " + "k" * 56,
        "[service]",
        "DISABLE_REGISTRATION = true",
        "[log]",
        "MODE = console",
        "LEVEL = warn",
        "[cron]",
        "ENABLED = false",
        "[mailer]",
        "ENABLED = false",
    ]
    config.write_text("\n".join(lines) + "\n")
    command = [str(binary), "--work-path", str(work), "--config", str(config)]
    env = {**os.environ, "HOME": str(work), "GITEA_WORK_DIR": str(work)}
    subprocess.run([*command, "migrate"], env=env, check=True, capture_output=True)
    admin = ["admin", "user", "create", "--admin", "--username", ADMIN, "--password", PASSWORD]
    admin += ["--email", f"{ADMIN}@example.test", "--must-change-password=false"]
    subprocess.run([*command, *admin], env=env, check=True, capture_output=True)
    log = (work / "web.log").open("wb")
    process = subprocess.Popen([*command, "web"], env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Gitea(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{server.api}/version", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gitea did not start: {(work / 'web.log').read_text()[-2000:]}")
            time.sleep(0.2)
        made = httpx.post(
            f"{server.api}/user/repos", auth=(ADMIN, PASSWORD), json={"name": REPOSITORY, "default_branch": "main"}
        )
        made.raise_for_status()
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
