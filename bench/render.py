"""Benchmark `dockyard render` on 1,000 services, side by side with score-k8s on the same Score files.

Both tools get the same 1,000 Score workloads (a container with variables, probes and resources,
a service port, and a postgres resource: the features both support). Dockyard renders them for one
cluster into a tree of files; score-k8s generates its manifests file. Each is timed as a whole
command, with its peak memory, in the same run.

    uv run python bench/render.py --score-k8s PATH [--services 1000] [--runs 3] [--platform]

score-k8s is not a dependency of Dockyard: build it yourself from its source and pass its path
(without it, only Dockyard is measured). Services are rendered with `--only services`.

--platform also measures the platform with every component enabled (profile `complete`, all 18
components): the example's real pinned charts (Gateway API, Traefik, Prometheus Operator CRDs,
CloudNativePG) plus, for components whose chart repository this machine cannot reach, stand-in
charts of the same names (tests/standin_charts.py) on a loopback Helm repository. Cold: empty
chart and template caches; warm: nothing changed (every chart comes from the template cache).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workloads import score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.charts: the loopback chart repository

PROJECT = Path(__file__).resolve().parents[1]


def generate(root: Path, services: int) -> list[Path]:
    shutil.copytree(PROJECT / "examples" / "shop", root)
    shutil.rmtree(root / "services")
    shutil.rmtree(root / "provisioners")
    paths = []
    for index in range(services):
        name = f"svc-{index:04d}"
        folder = root / "services" / name
        folder.mkdir(parents=True)
        (folder / "score.yaml").write_text(score(name, index))
        paths.append(folder / "score.yaml")
    return paths


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of one run of `command`."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        if status != 0:
            errors.seek(0)
            sys.exit(f"{command[0]} failed: {errors.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--score-k8s", help="path of a score-k8s binary to compare with")
    parser.add_argument("--platform", action="store_true", help="also render a platform with every component")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dockyard-bench-"))
    try:
        repo = work / "repo"
        scores = generate(repo, args.services)
        env = dict(os.environ, DOCKYARD_PARSE_CACHE=str(work / "cache"))
        render = [
            sys.executable,
            "-m",
            "dockyard.cli",
            "render",
            str(repo),
            "--cluster",
            "local",
            "--only",
            "services",
            "-o",
            str(work / "out"),
        ]
        results: dict[str, list[tuple[float, float]]] = {"cold": [], "warm": [], "one_changed": []}
        for run in range(args.runs):
            shutil.rmtree(work / "cache", ignore_errors=True)
            shutil.rmtree(work / "out", ignore_errors=True)
            results["cold"].append(measure(render, work, env))
            results["warm"].append(measure(render, work, env))
            changed = scores[run % len(scores)]
            changed.write_text(changed.read_text().replace("LOG_LEVEL: info", f"LOG_LEVEL: debug{run}"))
            results["one_changed"].append(measure(render, work, env))
        report: dict[str, object] = {"services": args.services}
        for name, samples in results.items():
            report[f"dockyard_{name}_s"] = round(statistics.median(s for s, _ in samples), 3)
        report["dockyard_peak_mib"] = round(max(m for _, m in results["cold"]), 1)
        if args.score_k8s:
            peer_dir = work / "peer"
            peer_dir.mkdir()
            peer = []
            for _ in range(args.runs):
                shutil.rmtree(peer_dir / ".score-k8s", ignore_errors=True)
                measure([args.score_k8s, "init", "--no-sample"], peer_dir, dict(os.environ))
                generate_command = [args.score_k8s, "generate", *map(str, scores), "--output", "manifests.yaml"]
                peer.append(measure(generate_command, peer_dir, dict(os.environ)))
            report["score_k8s_s"] = round(statistics.median(s for s, _ in peer), 3)
            report["score_k8s_peak_mib"] = round(max(m for _, m in peer), 1)
            report["ratio_score_k8s_over_dockyard_cold"] = round(report["score_k8s_s"] / report["dockyard_cold_s"], 2)
            report["ratio_score_k8s_over_dockyard_warm"] = round(report["score_k8s_s"] / report["dockyard_warm_s"], 2)
        if args.platform:
            report["platform"] = platform_benchmark(work / "platform", args.runs)
        print(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def platform_benchmark(root: Path, runs: int) -> dict[str, object]:
    from tests.standin_charts import complete_repo

    from dockyard.render.components.catalog import CATALOG

    repo, standins = complete_repo(root)
    render = [sys.executable, "-m", "dockyard.cli", "render", str(repo), "-c", "local", "--only", "platform"]
    results: dict[str, list[tuple[float, float]]] = {"cold": [], "warm": []}
    for _ in range(runs):
        env = dict(os.environ, DOCKYARD_PARSE_CACHE=str(root / "parse"), DOCKYARD_CHART_CACHE=str(root / "charts"))
        shutil.rmtree(root / "parse", ignore_errors=True)
        shutil.rmtree(root / "charts", ignore_errors=True)
        shutil.rmtree(root / "out", ignore_errors=True)
        results["cold"].append(measure([*render, "-o", str(root / "out")], root, env))
        results["warm"].append(measure([*render, "-o", str(root / "out")], root, env))
    objects = sum(1 for p in (root / "out").rglob("*.yaml"))
    return {
        "components": len(CATALOG),
        "standin_charts": standins,
        "objects": objects,
        "cold_s": round(statistics.median(s for s, _ in results["cold"]), 3),
        "warm_s": round(statistics.median(s for s, _ in results["warm"]), 3),
        "peak_mib": round(max(m for _, m in results["cold"]), 1),
    }


if __name__ == "__main__":
    main()
