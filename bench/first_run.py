"""Time from a fresh clone to the deployed example, on a machine that has never seen the project.

The README's first command, run as a newcomer runs it (tests/fresh.py: a copy of the project as a
clean clone has it, an empty HOME, so no uv, no Python, Go or Rust caches; cargo where rustup puts
it), step by step, then once more (warm):

    scripts/setup --localcluster && uv run dockyard up && uv run dockyard apply examples/shop -c local --yes

Packages come from the machine's registries (PyPI, crates, the Go module proxy), as a newcomer's
would. Prints JSON; the local cluster it starts is stopped and removed at the end.

    uv run python bench/first_run.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from tests.fresh import fresh_machine  # noqa: E402

STEPS = (
    ("setup", ["bash", "scripts/setup", "--localcluster"]),
    ("up", ["python3", "-m", "uv", "run", "--locked", "dockyard", "up"]),
    ("apply", ["python3", "-m", "uv", "run", "--locked", "dockyard", "apply", "examples/shop", "-c", "local", "--yes"]),
)


def _run(steps: tuple[tuple[str, list[str]], ...], project: Path, env: dict[str, str]) -> dict[str, float]:
    times: dict[str, float] = {}
    for name, command in steps:
        started = time.perf_counter()
        done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
        times[name] = round(time.perf_counter() - started, 1)
        if done.returncode != 0:
            sys.exit(f"{name} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        print(f"{name}: {times[name]} s", file=sys.stderr, flush=True)
    times["total"] = round(sum(times.values()), 1)
    return times


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="dockyard-first-run-") as work:
        project, env = fresh_machine(Path(work), cargo=True)
        env["GOFLAGS"] = "-modcacherw"  # the module cache is removable with the rest
        try:
            cold = _run(STEPS, project, env)
            warm = _run(STEPS, project, env)
        finally:
            subprocess.run(
                ["python3", "-m", "uv", "run", "--locked", "dockyard", "down", "--purge"],
                cwd=project,
                env=env,
                capture_output=True,
            )
        print(json.dumps({"cores": os.cpu_count(), "cold_s": cold, "warm_s": warm}, indent=2))


if __name__ == "__main__":
    main()
