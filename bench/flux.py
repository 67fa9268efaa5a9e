"""Flux, the peer of bench/sync.py: source-controller and kustomize-controller on the same cluster.

Both are built from their Go modules (the versions below) into the cache outside the repo and run
as processes with the cluster's kubeconfig, as `make run` does in their own repositories. Two
edits to their go.mod are needed here, and only these: the `replace .../api => ./api` line goes
(a module's zip does not hold its sub-module `api`; the published `api` module of the same
version is used instead), and source-controller's `github.com/fluxcd/pkg/artifact v0.18.3`, which
the module proxy this machine reaches does not serve, is replaced by v0.18.0.

Flux syncs the objects Dockyard renders for the same platform (`dockyard render -o`, committed to
`rendered/` of a git repository served over smart HTTP on loopback by `git http-backend`). A
commit is announced as Flux's webhook receiver announces one: the GitRepository is annotated with
`reconcile.fluxcd.io/requestedAt`. The Kustomization waits for its objects to be ready
(`wait: true`, as Dockyard's apply waits for health; Flux then checks every object of the
Kustomization on every reconcile, Dockyard the changed ones), or not (`--flux-no-wait`).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.gitserver: smart HTTP on loopback

from sync import audit_requests, commit, level_of, percentile, set_level, wait_for
from tests.gitserver import serve_git

from dockyard.localcluster import control_plane, readiness
from dockyard.locations import cache

VERSION = "v1.9.6"
CONTROLLERS = ("source-controller", "kustomize-controller")
ARTIFACT_SERVED = "v0.18.0"


def tools() -> Path:
    return cache() / "bench-tools"


def build() -> dict[str, Path]:
    """Each controller's binary, built once from its module (see the module docstring for the edits)."""
    binaries = {name: tools() / "bin" / name for name in CONTROLLERS}
    for name, binary in binaries.items():
        if binary.is_file():
            continue
        module = f"github.com/fluxcd/{name}@{VERSION}"
        info = subprocess.run(["go", "mod", "download", "-json", module], capture_output=True, text=True, check=True)
        source = Path(json.loads(info.stdout)["Dir"])
        work = tools() / "src" / name
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(source, work)
        for path in work.rglob("*"):
            path.chmod(path.stat().st_mode | 0o200)
        edits = [f"-dropreplace=github.com/fluxcd/{name}/api"]
        if name == "source-controller":
            edits.append(f"-replace=github.com/fluxcd/pkg/artifact=github.com/fluxcd/pkg/artifact@{ARTIFACT_SERVED}")
        subprocess.run(["go", "mod", "edit", *edits], cwd=work, check=True)
        binary.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["go", "build", "-mod=mod", "-o", str(binary), "."], cwd=work, check=True)
    return binaries


def crd_files() -> list[Path]:
    return sorted(
        path for name in CONTROLLERS for path in (tools() / "src" / name / "config" / "crd" / "bases").glob("*.yaml")
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _kubectl(cluster: control_plane.Running, *args: str, stdin: str | None = None) -> str:
    from dockyard.tools import build as tool_build

    command = [str(tool_build.binary_path("kubectl")), "--kubeconfig", str(cluster.kubeconfig), *args]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, check=True).stdout


def bench_flux(
    work: Path, cluster: control_plane.Running, services: int, commits: int, wait: bool = True
) -> dict[str, Any]:
    from apply import generate

    binaries = build()
    platform_repo, git_root = work / "flux-platform", work / "git"
    served = git_root / "platform.git"
    generate(platform_repo, "fx", services, "1")
    served.mkdir(parents=True)

    def render_and_commit(message: str) -> str:
        target = served / "rendered"
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run(
            [sys.executable, "-m", "dockyard.cli", "render", str(platform_repo), "-c", "local", "-o", str(target)],
            check=True,
            capture_output=True,
        )
        (target / ".dockyard-render").unlink(missing_ok=True)  # Dockyard's own record, not an object
        return commit(served, message)

    render_and_commit("first")
    http, _refused = serve_git(git_root)
    url = f"http://127.0.0.1:{http.server_address[1]}/platform.git"
    for path in crd_files():
        _kubectl(cluster, "apply", "--server-side", "-f", str(path))
    _kubectl(cluster, "create", "namespace", "flux-system")
    storage, storage_port = work / "flux-storage", _free_port()
    storage.mkdir()
    env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig), "RUNTIME_NAMESPACE": "flux-system"}
    common = ["--enable-leader-election=false", "--log-level=error"]
    processes = {
        "source-controller": subprocess.Popen(
            [
                str(binaries["source-controller"]),
                *common,
                f"--storage-path={storage}",
                f"--storage-addr=127.0.0.1:{storage_port}",
                f"--storage-adv-addr=127.0.0.1:{storage_port}",
                f"--metrics-addr=127.0.0.1:{_free_port()}",
                f"--health-addr=127.0.0.1:{_free_port()}",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(work / "source-controller.log").open("w"),
        ),
        "kustomize-controller": subprocess.Popen(
            [
                str(binaries["kustomize-controller"]),
                *common,
                f"--metrics-addr=127.0.0.1:{_free_port()}",
                f"--health-addr=127.0.0.1:{_free_port()}",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(work / "kustomize-controller.log").open("w"),
        ),
    }
    api = readiness.client(cluster.kubeconfig)
    log = Path(cluster.kubeconfig).parent / "logs" / "audit.log"
    report: dict[str, Any] = {"version": VERSION, "wait": wait}
    try:
        manifest = f"""apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {{name: platform, namespace: flux-system}}
spec: {{url: "{url}", ref: {{branch: main}}, interval: 10m}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {{name: platform, namespace: flux-system}}
spec:
  sourceRef: {{kind: GitRepository, name: platform}}
  path: ./rendered
  prune: true
  wait: {"true" if wait else "false"}
  timeout: 10m
  interval: 10m
"""
        start = time.perf_counter()
        _kubectl(cluster, "apply", "--server-side", "-f", "-", stdin=manifest)
        wait_for(lambda: _ready(cluster) is not None, 900, 0.2)
        report["first_apply_s"] = round(time.perf_counter() - start, 2)

        latencies = []
        for index in range(commits):
            service, level = f"svc-{index % services:04d}", f"w{index}"
            set_level(platform_repo, service, level)
            render_and_commit(f"flux {index}")
            pushed = time.perf_counter()
            _request_reconcile(cluster, "gitrepository", str(time.time()))
            namespace = f"fx-team-{int(service[4:]) % 5}"
            wait_for(lambda s=service, n=namespace, v=level: level_of(api, n, s) == v, 900, 0.02)
            latencies.append(time.perf_counter() - pushed)
        report["webhook_commit_to_applied_p50_s"] = round(statistics.median(latencies), 2)
        report["webhook_commit_to_applied_p99_s"] = round(percentile(latencies, 0.99), 2)

        # an idle reconcile: same revision, nothing changed
        time.sleep(3)
        cpu = {name: _cpu_seconds(p.pid) for name, p in processes.items()}
        mark = log.stat().st_size
        token = str(time.time())
        wall = time.perf_counter()
        _request_reconcile(cluster, "kustomization", token)
        wait_for(lambda: _handled(cluster) == token, 900, 0.05)
        report["noop_reconcile_wall_s"] = round(time.perf_counter() - wall, 2)
        time.sleep(1)
        report["noop_reconcile_cpu_ms"] = round(
            sum(_cpu_seconds(p.pid) - cpu[name] for name, p in processes.items()) * 1000, 1
        )
        requests, writes, per_object = audit_requests(log, mark, "kustomize-controller")
        report["noop_reconcile_requests"], report["noop_reconcile_writes"] = requests, writes
        report["noop_reconcile_per_object_requests"] = per_object
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            process.wait(30)
        http.shutdown()
    return report


def _request_reconcile(cluster: control_plane.Running, kind: str, token: str) -> None:
    _kubectl(
        cluster,
        "-n",
        "flux-system",
        "annotate",
        "--overwrite",
        f"{kind}/platform",
        f"reconcile.fluxcd.io/requestedAt={token}",
    )


def _ready(cluster: control_plane.Running) -> str | None:
    jsonpath = '{.status.conditions[?(@.type=="Ready")].status}'
    out = _kubectl(cluster, "-n", "flux-system", "get", "kustomization/platform", "-o", f"jsonpath={jsonpath}")
    return "True" if out.strip() == "True" else None


def _handled(cluster: control_plane.Running) -> str:
    out = _kubectl(
        cluster, "-n", "flux-system", "get", "kustomization/platform", "-o", "jsonpath={.status.lastHandledReconcileAt}"
    )
    return out.strip()
