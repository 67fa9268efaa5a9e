"""Health rules, one fixture file per case: the object and the expected health and reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dockyard.deploy.health import Assessment, Health, assess

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "health").glob("*.yaml"))


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_health_rule(fixture: Path) -> None:
    case = yaml.safe_load(fixture.read_text())
    expected = Assessment(Health[case["expect"]["health"].upper()], case["expect"]["reason"])
    assert assess(case["object"]) == expected


def test_a_missing_object() -> None:
    assert assess(None) == Assessment(Health.MISSING, "does not exist")


def test_health_is_ordered_worst_last() -> None:
    assert sorted([Health.UNKNOWN, Health.HEALTHY, Health.MISSING, Health.DEGRADED, Health.PROGRESSING]) == [
        Health.HEALTHY,
        Health.PROGRESSING,
        Health.DEGRADED,
        Health.MISSING,
        Health.UNKNOWN,
    ]
