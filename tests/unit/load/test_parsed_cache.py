"""Per-file work is cached by content: unchanged files are never parsed again."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.errors import InputError
from dockyard.load import parsed
from dockyard.load.layers import effective, explain
from dockyard.load.repo import load
from tests.helpers import copy_example, replace


@pytest.fixture
def parse_calls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    monkeypatch.setenv("DOCKYARD_PARSE_CACHE", str(tmp_path / "cache"))
    calls: list[str] = []
    real = parsed.parse_and_check

    def counting(kind: str, path: str, raw: bytes) -> parsed.Outcome:
        calls.append(path)
        return real(kind, path, raw)

    monkeypatch.setattr(parsed, "parse_and_check", counting)
    return calls


def test_a_second_load_parses_nothing(tmp_path: Path, parse_calls: list[str]) -> None:
    repo = copy_example(tmp_path)
    load(repo)
    # platform, 2 environments, 2 clusters, 1 provisioner, 4 services, 2 service settings, 1 override, 1 contract
    assert len(parse_calls) == 14
    parse_calls.clear()
    load(repo)
    assert parse_calls == []


def test_a_changed_file_is_parsed_again_alone(tmp_path: Path, parse_calls: list[str]) -> None:
    repo = copy_example(tmp_path)
    load(repo)
    parse_calls.clear()
    replace(repo, "services/web/dockyard.yaml", "replicas: 2", "replicas: 3")
    load(repo)
    assert parse_calls == ["services/web/dockyard.yaml"]


def test_positions_from_a_warm_load_match_a_cold_one(tmp_path: Path, parse_calls: list[str]) -> None:
    repo = copy_example(tmp_path)
    cold = explain(effective(load(repo), "prod-eu"), "services.orders.autoscaling")
    warm = explain(effective(load(repo), "prod-eu"), "services.orders.autoscaling")
    assert warm == cold
    assert warm.leaves[0].origin == "services/orders/overrides/prod.yaml:7:12"


def test_cached_problems_are_reported_again(tmp_path: Path, parse_calls: list[str]) -> None:
    repo = copy_example(tmp_path)
    replace(repo, "platform.yaml", "profile: dev-fast", "profile: fast")
    with pytest.raises(InputError) as first:
        load(repo)
    with pytest.raises(InputError) as second:
        load(repo)
    assert str(first.value) == str(second.value)
    assert parse_calls.count("platform.yaml") == 1


def test_the_same_bytes_at_another_path_are_their_own_entry(tmp_path: Path, parse_calls: list[str]) -> None:
    repo = copy_example(tmp_path)
    (repo / "environments" / "qa.yaml").write_bytes((repo / "environments" / "dev.yaml").read_bytes())
    loaded = load(repo)
    assert loaded.environments["qa"].file == "environments/qa.yaml"
    assert loaded.environments["dev"].file == "environments/dev.yaml"


def test_many_files_parse_in_parallel_with_the_same_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKYARD_NO_CACHE", "1")
    repo = copy_example(tmp_path)
    serial = load(repo)
    monkeypatch.setattr(parsed, "PARALLEL_THRESHOLD", 2)
    parallel = load(repo)
    assert {n: d.data for n, d in parallel.services.items()} == {n: d.data for n, d in serial.services.items()}
