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


def test_how_a_job_that_removed_itself_ended_is_read_from_its_events() -> None:
    from dockyard.deploy.finished import Ending, ending_in, ending_of

    pod_not_created = {"type": "Warning", "reason": "FailedCreate", "message": "quota"}
    assert ending_in([pod_not_created]) is None  # a trouble on the way, not the end: keep looking
    assert ending_in([pod_not_created, {"type": "Normal", "reason": "Completed"}]) == Ending(False)
    failed = {
        "type": "Warning",
        "reason": "BackoffLimitExceeded",
        "message": "Job has reached the specified backoff limit",
    }
    assert ending_in([failed]) == Ending(True, "BackoffLimitExceeded: Job has reached the specified backoff limit")
    running = {"status": {"active": 1}}
    assert ending_of(running) is None
    complete = {"status": {"conditions": [{"type": "Complete", "status": "True"}]}}
    assert ending_of(complete) == Ending(False)
    deadline = {"status": {"conditions": [{"type": "Failed", "status": "True", "reason": "DeadlineExceeded"}]}}
    assert ending_of(deadline) == Ending(True, "DeadlineExceeded")
