"""The repo's policies run in a child process with limits: whatever happens there, the parent
gets the result or a PolicyEngineFailed that says which limit, never an abort of its own."""

from __future__ import annotations

import os
import time

import pytest

from dockyard.check.contained import Limits, contained
from dockyard.check.policy import PolicyEngineFailed
from dockyard.errors import Position


def test_the_result_comes_back() -> None:
    assert contained(lambda: [("a", 1), ("b", 2)], "evaluating") == [("a", 1), ("b", 2)]


def test_a_policy_error_passes_through_with_its_place() -> None:
    def work() -> None:
        raise PolicyEngineFailed("policy labels does not compile: oops", Position("policies/labels.rego", 3, 1))

    with pytest.raises(PolicyEngineFailed) as raised:
        contained(work, "evaluating")
    assert (str(raised.value), raised.value.position) == (
        "policy labels does not compile: oops",
        Position("policies/labels.rego", 3, 1),
    )


@pytest.mark.parametrize(
    ("work", "limits", "message"),
    [
        (
            lambda: bytearray(512 * 1024 * 1024),
            Limits(memory_mib=64),
            "evaluating: stopped when it needed more than 64 MiB of memory (a policy that builds a huge value: a wide "
            "sprintf, a long numbers.range)",
        ),
        (
            lambda: time.sleep(30),
            Limits(wall_seconds=0.5),
            "evaluating: stopped after 0.5 s (a policy that never ends, or takes too long)",
        ),
        (lambda: b"x" * (2 * 1024 * 1024), Limits(output_mib=1), "evaluating: its findings came to more than 1 MiB"),
        (os.abort, Limits(), "evaluating: the policy engine crashed (signal SIGABRT)"),
        (lambda: 1 / 0, Limits(), "evaluating: the policy engine failed (ZeroDivisionError: division by zero)"),
    ],
    ids=["memory", "wall-clock", "output", "crash", "error"],
)
def test_past_a_limit_only_the_child_ends(work: object, limits: Limits, message: str) -> None:
    with pytest.raises(PolicyEngineFailed) as raised:
        contained(work, "evaluating", limits)  # type: ignore[arg-type]
    assert str(raised.value) == message
    assert raised.value.position == Position("policies")
