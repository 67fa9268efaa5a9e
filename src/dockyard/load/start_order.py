"""Score's `containers.*.before`: which containers start before the others, checked as a whole.

A container with `before` runs as an init container: `ready: complete` to completion, `started`
and `healthy` as a sidecar that keeps running (Kubernetes' native sidecars), `healthy` held
until its probe passes. What Kubernetes cannot express, or would refuse, is an error here.
"""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter
from typing import Any

from dockyard.errors import Problem, Problems
from dockyard.load.words import did_you_mean
from dockyard.load.yamlsafe import Document


def check_start_order(score: Document, problems: Problems) -> None:
    containers: dict[str, Any] = score.data["containers"]
    names = sorted(containers)
    for name in names:
        before = containers[name].get("before") or {}
        for target in sorted(before):
            if target == name:
                problems.append(
                    Problem(
                        score.position(("containers", name, "before", target), key=True),
                        f"container `{name}` cannot start before itself",
                    )
                )
            elif target not in containers:
                problems.append(
                    Problem(
                        score.position(("containers", name, "before", target), key=True),
                        f"`{target}` is not a container of this workload",
                        did_you_mean(target, names) or f"its containers: {', '.join(names)}",
                    )
                )
        readies = sorted({entry["ready"] for entry in before.values()})
        if len(readies) > 1:
            problems.append(
                Problem(
                    score.position(("containers", name, "before")),
                    f"container `{name}` is started one way, but its `before` asks for {' and '.join(readies)}",
                    "give every entry of its `before` the same `ready`",
                )
            )
        elif readies == ["complete"]:
            for probe in ("livenessProbe", "readinessProbe"):
                if probe in containers[name]:
                    problems.append(
                        Problem(
                            score.position(("containers", name, probe), key=True),
                            f"container `{name}` runs to completion before the others (`ready: complete`), "
                            "so it has no probe: Kubernetes refuses probes on such init containers",
                            "remove the probe, or use `ready: healthy` for a container that keeps running",
                        )
                    )
        elif readies == ["healthy"] and "readinessProbe" not in containers[name]:
            problems.append(
                Problem(
                    score.position(("containers", name, "before")),
                    f"container `{name}` must be healthy before the others start, but has no readinessProbe to tell",
                    "give it a readinessProbe, or use `ready: started`",
                )
            )
    if names and all(containers[n].get("before") for n in names):
        problems.append(
            Problem(
                score.position(("containers",), key=True),
                "every container starts before another: none is left to run as the workload itself",
                "remove `before` from the container the others prepare for",
            )
        )
    graph = {n: sorted(t for t in (containers[n].get("before") or {}) if t in containers and t != n) for n in names}
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as error:
        cycle = list(error.args[1])[:-1]
        first = min(cycle)
        cycle = cycle[cycle.index(first) :] + cycle[: cycle.index(first)]
        problems.append(
            Problem(
                score.position(("containers", first, "before")),
                f"`before` goes round in a circle: {' and '.join(f'`{n}`' for n in cycle)} each wait for another",
                "one of them must start without waiting for the others",
            )
        )
