"""Score conformance: how many of the suite's Score files render as the specification says.

Each case of tests/conformance/scores/ is rendered as the only service of the example platform
and judged field by field (tests/conformance/spec.py): it conforms, it is refused fairly (a
resource type the platform has no provisioner for, said at its line with how to add one), it is
refused for another reason, or it renders wrong. Prints one JSON line per case and the totals.

    uv run python bench/conformance.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from tests.conformance.spec import CONFORMS, REFUSED_FAIRLY, cases, judge  # noqa: E402


def main() -> None:
    started = time.perf_counter()
    outcomes: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as work:
        for case in cases():
            verdict = judge(case, PROJECT / "examples" / "shop", Path(work))
            outcomes[verdict.outcome] += 1
            print(json.dumps({"case": case, "outcome": verdict.outcome, "details": verdict.details}))
    total = sum(outcomes.values())
    print(
        json.dumps(
            {
                "cases": total,
                "conforms": outcomes[CONFORMS],
                "refused_fairly": outcomes[REFUSED_FAIRLY],
                "goal_met": outcomes[CONFORMS] + outcomes[REFUSED_FAIRLY],
                "ratio_rendered": round(outcomes[CONFORMS] / total, 3),
                "ratio_goal": round((outcomes[CONFORMS] + outcomes[REFUSED_FAIRLY]) / total, 3),
                "seconds": round(time.perf_counter() - started, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
