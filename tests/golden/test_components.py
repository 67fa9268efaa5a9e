"""Golden files for the platform's wiring, one per profile: which components a cluster installs,
where, from which pinned chart, and the values Dockyard gives each chart.

Regenerate with `scripts/test tests/golden --update-golden` and review the diff like code.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from tests.golden.cases import CASES
from tests.helpers import run_cli

HERE = Path(__file__).parent
PROFILES = {
    "shop-local": "dev-fast",
    "shop-prod-eu": "complete",
    "every-field-lab": "complete",
    "every-field-edge": "full",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_components_and_their_values_match_golden(
    case: str, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, cluster = CASES[case]
    result = run_cli(capsys, "components", str(repo), "--cluster", cluster, "--values")
    assert result.code == 0, result.err
    expected_file = HERE / "expected" / f"components-{PROFILES[case]}-{case}.txt"
    if request.config.getoption("--update-golden"):
        expected_file.write_text(result.out)
        return
    expected = expected_file.read_text()
    diff = "".join(difflib.unified_diff(expected.splitlines(True), result.out.splitlines(True), "golden", "now"))
    assert result.out == expected, diff
