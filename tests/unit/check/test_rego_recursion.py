"""Recursion in a repo's Rego is refused before the engine runs it (OPA refuses it when it compiles
a module; the embedded engine would overflow its stack and take the process down)."""

from __future__ import annotations

import pytest

from dockyard.check.policy import library
from dockyard.check.rego_recursion import find_recursion


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("package x\n\nf(x) := f(x + 1)\n", "function `f` calls itself (f -> f): Rego forbids recursion"),
        (
            "package x\n\ng(x) := h(x)\n\nh(x) := y if {\n  y := g(x)\n}\n",
            "function `g` calls itself (g -> h -> g): Rego forbids recursion",
        ),
        ("package x\n\nis_ok(x) if { x > 1 }\nis_ok(x) if { is_odd(x) }\nis_odd(x) if { x % 2 == 1 }\n", None),
        # a call of another package's function of the same name, a name in a comment or a string
        ('package x\n\n# f(x) would recurse\nf(x) := "f(" \nok(x) := lib.ok(x)\n', None),
        (
            "package dockyard.policies.loop\n\nf(x) := y if { y := data.dockyard.policies.loop.f(x) }\n",
            "function `f` calls itself (f -> f): Rego forbids recursion",
        ),
        ("package x\n\n# a `tick\nf(x) := 1\n# another `\ng(x) := f(x)\n", None),
        ('package x\n\ns := "# not a comment f("\nf(x) := g(x)\ng(x) := 1\n', None),
    ],
)
def test_a_function_that_calls_itself_is_found(source: str, expected: str | None) -> None:
    found = find_recursion(source)
    assert (str(found) if found else None) == expected


def test_the_line_is_where_the_first_function_of_the_cycle_is_defined() -> None:
    found = find_recursion("package x\n\nimport rego.v1\n\nf(x) := f(x)\n")
    assert found is not None and found.line == 5


def test_no_built_in_policy_is_taken_for_recursive() -> None:
    assert [name for name, source in library() if find_recursion(source)] == []
