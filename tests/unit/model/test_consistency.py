"""Contradictions between merged settings, with quantities compared as Kubernetes compares them."""

from __future__ import annotations

import pytest

from dockyard.errors import Position
from dockyard.load.merge import Layer, merge
from dockyard.model.consistency import settings_problems


def _settings(resources: dict) -> dict:
    layer = Layer(
        "services/api/score.yaml", {"resources": resources}, lambda _path: Position("services/api/score.yaml", 3, 5)
    )
    return {"api": merge([layer])}


@pytest.mark.parametrize(
    ("request_", "limit", "refused"),
    [
        ("1500m", "1", True),
        ("1", "1000m", False),
        ("1.5", "1500m", False),
        ("2e3m", "1", True),
        ("1Gi", "1024Mi", False),
        ("1G", "1Gi", False),
        ("1Gi", "1G", True),
    ],
)
def test_requests_above_limits_are_found_in_any_unit(request_: str, limit: str, refused: bool) -> None:
    resource = "memory" if request_.endswith(("i", "G")) else "cpu"
    problems = settings_problems(_settings({"requests": {resource: request_}, "limits": {resource: limit}}))
    assert bool(problems) is refused
