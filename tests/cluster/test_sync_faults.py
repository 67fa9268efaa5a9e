"""Faults in the middle of an apply: the API server stopped and started again, the acting controller
killed (the other candidate takes the Lease over). Nothing is pruned by mistake, and the cluster
converges on the newest commit."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from lightkube import Client
from lightkube.resources.apps_v1 import Deployment

from dockyard.localcluster import control_plane, processes, readiness
from dockyard.localcluster.layout import Layout, State
from dockyard.localcluster.pki import Pki
from dockyard.sync.controller import Controller, Settings
from dockyard.sync.source import GitSource
from tests.cluster.commands import platform_name
from tests.cluster.conftest import CLUSTER
from tests.helpers import commit_all, write

BULK = 40
"""Services a commit adds at once (about 200 objects), so that an apply takes long enough to be cut."""


def _add_services(root: Path) -> str:
    for index in range(BULK):
        write(
            root,
            f"services/bulk-{index:02d}/score.yaml",
            f"apiVersion: score.dev/v1b1\nmetadata:\n  name: bulk-{index:02d}\ncontainers:\n  main:\n"
            "    image: registry.example.org/api:1.0.0\n"
            "    readinessProbe:\n      httpGet: {path: /ready, port: 8080}\n"
            "service:\n  ports:\n    http: {port: 80, targetPort: 8080}\n",
        )
    shutil.rmtree(root / "services/client")  # and one goes: a prune is due, only once the rest is applied
    return commit_all(root, f"{BULK} services at once, one gone")


def _until(condition: Callable[[], bool], seconds: float, lines: list[str]) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() >= deadline:  # say where every thread is: a loop that hangs or died shows here
            stacks = "\n".join("".join(traceback.format_stack(f)) for f in sys._current_frames().values())
            raise AssertionError("\n".join(lines[-40:]) + "\n" + stacks)
        time.sleep(0.05)


def _uids(api: Client, namespace: str) -> dict[str, str]:
    return {d.metadata.name: d.metadata.uid for d in api.list(Deployment, namespace=namespace)}


def _restart_api_server(down: float, while_down: Callable[[], None]) -> None:
    """Stop the local control plane's API server, keep it down for `down` seconds (then run
    `while_down`), start it again with the same command line (etcd keeps the cluster's state)."""
    layout = Layout(CLUSTER)
    state = State.load(layout)
    assert state is not None
    index, process = next((i, p) for i, p in enumerate(state.processes) if p.name == "kube-apiserver")
    command = Path(f"/proc/{process.pid}/cmdline").read_bytes().rstrip(b"\0").decode().split("\0")
    processes.stop(process)
    time.sleep(down)
    while_down()
    state.processes[index] = processes.start(process.name, command, Path(process.log), die_with_parent=True)
    state.save(layout)
    ready = readiness.http_ok(f"{state.server}/readyz", pki=Pki(layout.pki))
    readiness.wait_for("the restarted API server", ready, 60)


def test_the_api_server_stopped_mid_apply_prunes_nothing_and_the_revision_applies_once_it_is_back(
    origin: Path, local_cluster: control_plane.Running, api: Client, tmp_path: Path
) -> None:
    name = platform_name(origin)
    lines: list[str] = []
    settings = Settings("local", kubeconfig=Path(local_cluster.kubeconfig), context=local_cluster.context, timeout=60)
    settings = Settings(**{**settings.__dict__, "interval": 0.5})
    controller = Controller(GitSource(str(origin), "main", tmp_path / "sync-cache"), settings, lines.append)
    stop, wake = threading.Event(), threading.Event()
    loop = threading.Thread(target=controller.run, args=(stop, wake), daemon=True)
    loop.start()
    try:
        first = commit_all(origin, "nothing new")
        _until(lambda: controller.state.applied == first, 60, lines)
        before = _uids(api, name)
        seen = len(lines)
        sha = _add_services(origin)
        _until(lambda: any(line.startswith("applying") for line in lines[seen:]), 30, lines)

        def cut_in_the_middle() -> None:
            assert not any(f"{sha[:12]} applied" in line for line in lines), "\n".join(lines)
            assert not any(line.startswith("pruning") for line in lines), "\n".join(lines)
            assert any(line.startswith(f"{sha[:12]} failed: cannot reach the cluster") for line in lines)

        _restart_api_server(down=4, while_down=cut_in_the_middle)
        _until(lambda: controller.state.applied == sha, 90, lines)
    finally:
        stop.set()
        wake.set()
        loop.join(30)
    assert any(a.revision == sha and a.result.value == "failed" for a in controller.state.history), "\n".join(lines)
    after = _uids(api, name)
    kept = {k: v for k, v in before.items() if k != "client"}
    assert {k: after[k] for k in kept} == kept  # nothing of the earlier revision was replaced
    assert "client" not in after and len(after) == len(kept) + BULK  # pruned, once the revision applied


def _candidate(origin: Path, cluster: control_plane.Running, cache: Path, lines: list[str]) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "dockyard.cli", "sync", "run", str(origin), "-c", "local"]
    command += ["--leader-elect", "--lease-duration", "3", "--interval", "0.5", "--timeout", "60"]
    command += ["--kubeconfig", str(cluster.kubeconfig), "--context", cluster.context]
    env = {**os.environ, "DOCKYARD_SYNC_CACHE": str(cache)}
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    assert process.stderr is not None
    stream = process.stderr
    threading.Thread(target=lambda: lines.extend(line.rstrip("\n") for line in stream), daemon=True).start()
    return process


def test_the_controller_killed_mid_apply_is_replaced_by_the_other_candidate_which_converges(
    origin: Path, local_cluster: control_plane.Running, api: Client, tmp_path: Path
) -> None:
    name = platform_name(origin)
    lines: dict[str, list[str]] = {"a": [], "b": []}
    first = commit_all(origin, "nothing new")
    a = _candidate(origin, local_cluster, tmp_path / "a", lines["a"])
    b = None
    try:
        _until(lambda: any(f"{first[:12]} applied" in line for line in lines["a"]), 60, lines["a"])
        b = _candidate(origin, local_cluster, tmp_path / "b", lines["b"])
        _until(lambda: any("following" in line for line in lines["b"]), 30, lines["b"])
        before = _uids(api, name)
        seen = len(lines["a"])
        sha = _add_services(origin)
        _until(lambda: any(" applying " in line for line in lines["a"][seen:]), 30, lines["a"])
        a.send_signal(signal.SIGKILL)  # no release of the Lease, no last word
        a.wait(10)
        assert not any(f"{sha[:12]} applied" in line for line in lines["a"])  # killed in the middle
        assert not any(" pruning " in line for line in lines["a"][seen:])  # before any prune
        _until(lambda: any(f"{sha[:12]} applied" in line for line in lines["b"]), 90, lines["b"])
        assert any("leading (Lease" in line for line in lines["b"])
    finally:
        for process in (a, b):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(30)
    after = _uids(api, name)
    kept = {k: v for k, v in before.items() if k != "client"}
    assert {k: after[k] for k in kept} == kept
    assert "client" not in after and len(after) == len(kept) + BULK
