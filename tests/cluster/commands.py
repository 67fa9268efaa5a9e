"""Running Dockyard against a test cluster, and reading what it wrote from the API server's audit log."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dockyard.localcluster import control_plane
from tests.helpers import Result, run_cli


def dockyard(capsys: pytest.CaptureFixture[str], cluster: control_plane.Running, *args: str) -> Result:
    return run_cli(capsys, *args, "--kubeconfig", str(cluster.kubeconfig), "--context", cluster.context)


def requests_during(cluster: control_plane.Running, action: Callable[[], object]) -> list[dict]:
    """Every request Dockyard's client made while `action` ran, from the API server's audit log."""
    log = Path(cluster.kubeconfig).parent / "logs" / "audit.log"
    before = log.stat().st_size
    action()
    with log.open() as stream:
        stream.seek(before)
        events = [json.loads(line) for line in stream if line.strip()]
    return [
        e
        for e in events
        if e["user"]["username"] == "dockyard-admin"  # not the controllers, the scheduler or KWOK
        and e["stage"] == "ResponseComplete"
    ]


def writes_during(cluster: control_plane.Running, action: Callable[[], object]) -> list[dict]:
    """Write requests Dockyard's client made while `action` ran (dry runs are not writes)."""
    return [
        e
        for e in requests_during(cluster, action)
        if e["verb"] in ("create", "update", "patch", "delete") and "dryRun" not in e["requestURI"]
    ]


PLAIN = Path(__file__).parent / "repos" / "plain"
"""A platform of two services and no components: the sync and deploy tests' repo."""


def plain_platform(root: Path, prefix: str, extra: str = "") -> str:
    """The plain repo at `root` (`extra` appended to its platform.yaml), under a platform and team
    of its own (`<prefix>` and 8 hex digits), as a git repository with one commit: that name."""
    import shutil
    import uuid

    from tests.helpers import commit_all, replace

    name = f"{prefix}{uuid.uuid4().hex[:8]}"
    shutil.copytree(PLAIN, root)
    replace(root, "platform.yaml", "name: plain", f"name: {name}")
    replace(root, "platform.yaml", "team: plain", f"team: {name}")
    if extra:
        with (root / "platform.yaml").open("a") as platform:
            platform.write(extra)
    commit_all(root, "the plain platform")
    return name


def platform_name(origin: Path) -> str:
    """The platform's name in a repo made by `plain_platform`."""
    return next(
        line.split(": ")[1] for line in (origin / "platform.yaml").read_text().splitlines() if line.startswith("name:")
    )


@contextlib.contextmanager
def looping(origin: Path, cluster: control_plane.Running, cache: Path, lines: list[str]) -> Iterator[Any]:
    """The sync loop on `origin` in a thread (polling and drift planning hourly: only webhooks and
    the drift watch wake it), stopped when the block ends; the Controller."""
    from dockyard.sync.controller import Controller, Settings
    from dockyard.sync.source import GitSource

    settings = Settings(
        "local",
        kubeconfig=Path(cluster.kubeconfig),
        context=cluster.context,
        interval=3600,
        drift_interval=3600,
        timeout=60,
    )
    controller = Controller(GitSource(str(origin), "main", cache), settings, lines.append)
    stop, wake = threading.Event(), threading.Event()
    loop = threading.Thread(target=controller.run, args=(stop, wake), daemon=True)
    loop.start()
    try:
        yield controller
    finally:
        stop.set()
        wake.set()
        loop.join(30)


def until(condition: Callable[[], object], seconds: float, lines: list[str]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out:\n" + "\n".join(lines[-20:]))
