"""Benchmark `dockyard validate` on a generated platform repo: 1,000 services, 3 environments.

Cold: an empty parse cache (every file parsed and schema-checked).
Warm: the same repo again: the verdict of the same repo, command line and Dockyard is replayed
(verdicts.py; the repo's files are read and hashed, nothing is loaded).
Warm, judged: the same repo judged again by the pipeline (`python -m dockyard.cli`, which never
replays), every file's result from the content-hash cache.
One changed: one service's settings changed (a different replica count), judged in full with the
others' results from the cache; the change is undone after each run.
Peer: check-jsonschema validating the same score.yaml files against the same schema
(schema only: no layers, no cross-file checks), in the same run.

    uv run --group bench python bench/validate.py [--services 1000] [--runs 3]
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

from workloads import contract, score, settings

PROJECT = Path(__file__).resolve().parents[1]


def generate(root: Path, services: int) -> None:
    shutil.copytree(PROJECT / "examples" / "shop", root)
    for name in ("web", "orders", "payments", "worker"):
        shutil.rmtree(root / "services" / name)
    (root / "environments" / "staging.yaml").write_text(
        "apiVersion: dockyard.dev/v1alpha1\nkind: Environment\nprofile: full\nserviceDefaults:\n  replicas: 2\n"
    )
    (root / "clusters" / "staging-eu.yaml").write_text(
        'apiVersion: dockyard.dev/v1alpha1\nkind: Cluster\nenvironment: staging\nkubernetes:\n  version: "1.36"\n'
    )
    for index in range(services):
        name = f"svc-{index:04d}"
        folder = root / "services" / name
        folder.mkdir(parents=True)
        upstream = f"svc-{index - 1:04d}" if index else None
        (folder / "score.yaml").write_text(score(name, index, upstream=upstream, api=True))
        team, caller = f"team-{index % 10}", f"team-{(index + 1) % 10}"  # the next service calls it
        (folder / "dockyard.yaml").write_text(settings(replicas=1 + index % 3, team=team, api=True, callers=caller))
        (folder / "openapi.yaml").write_text(contract(name))
        if index % 4 == 0:
            (folder / "overrides").mkdir()
            (folder / "overrides" / "prod.yaml").write_text(
                "apiVersion: dockyard.dev/v1alpha2\nkind: ServiceOverride\nreplicas: 4\n"
            )


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"{command[0]} failed: {done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dockyard-bench-"))
    try:
        repo = work / "repo"
        generate(repo, args.services)
        dockyard = [sys.executable, "-m", "dockyard", "validate", str(repo)]
        judged = [sys.executable, "-m", "dockyard.cli", "validate", str(repo)]
        cache = work / "cache"
        env = dict(os.environ, DOCKYARD_PARSE_CACHE=str(cache))
        cold, warm, warm_judged, one_changed, in_process_warm = [], [], [], [], []
        settings_file = repo / "services" / "svc-0500" / "dockyard.yaml"
        original = settings_file.read_text()
        for run in range(args.runs):
            shutil.rmtree(cache, ignore_errors=True)
            cold.append(timed(dockyard, env))
            warm.append(timed(dockyard, env))
            warm_judged.append(timed(judged, env))
            settings_file.write_text(original.replace("replicas:", f"# change {run}\nreplicas:", 1))
            one_changed.append(timed(dockyard, env))
            settings_file.write_text(original)
            in_process_warm.append(_in_process(repo, cache))
        schema = work / "score.json"
        subprocess.run(
            [sys.executable, "-m", "dockyard.cli", "schema", "--out", str(work)], check=True, capture_output=True
        )
        scores = sorted(str(p) for p in repo.glob("services/*/score.yaml"))
        peer_command = [shutil.which("check-jsonschema") or "check-jsonschema", "--schemafile", str(schema), *scores]
        peer = [timed(peer_command, dict(os.environ)) for _ in range(args.runs)]
        files = sum(1 for _ in repo.rglob("*.yaml"))
        result = {
            "services": args.services,
            "files": files,
            "cold_s": round(statistics.median(cold), 3),
            "warm_s": round(statistics.median(warm), 3),
            "warm_judged_s": round(statistics.median(warm_judged), 3),
            "one_changed_s": round(statistics.median(one_changed), 3),
            "warm_in_process_s": round(statistics.median(in_process_warm), 3),
            "check_jsonschema_s": round(statistics.median(peer), 3),
            "ratio_peer_over_cold": round(statistics.median(peer) / statistics.median(cold), 2),
            "ratio_peer_over_warm": round(statistics.median(peer) / statistics.median(warm), 2),
        }
        print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _in_process(repo: Path, cache: Path) -> float:
    """Warm validate without interpreter start-up and imports: the loader's own time."""
    code = (
        "import time, sys; from pathlib import Path\n"
        "from dockyard.load.repo import load; from dockyard.load.layers import effective\n"
        "from dockyard.model.platform import build_platform\n"
        "t = time.perf_counter(); r = load(Path(sys.argv[1]))\n"
        "[build_platform(r, effective(r, c)) for c in sorted(r.clusters)]\n"
        "print(time.perf_counter() - t)\n"
    )
    env = dict(os.environ, DOCKYARD_PARSE_CACHE=str(cache))
    done = subprocess.run([sys.executable, "-c", code, str(repo)], env=env, capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


if __name__ == "__main__":
    main()
