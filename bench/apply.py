"""Benchmark `dockyard apply` against `kubectl apply --server-side` on the local control plane.

One platform of 500 services renders about 2,000 objects (ServiceAccount, Deployment, Service and
NetworkPolicy each, plus namespace policies). Dockyard applies it: first apply, then 20 services
changed, then a no-op. kubectl applies the same objects (rendered to files, under other namespaces,
with its own field manager) in the same three steps, in the same run, on the same cluster.
Requests are counted from the API server's audit log by user agent. Before the second and third
apply, `dockyard plan` alone plans the same change (20 services changed, then nothing), with its
requests, writes and dry runs counted the same way.

    uv run python bench/apply.py [--services 500]

Dockyard's first apply also waits until every Deployment is available; kubectl does not wait.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from dockyard.load.versions import series
from dockyard.localcluster import control_plane
from dockyard.render import profiles
from dockyard.render.components.catalog import CATALOG
from dockyard.tools import build

PROJECT = Path(__file__).resolve().parents[1]

SCORE = """apiVersion: score.dev/v1b1
metadata:
  name: {name}
containers:
  main:
    image: registry.example.org/{name}:1.0.0
    variables:
      LEVEL: "{level}"
    resources:
      requests: {{cpu: 10m, memory: 16Mi}}
    readinessProbe:
      httpGet: {{path: /ready, port: 8080}}
service:
  ports:
    http: {{port: 80, targetPort: 8080}}
"""


PLATFORM_COMPONENTS = sorted(c.name for c in CATALOG.values() if c.features & profiles.FEATURES["dev-fast"])
"""The profile's components, switched off: both tools apply the same services' objects, nothing else."""


def generate(root: Path, platform: str, services: int, level: str, changed: int = 0) -> None:
    if root.exists():
        shutil.rmtree(root)
    (root / "environments").mkdir(parents=True)
    (root / "clusters").mkdir()
    off = "".join(f"  {name}: {{enabled: false}}\n" for name in PLATFORM_COMPONENTS)
    (root / "platform.yaml").write_text(
        f"apiVersion: dockyard.dev/v1alpha2\nkind: Platform\ndockyard: '{series()}'\nname: {platform}\n"
        f"domain: {platform}.example.org\n"
        f"components:\n{off}"
    )
    (root / "environments" / "bench.yaml").write_text("apiVersion: dockyard.dev/v1alpha1\nkind: Environment\n")
    (root / "clusters" / "local.yaml").write_text(
        'apiVersion: dockyard.dev/v1alpha1\nkind: Cluster\nenvironment: bench\nkubernetes: {version: "1.36"}\n'
    )
    for index in range(services):
        name = f"svc-{index:04d}"
        folder = root / "services" / name
        folder.mkdir(parents=True)
        team = f"{platform}-team-{index % 5}"
        (folder / "score.yaml").write_text(SCORE.format(name=name, level=level if index < changed else "1"))
        (folder / "dockyard.yaml").write_text(
            f"apiVersion: dockyard.dev/v1alpha1\nkind: ServiceSettings\nteam: {team}\n"
        )


def audit_counts(log: Path, since: int) -> Counter[str]:
    counts: Counter[str] = Counter()
    with log.open() as stream:
        stream.seek(since)
        for line in stream:
            event = json.loads(line)
            if event.get("stage") != "ResponseComplete" or event["user"]["username"] != "dockyard-admin":
                continue
            agent = "kubectl" if event.get("userAgent", "").startswith("kubectl") else "dockyard"
            mutation = event["verb"] in ("create", "update", "patch", "delete")
            dry = "dryRun" in event["requestURI"]
            counts[f"{agent}_requests"] += 1
            counts[f"{agent}_writes"] += mutation and not dry
            counts[f"{agent}_dry_runs"] += mutation and dry
    return counts


def run(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode not in (0,):
        sys.exit(f"{' '.join(command[:4])} failed ({done.returncode}): {done.stdout[-1500:]}{done.stderr[-3000:]}")
    return round(time.perf_counter() - start, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=500)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dockyard-bench-"))
    os.environ["DOCKYARD_HOME"] = str(work / "home")
    kubectl = str(build.binary_path("kubectl"))
    try:
        cluster = control_plane.up("bench", 2 + 2 * args.services // 100, user_kubeconfig=False)  # 110 pods a node
        env = dict(os.environ, KUBECONFIG=str(cluster.kubeconfig))
        log = Path(cluster.kubeconfig).parent / "logs" / "audit.log"
        dockyard_repo, peer_repo, peer_files = work / "dockyard", work / "peer", work / "peer-files"
        apply = [
            sys.executable,
            "-m",
            "dockyard.cli",
            "apply",
            str(dockyard_repo),
            "-c",
            "local",
            "--yes",
            "--context",
            cluster.context,
        ]
        peer_apply = [
            kubectl,
            "apply",
            "--server-side",
            "--field-manager",
            "kubectl-bench",
            "-R",
            "-f",
            str(peer_files),
        ]
        plan = [*apply[:3], "plan", *apply[4:7], *apply[8:]]  # the same repo, cluster and context
        report: dict[str, object] = {"services": args.services}
        for step, level, changed in (("first", "1", 0), ("changed_20", "2", 20), ("noop", "2", 20)):
            generate(dockyard_repo, "dk", args.services, level, changed)
            generate(peer_repo, "kc", args.services, level, changed)
            render = [
                sys.executable,
                "-m",
                "dockyard.cli",
                "render",
                str(peer_repo),
                "-c",
                "local",
                "-o",
                str(peer_files),
            ]
            subprocess.run(render, env=env, check=True, capture_output=True)
            if step == "first":
                objects = sum(1 for _ in peer_files.rglob("*.yaml"))
                report["objects"] = objects
            if step != "first":  # the plan of what the apply below writes: `dockyard plan` alone
                mark = log.stat().st_size
                report[f"dockyard_plan_{step}_s"] = run(plan, env)
                counts = audit_counts(log, mark)
                for what in ("requests", "writes", "dry_runs"):
                    report[f"dockyard_plan_{step}_{what}"] = counts[f"dockyard_{what}"]
            mark = log.stat().st_size
            report[f"dockyard_{step}_s"] = run(apply, env)
            middle = log.stat().st_size
            report[f"kubectl_{step}_s"] = run(peer_apply, env)
            dockyard_counts, peer_counts = audit_counts(log, mark), audit_counts(log, middle)
            report[f"dockyard_{step}_requests"] = dockyard_counts["dockyard_requests"]
            report[f"dockyard_{step}_writes"] = dockyard_counts["dockyard_writes"]
            report[f"kubectl_{step}_requests"] = peer_counts["kubectl_requests"]
            report[f"kubectl_{step}_writes"] = peer_counts["kubectl_writes"]
        for step in ("first", "changed_20", "noop"):
            report[f"ratio_kubectl_over_dockyard_{step}"] = round(
                float(report[f"kubectl_{step}_s"]) / float(report[f"dockyard_{step}_s"]),
                2,  # type: ignore[arg-type]
            )
        print(json.dumps(report, indent=2))
    finally:
        control_plane.down("bench", purge=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
