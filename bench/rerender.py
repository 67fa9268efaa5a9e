"""Benchmark rendering the services again in a process that remembers renders (`dockyard watch`,
the sync controller and the console do): the validate benchmark's repo (1,000 services, each with
an OpenAPI contract, a route, a Postgres database and a dependency on the previous one), rendered
for each cluster in one process, as those front ends render it after a change.

- from nothing: a render that remembers nothing (what a command that renders once does);
- nothing changed: the same platform again, every service copied from what was remembered;
- one variable changed: one service's score.yaml changed in a variable (its callers see only its
  ports, resources and settings, so it alone is rendered again);
- one port changed: one service's port (its caller's URL and egress change: two rendered again).

Each measure is the services' render alone (`dockyard.render.services.render`), median of the
runs, with the number of services rendered again counted. The peer tool's render (score-k8s) is
in bench/render.py; it has no process that remembers.

    uv run python bench/rerender.py [--services 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "src"))

from validate import generate  # noqa: E402

from dockyard import actions  # noqa: E402
from dockyard.cli import GC_THRESHOLDS  # noqa: E402
from dockyard.render import services  # noqa: E402
from dockyard.render.remembered import Memory  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cluster", default="prod-eu")
    args = parser.parse_args()
    gc.set_threshold(*GC_THRESHOLDS)  # as every dockyard command sets it
    rendered: list[str] = []
    original = services.render_service

    def counting(service: Any, *rest: Any) -> Any:
        rendered.append(service.name)
        return original(service, *rest)

    services.render_service = counting  # type: ignore[assignment]
    work = Path(tempfile.mkdtemp(prefix="dockyard-bench-"))
    try:
        repo = work / "repo"
        generate(repo, args.services)
        middle = repo / "services" / f"svc-{args.services // 2:04d}" / "score.yaml"
        written = middle.read_text()
        gc.freeze()
        memory = Memory()

        def measure(change: Callable[[int], str] | None, remember: bool) -> dict[str, float]:
            seconds, counts = [], []
            for run in range(args.runs):
                if change is not None:
                    middle.write_text(change(run))
                platform = actions.platform_for(actions.load_repo(repo), args.cluster)
                rendered.clear()
                start = time.perf_counter()
                services.render(platform, memory if remember else Memory())
                seconds.append(time.perf_counter() - start)
                counts.append(len(rendered))
            middle.write_text(written)
            return {"seconds": round(statistics.median(seconds), 4), "services_rendered": max(counts)}

        report: dict[str, object] = {"services": args.services, "cluster": args.cluster}
        report["from_nothing"] = measure(None, remember=False)
        services.render(actions.platform_for(actions.load_repo(repo), args.cluster), memory)
        report["nothing_changed"] = measure(None, remember=True)
        report["one_variable_changed"] = measure(
            lambda run: written.replace("LOG_LEVEL: info", f"LOG_LEVEL: debug{run}"), remember=True
        )
        report["one_port_changed"] = measure(
            lambda run: written.replace("port: 80, targetPort", f"port: {81 + run}, targetPort").replace(
                "      port: 80\n", f"      port: {81 + run}\n"
            ),
            remember=True,
        )
        print(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
