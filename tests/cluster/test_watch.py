"""`dockyard watch` against the real API server: a save is applied in about a second, a mistake
is reported at its line and the watch goes on."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from lightkube import Client
from lightkube.resources.apps_v1 import Deployment

from dockyard.localcluster import control_plane
from dockyard.sync.watch import Watch, file_changes
from tests.cluster.commands import plain_platform
from tests.helpers import replace


def _env(api: Client, namespace: str) -> dict[str, str]:
    deployment = api.get(Deployment, "api", namespace=namespace)
    return {e.name: e.value for e in deployment.spec.template.spec.containers[0].env or []}


def _until(condition: object, seconds: float, lines: list[str]) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():  # type: ignore[operator]  # a callable
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError("timed out:\n" + "\n".join(lines[-20:]))


def test_a_save_is_applied_and_a_mistake_reported_without_stopping_the_watch(
    tmp_path: Path, local_cluster: control_plane.Running, api: Client
) -> None:
    root = tmp_path / "repo"
    name = plain_platform(root, "w")
    lines: list[str] = []
    session = Watch(root, "local", lines.append, Path(local_cluster.kubeconfig), local_cluster.context)
    stop = threading.Event()
    loop = threading.Thread(target=session.run, args=(file_changes(root, 100), stop), daemon=True)
    loop.start()
    try:
        _until(lambda: any(line.startswith("applied: ") for line in lines), 60, lines)
        time.sleep(0.5)  # the watcher is ready
        replace(root, "services/api/score.yaml", "MODE: normal", "MODE: saved")
        took = _until(lambda: _env(api, name).get("MODE") == "saved", 20, lines)
        print(f"a save applied {took:.2f} s after it was written")
        assert "changed: services/api/score.yaml" in lines

        replace(root, "services/api/score.yaml", "MODE: saved", "MODE: [broken")
        _until(lambda: any(line.startswith("error: services/api/score.yaml:") for line in lines), 20, lines)
        assert lines[-1] == "waiting for the next change"
        replace(root, "services/api/score.yaml", "MODE: [broken", "MODE: fixed")
        _until(lambda: _env(api, name).get("MODE") == "fixed", 20, lines)
    finally:
        stop.set()
        loop.join(10)
    assert not loop.is_alive()
