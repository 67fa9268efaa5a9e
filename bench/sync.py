"""Benchmark the sync controller on the local control plane, beside Flux on the same objects.

A platform of N services (500: about 2,000 objects, as bench/apply.py generates them) is a git
repository on disk. Measured:

- commit -> applied of a one-service change through a signed GitHub push webhook (p50, p99), and
  through polling (interval 5 s);
- a no-op cycle (same revision, no drift): wall time, CPU of the process and of git, requests;
- drift put back: a Deployment scaled by someone else, until the watch-woken loop restores it.

Flux (source-controller and kustomize-controller, built from their Go modules at the versions
below, run as processes outside the cluster) syncs the same rendered objects, committed to a git
repository served over smart HTTP on loopback: commit -> applied (the reconcile request a Flux
webhook receiver makes) and the CPU and requests of its idle reconciles.

    uv run python bench/sync.py [--services 500] [--commits 20] [--no-flux] [--flux-no-wait]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from apply import generate  # a sibling benchmark (this directory is on sys.path when run as a script)

from dockyard.localcluster import control_plane, readiness
from dockyard.sync.controller import Controller, Settings
from dockyard.sync.metrics import Metrics
from dockyard.sync.server import Endpoints
from dockyard.sync.source import GitSource
from dockyard.sync.webhooks import Receiver

SECRET = b"bench-webhook-secret"
IDENTITY = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@dockyard.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@dockyard.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **IDENTITY}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def commit(repo: Path, message: str) -> str:
    if not (repo / ".git").exists():
        git(repo, "init", "--quiet", "--initial-branch", "main")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def set_level(repo: Path, service: str, level: str) -> None:
    score = repo / "services" / service / "score.yaml"
    text = score.read_text()
    start = text.index('LEVEL: "') + len('LEVEL: "')
    score.write_text(text[:start] + level + text[text.index('"', start) :])


def wait_for(condition: Callable[[], bool], seconds: float = 120.0, step: float = 0.02) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        if condition():
            return time.perf_counter() - start
        time.sleep(step)
    raise TimeoutError("condition not met")


def level_of(api: object, namespace: str, name: str) -> str:
    from lightkube.resources.apps_v1 import Deployment

    deployment = api.get(Deployment, name, namespace=namespace)  # type: ignore[attr-defined]
    return next(e.value for e in deployment.spec.template.spec.containers[0].env if e.name == "LEVEL")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def audit_requests(log: Path, since: int, agent_prefix: str | None = None) -> tuple[int, int, int]:
    """(requests, writes, per-object requests) by the admin user since `since` (optionally by user agent)."""
    requests = writes = per_object = 0
    with log.open() as stream:
        stream.seek(since)
        for line in stream:
            event = json.loads(line)
            if event.get("stage") != "ResponseComplete" or event["user"]["username"] != "dockyard-admin":
                continue
            if agent_prefix and not event.get("userAgent", "").startswith(agent_prefix):
                continue
            requests += 1
            writes += event["verb"] in ("create", "update", "patch", "delete") and "dryRun" not in event["requestURI"]
            per_object += bool(event.get("objectRef", {}).get("name")) and event["verb"] != "watch"
    return requests, writes, per_object


def bench_dockyard(work: Path, cluster: control_plane.Running, services: int, commits: int) -> dict[str, object]:
    repo = work / "dockyard-repo"
    generate(repo, "dk", services, "1")
    commit(repo, "first")
    api = readiness.client(cluster.kubeconfig)
    log = Path(cluster.kubeconfig).parent / "logs" / "audit.log"
    lines: list[str] = []
    settings = Settings(
        "local", kubeconfig=Path(cluster.kubeconfig), context=cluster.context, interval=3600, drift_interval=3600
    )
    controller = Controller(GitSource(str(repo), "main", work / "sync-cache"), settings, lines.append)
    report: dict[str, object] = {}
    start = time.perf_counter()
    first = controller.cycle()
    assert first is not None, lines[-5:]
    report["first_apply_s"] = round(time.perf_counter() - start, 2)
    report["objects"] = first.created

    # a no-op cycle: nothing new, no drift
    mark = log.stat().st_size
    cpu, children = time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    assert controller.cycle() is None
    report["noop_cycle_wall_ms"] = round((time.perf_counter() - wall) * 1000, 1)
    report["noop_cycle_cpu_ms"] = round((time.process_time() - cpu) * 1000, 1)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    report["noop_cycle_git_cpu_ms"] = round(
        ((after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)) * 1000, 1
    )
    time.sleep(1)  # the audit log is written asynchronously
    report["noop_cycle_requests"], report["noop_cycle_writes"], _ = audit_requests(log, mark)

    # a forced reconcile of the same revision (what a drift interval or a restart does; Flux's
    # reconcile request on an unchanged revision is the peer): plan by list, nothing to write
    mark = log.stat().st_size
    cpu, wall = time.process_time(), time.perf_counter()
    controller.drift_due = 0
    forced = controller.cycle()
    assert forced is not None and forced.created + forced.configured == 0, forced
    report["forced_reconcile_wall_s"] = round(time.perf_counter() - wall, 2)
    report["forced_reconcile_cpu_ms"] = round((time.process_time() - cpu) * 1000, 1)
    time.sleep(1)
    requests, writes, per_object = audit_requests(log, mark)
    report["forced_reconcile_requests"], report["forced_reconcile_writes"] = requests, writes
    report["forced_reconcile_per_object_requests"] = per_object

    # the loop, with webhooks
    stop, wake = threading.Event(), threading.Event()
    endpoints = Endpoints(
        Receiver(SECRET, "main"), Metrics(), wake, lambda: controller.ready, lambda: True, lines.append
    )
    server = endpoints.serve("127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks/github"
    loop = threading.Thread(target=controller.run, args=(stop, wake), daemon=True)
    loop.start()
    wait_for(lambda: controller.drift_watch is not None)
    latencies = []
    try:
        for index in range(commits):
            service = f"svc-{index % services:04d}"
            level = f"w{index}"
            set_level(repo, service, level)
            sha = commit(repo, f"webhook {index}")
            body = json.dumps({"ref": "refs/heads/main", "after": sha}).encode()
            signature = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
            headers = {"X-GitHub-Event": "push", "X-GitHub-Delivery": sha, "X-Hub-Signature-256": signature}
            pushed = time.perf_counter()
            httpx.post(url, content=body, headers=headers, trust_env=False).raise_for_status()
            namespace = f"dk-team-{int(service[4:]) % 5}"
            wait_for(lambda s=service, n=namespace, v=level: level_of(api, n, s) == v)
            latencies.append(time.perf_counter() - pushed)
            wait_for(lambda s=sha: controller.state.applied == s and not controller.state.reconciling)
        report["webhook_commit_to_applied_p50_s"] = round(statistics.median(latencies), 2)
        report["webhook_commit_to_applied_p99_s"] = round(percentile(latencies, 0.99), 2)

        # drift put back through the watch
        from lightkube.resources.apps_v1 import Deployment
        from lightkube.types import PatchType

        repairs = []
        for index in range(min(10, commits)):
            service, namespace = f"svc-{index:04d}", f"dk-team-{index % 5}"
            changed = time.perf_counter()
            api.patch(
                Deployment,
                service,
                {"spec": {"replicas": 3}},
                namespace=namespace,
                patch_type=PatchType.MERGE,
                field_manager="bench-someone-else",
            )
            wait_for(lambda s=service, n=namespace: api.get(Deployment, s, namespace=n).spec.replicas == 1)
            repairs.append(time.perf_counter() - changed)
            wait_for(lambda: not controller.state.reconciling)
            time.sleep(0.5)
        report["drift_repaired_p50_s"] = round(statistics.median(repairs), 2)
    finally:
        stop.set()
        wake.set()
        loop.join(60)
        server.shutdown()

    # polling (no webhook): interval 5 s
    polled = Controller(
        GitSource(str(repo), "main", work / "sync-cache"),
        Settings(
            "local", kubeconfig=Path(cluster.kubeconfig), context=cluster.context, interval=5, drift_interval=3600
        ),
        lines.append,
    )
    polled.cycle()
    stop, wake = threading.Event(), threading.Event()
    loop = threading.Thread(target=polled.run, args=(stop, wake), daemon=True)
    loop.start()
    polling = []
    try:
        time.sleep(2)
        for index in range(5):
            service, level = f"svc-{index:04d}", f"p{index}"
            set_level(repo, service, level)
            commit(repo, f"poll {index}")
            committed = time.perf_counter()
            wait_for(lambda s=service, n=f"dk-team-{index % 5}", v=level: level_of(api, n, s) == v, 60)
            polling.append(time.perf_counter() - committed)
    finally:
        stop.set()
        wake.set()
        loop.join(60)
    report["poll_interval_s"] = 5
    report["poll_commit_to_applied_max_s"] = round(max(polling), 2)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=500)
    parser.add_argument("--commits", type=int, default=20)
    parser.add_argument("--no-flux", action="store_true")
    parser.add_argument("--flux-no-wait", action="store_true", help="Flux's Kustomization without wait: true.")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dockyard-sync-bench-"))
    os.environ["DOCKYARD_HOME"] = str(work / "home")
    try:
        cluster = control_plane.up("syncbench", 2 + 2 * args.services // 100, user_kubeconfig=False)
        report: dict[str, object] = {"services": args.services, "commits": args.commits}
        report["dockyard"] = bench_dockyard(work, cluster, args.services, args.commits)
        if not args.no_flux:
            from flux import bench_flux

            report["flux"] = bench_flux(work, cluster, args.services, args.commits, wait=not args.flux_no_wait)
        print(json.dumps(report, indent=2))
    finally:
        control_plane.down("syncbench", purge=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
