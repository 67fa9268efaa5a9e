"""`validate` judges a big repo's clusters in forked processes: the same verdict, problem for
problem and in the same order, as judging them one after the other."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard import actions, forked
from dockyard.errors import Problems
from tests.helpers import copy_example


def _verdicts(repo: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[actions.Validated, actions.Validated, int]:
    forks = []
    real = forked.map_forked

    def counted(function, items):  # type: ignore[no-untyped-def]
        forks.append(len(items))
        return real(function, items)

    monkeypatch.setattr(forked, "map_forked", counted)
    monkeypatch.setattr(actions, "PARALLEL_SERVICES", 0)
    monkeypatch.setattr(forked, "cores", lambda: 2)
    found = Problems()
    loaded = actions.load_repo(repo, found=found)
    in_parallel = actions.validate_repo(loaded, loaded=found, parallel=True)
    one_by_one = actions.validate_repo(loaded, loaded=found)
    return in_parallel, one_by_one, len(forks)


def test_a_valid_repo_is_valid_either_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    in_parallel, one_by_one, forks = _verdicts(copy_example(tmp_path / "repo"), monkeypatch)
    assert forks == 1
    assert in_parallel == one_by_one
    assert in_parallel.errors == () and in_parallel.clusters == ("local", "prod-eu")


def test_problems_of_several_clusters_come_back_in_the_same_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = copy_example(tmp_path / "repo")
    score = repo / "services/web/score.yaml"
    score.write_text(score.read_text().replace("host: www", "host: Bad Host!"))
    settings = repo / "services/orders/dockyard.yaml"
    settings.write_text(
        settings.read_text() + "replicas: 2\nautoscaling:\n  enabled: true\n  minReplicas: 5\n  maxReplicas: 3\n"
    )
    in_parallel, one_by_one, forks = _verdicts(repo, monkeypatch)
    assert forks == 1
    assert in_parallel == one_by_one
    messages = [p.message for p in in_parallel.errors]
    assert len(messages) >= 2, messages
    assert any("is not a DNS host name" in m for m in messages) and any("minReplicas" in m for m in messages)
