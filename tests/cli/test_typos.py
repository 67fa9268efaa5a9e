"""A typo is an error, not a silent no-op: an unknown key given `null` (which removes a known key)
and an unknown param of a built-in resource type."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import copy_example, replace, run_cli


def test_a_null_under_an_unknown_key_is_an_unknown_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_example(tmp_path)
    replace(
        repo, "services/web/dockyard.yaml", "kind: ServiceSettings\n", "kind: ServiceSettings\ndisruptionBuget: null\n"
    )
    replace(repo, "environments/prod.yaml", "postgres:\n", "postgress: null\npostgres:\n")
    result = run_cli(capsys, "validate", str(repo))
    assert (result.code, result.err.splitlines()) == (
        1,
        [
            "environments/prod.yaml:16:1: unknown field `postgress`",
            "  hint: did you mean `postgres`?",
            "services/web/dockyard.yaml:4:1: unknown field `disruptionBuget`",
            "  hint: did you mean `disruptionBudget`?",
            "2 problems found; nothing was changed",
        ],
    )


def test_a_null_under_a_known_key_still_removes_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_example(tmp_path)
    replace(repo, "environments/prod.yaml", "  disruptionBudget:\n    minAvailable: 1\n", "  disruptionBudget: null\n")
    assert run_cli(capsys, "validate", str(repo)).code == 0


def test_an_unknown_param_of_a_built_in_type_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_example(tmp_path)
    replace(repo, "services/web/score.yaml", "      host: www\n", "      host: www\n      hots: oops\n")
    replace(
        repo,
        "services/orders/score.yaml",
        "  db:\n    type: postgres\n",
        "  db:\n    type: postgres\n    params:\n      size: 10Gi\n",
    )
    result = run_cli(capsys, "validate", str(repo))
    assert (result.code, result.err.splitlines()) == (
        1,
        [
            "services/orders/score.yaml:41:7: unknown param `size` of a `postgres` resource",
            "  hint: a `postgres` resource takes database",
            "services/web/score.yaml:40:7: unknown param `hots` of a `route` resource",
            "  hint: did you mean `host`?",
            "2 problems found; nothing was changed",
        ],
    )
