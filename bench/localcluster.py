"""Benchmark the local control plane: cold build, `up` from scratch, `up` again, memory.

    uv run python bench/localcluster.py               # up timings and memory (binaries cached)
    uv run python bench/localcluster.py --cold-build  # also time building every binary from an
                                                      # empty Go build cache and module cache

Every run uses a throw-away DOCKYARD_HOME and kubeconfig; nothing of the user's is touched.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from dockyard.localcluster import control_plane
from dockyard.tools import build


def rss_mib(pids: list[int]) -> float:
    total_kib = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total_kib += int(line.split()[1])
    return round(total_kib / 1024, 1)


def cold_build(work: Path) -> float:
    env_keys = ("XDG_CACHE_HOME", "GOCACHE", "GOMODCACHE")
    saved = {k: os.environ.get(k) for k in env_keys}
    os.environ.update(XDG_CACHE_HOME=str(work / "cache"), GOCACHE=str(work / "gocache"), GOMODCACHE=str(work / "gomod"))
    try:
        start = time.perf_counter()
        build.build_all(lambda line: print(f"  {line}", flush=True))
        return round(time.perf_counter() - start, 1)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(work / "gomod", ignore_errors=True)  # read-only files: best effort


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold-build", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dockyard-bench-"))
    result: dict[str, object] = {}
    try:
        if args.cold_build:
            result["cold_build_s"] = cold_build(work)
        build.build_all(lambda _line: None, ("etcd", "kubernetes", "kwok"))
        os.environ["KUBECONFIG"] = str(work / "kubeconfig")
        first, fresh_data, again, memory = [], [], [], []
        for run in range(args.runs):
            os.environ["DOCKYARD_HOME"] = str(work / f"home-{run}")
            started = control_plane.up("bench", 1, user_kubeconfig=False)
            first.append(started.seconds)
            memory.append(rss_mib([p.pid for p in started.processes]))
            again.append(control_plane.up("bench", 1, user_kubeconfig=False).seconds)
            control_plane.down("bench")
            fresh_data.append(control_plane.up("bench", 1, user_kubeconfig=False).seconds)
            control_plane.down("bench", purge=True)
        result.update(
            up_new_cluster_s=round(statistics.median(first), 2),
            up_existing_data_s=round(statistics.median(fresh_data), 2),
            up_when_running_s=round(statistics.median(again), 3),
            control_plane_rss_mib=statistics.median(memory),
        )
        print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
