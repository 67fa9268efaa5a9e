"""errors.Problems: the one way a step collects what it finds."""

from __future__ import annotations

import pytest

from dockyard.errors import InputError, Position, Problem, Problems

FIRST = Problem(Position("a.yaml", 2, 1), "first")
SECOND = Problem(Position("b.yaml", 1, 1), "second")


def _fails() -> int:
    raise InputError([SECOND])


def test_an_attempt_that_fails_adds_its_problems_and_gives_none() -> None:
    found = Problems()
    assert found.attempt(lambda: 7) == 7
    assert not found
    assert found.attempt(_fails) is None
    assert found.errors == [SECOND]


def test_warnings_alone_raise_nothing_and_errors_raise_together_in_order_of_place() -> None:
    found = Problems()
    found.warn(FIRST)
    found.raise_if_any()
    found.append(SECOND)
    with found.collecting():
        raise InputError([FIRST])
    with pytest.raises(InputError) as raised:
        found.raise_if_any()
    assert raised.value.problems == [FIRST, SECOND]
    assert found.warnings == [FIRST]


def test_merging_keeps_each_problem_once() -> None:
    one, other = Problems([FIRST], [SECOND]), Problems([FIRST, SECOND], [SECOND])
    one.merge(other)
    assert (one.errors, one.warnings) == ([FIRST, SECOND], [SECOND])
