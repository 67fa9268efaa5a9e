"""Benchmark the wiring check: the platform with every component (profile `complete`) plus N
services that look like real ones (a route, an OpenAPI contract, a database, a dependency on
another service), rendered once, then the wiring check alone, timed.

    uv run python bench/wiring.py [--services 1000 4000] [--runs 3]

"cold" is the first check of a run in a fresh process-wide state (nothing is cached between
checks: each one indexes the render again), "warm" the median of the following runs. The garbage
collector runs as every dockyard command sets it (cli.GC_THRESHOLDS).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.standin_charts import complete_repo
from workloads import score, settings

CONTRACT = """openapi: 3.0.3
info: {title: api, version: "1"}
components:
  securitySchemes:
    platform:
      type: oauth2
      flows: {clientCredentials: {tokenUrl: https://sso.example.com/token, scopes: {"NAME:read": read}}}
security: [{platform: ["NAME:read"]}]
paths:
  /items:
    get: {responses: {"200": {description: ok}}}
  /items/{id}:
    parameters: [{name: id, in: path, required: true, schema: {type: string}}]
    get: {responses: {"200": {description: ok}}}
"""


def add_services(repo: Path, count: int) -> None:
    for index in range(count):
        name = f"svc-{index:04d}"
        folder = repo / "services" / name
        folder.mkdir(parents=True)
        upstream = f"svc-{index - 1:04d}" if index else None
        text = score(name, index, upstream=upstream)
        route = f"  public:\n    type: route\n    params: {{host: {name}, path: /, port: 80}}\n"
        text = text.replace("resources:\n  db:", f"resources:\n{route}  api:\n    type: api\n  db:")
        (folder / "score.yaml").write_text(text)
        (folder / "dockyard.yaml").write_text(settings(api=True))
        (folder / "openapi.yaml").write_text(CONTRACT.replace("NAME", name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, nargs="+", default=[1000, 4000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from tests.charts import platform_of

    from dockyard.actions import chart_store
    from dockyard.check.wiring import check_wiring
    from dockyard.cli import GC_THRESHOLDS
    from dockyard.render.platform import render_platform

    gc.set_threshold(*GC_THRESHOLDS)  # as every dockyard command runs

    work = Path(tempfile.mkdtemp(prefix="dockyard-wiring-bench-"))
    os.environ["DOCKYARD_PARSE_CACHE"] = str(work / "parse")
    os.environ["DOCKYARD_CHART_CACHE"] = str(work / "charts")
    report = []
    try:
        template, standins = complete_repo(work / "template")
        for count in args.services:
            repo = work / f"repo-{count}"
            shutil.copytree(template, repo)
            add_services(repo, count)
            platform = platform_of(repo)
            bundle = render_platform(platform, chart_store())
            samples = []
            for _ in range(args.runs + 1):
                start = time.perf_counter()
                findings = check_wiring(bundle, platform.domain)
                samples.append(time.perf_counter() - start)
            report.append(
                {
                    "services": count,
                    "objects": len(bundle.objects),
                    "standin_charts": standins,
                    "findings": len(findings),
                    "cold_s": round(samples[0], 3),
                    "warm_s": round(statistics.median(samples[1:]), 3),
                }
            )
        print(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
