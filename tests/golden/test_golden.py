"""Golden files: each example (and the every-field repo) rendered per cluster, one file per object.

Regenerate with `scripts/test tests/golden --update-golden` and review the diff like code.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from dockyard.render.output import MARKER
from tests.golden.cases import CASES
from tests.helpers import EXAMPLES, run_cli

HERE = Path(__file__).parent


def _tree(root: Path) -> dict[str, str]:
    """Every rendered file (not the render's own bookkeeping, which records file times)."""
    return {
        str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file() and p.name != MARKER
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_render_matches_golden(
    case: str, tmp_path: Path, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, cluster = CASES[case]
    # the services' wiring; the platform components' own objects come from upstream charts (see test_components)
    out = str(tmp_path / "out")
    result = run_cli(capsys, "render", str(repo), "--cluster", cluster, "--only", "services", "--output", out)
    assert result.code == 0, result.err
    expected_dir = HERE / "expected" / case
    actual = _tree(tmp_path / "out")
    if request.config.getoption("--update-golden"):
        shutil.rmtree(expected_dir, ignore_errors=True)
        shutil.copytree(tmp_path / "out", expected_dir, ignore=shutil.ignore_patterns(MARKER))
        return
    expected = _tree(expected_dir)
    assert sorted(actual) == sorted(expected), "the set of rendered files changed (run with --update-golden)"
    diffs = [
        "".join(
            difflib.unified_diff(
                expected[name].splitlines(True),
                actual[name].splitlines(True),
                f"expected/{case}/{name}",
                f"rendered/{name}",
            )
        )
        for name in sorted(expected)
        if expected[name] != actual[name]
    ]
    assert not diffs, "rendered output differs from the golden files:\n" + "\n".join(diffs)


def test_every_example_cluster_has_a_golden_case() -> None:
    covered = {(repo, cluster) for repo, cluster in CASES.values()}
    for example in sorted(p for p in EXAMPLES.iterdir() if (p / "platform.yaml").is_file()):
        for cluster in sorted((example / "clusters").glob("*.yaml")):
            assert (example, cluster.stem) in covered, f"no golden case for {example.name} on {cluster.stem}"
