"""Benchmark `dockyard watch` on the local control plane: a save to the cluster.

A platform of N services (500: about 2,000 objects, as bench/apply.py generates them) is applied
once by the watch; then one service's variable is changed and saved, `--saves` times, and the time
from the save (the file's write) to the API server returning the Deployment with the new value is
measured: the inotify event, the debounce (100 ms), load, render, checks, plan by list and the
apply. No peer tool is run beside it: the tools people compare a save loop with (Tilt, Skaffold)
build images first and need a container runtime this machine does not have.

    uv run python bench/watch.py [--services 500] [--saves 10]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from apply import generate  # a sibling benchmark (this directory is on sys.path when run as a script)
from sync import level_of, percentile, set_level, wait_for  # the same

from dockyard.localcluster import control_plane, readiness
from dockyard.sync.watch import Watch, file_changes

DEBOUNCE_MS = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=500)
    parser.add_argument("--saves", type=int, default=10)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dockyard-watch-bench-"))
    os.environ["DOCKYARD_HOME"] = str(work / "home")
    try:
        cluster = control_plane.up("watchbench", 2 + 2 * args.services // 100, user_kubeconfig=False)
        repo = work / "repo"
        generate(repo, "wb", args.services, "1")
        api = readiness.client(cluster.kubeconfig)
        lines: list[str] = []
        session = Watch(repo, "local", lines.append, Path(cluster.kubeconfig), cluster.context)
        stop = threading.Event()
        started = time.perf_counter()
        loop = threading.Thread(target=session.run, args=(file_changes(repo, DEBOUNCE_MS), stop), daemon=True)
        loop.start()
        wait_for(lambda: any(line.startswith("applied: ") for line in lines), 900)
        first = time.perf_counter() - started
        time.sleep(1)  # the watcher is ready
        latencies = []
        for index in range(args.saves):
            service = f"svc-{index % args.services:04d}"
            level = f"s{index}"
            namespace = f"wb-team-{index % 5}"
            saved = time.perf_counter()
            set_level(repo, service, level)
            wait_for(lambda s=service, n=namespace, v=level: level_of(api, n, s) == v)
            latencies.append(time.perf_counter() - saved)
            wait_for(lambda: lines[-1].startswith(("applied: ", "unchanged")))
            time.sleep(0.3)
        stop.set()
        loop.join(30)
        report = {
            "services": args.services,
            "saves": args.saves,
            "first_apply_s": round(first, 1),
            "save_to_applied_p50_s": round(statistics.median(latencies), 2),
            "save_to_applied_p99_s": round(percentile(latencies, 0.99), 2),
            "debounce_ms": DEBOUNCE_MS,
        }
        print(json.dumps(report, indent=2))
    finally:
        control_plane.down("watchbench", purge=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
