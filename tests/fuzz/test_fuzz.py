"""Every fuzz target runs a few hundred or thousand inputs (a fixed seed, so a run is repeatable): what the
fuzzer finds in that time must be a clear error, never a crash. `scripts/fuzz TARGET SECONDS`
runs one for longer, keeping its corpus between runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.fuzz.targets import FILES, TARGETS

pytestmark = pytest.mark.fuzz  # in the full pass; the fast Python-alone pass leaves it out
HARNESS = Path(__file__).with_name("harness.py")
RUNS_PER_FILE = 200
"""Each input of a file target validates a whole repo (about 100 a second)."""
RUNS_PER_READER = 10_000
"""A reader target takes thousands of inputs a second."""


@pytest.mark.parametrize("target", TARGETS)
def test_the_fuzzer_finds_no_crash(target: str, tmp_path: Path) -> None:
    runs = RUNS_PER_FILE if target in FILES else RUNS_PER_READER
    done = subprocess.run(
        [sys.executable, str(HARNESS), target, f"-runs={runs}", "-seed=1", "-print_final_stats=1"],
        cwd=tmp_path,  # where libFuzzer writes the input of a crash
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    crashes = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("crash-", "timeout-", "oom-")))
    assert done.returncode == 0 and not crashes, f"{crashes}\n{done.stderr[-4000:]}"
    assert f"Done {runs} runs" in done.stderr  # it ran them (a harness that stops early proves nothing)
