"""libyaml composes the node graph now; ruamel.yaml did before (and still edits files by round
trip). The two must read every file the same: the same tag for every scalar (YAML 1.2's rules, and
1.1's where a file declares it) and the same position for every node."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from dockyard.load.yamlnodes import compose_all

PROJECT = Path(__file__).resolve().parents[3]
SCALARS = [
    *("0", "-0", "+1", "007", "0o17", "0x1F", "0xfg", "0b101", "0b102", "1_000", "1__0", "_1", "12:30", "1:20:30"),
    *("1.5", "-1.5", ".5", "+.5", "1.", "1e3", "1E-3", "1.5e+3", "1_0.5", ".inf", "-.Inf", "+.INF", ".nan", ".NaN"),
    *("1:30.5", "nan", "inf", "1e", "e3", "0.0.1", "1.2.3"),
    *("true", "True", "TRUE", "tRue", "false", "FALSE", "yes", "No", "on", "OFF", "y", "n", "Y", "N"),
    *("null", "Null", "NULL", "~", "", "nul", "none"),
    *("2026-11-29", "2026-1-2 3:04:05", "2026-11-29T10:00:00Z", "2026-11-29 10:00:00.5 +01:00", "2026-11-29x"),
    *("<<", "=", "==", "a=b", "text", "0.1.0", "v1", "1Mi", "500m", "'quoted'", '"double"', "--x"),
]


def _tags(node: Any) -> list[tuple[str, str, int, int]]:
    """(tag, value, line, column) of every node, depth first (keys before their values). An empty
    value has no place of its own: libyaml puts it at the end of its key's line, ruamel at the
    start of the next line; -1 for both."""
    empty = node.id == "scalar" and node.value == "" and not node.style
    where = (-1, -1) if empty else (node.start_mark.line, node.start_mark.column)
    found = [(str(node.tag), node.value if node.id == "scalar" else "", *where)]
    if node.id == "sequence":
        for item in node.value:
            found += _tags(item)
    elif node.id == "mapping":
        for key, value in node.value:
            found += _tags(key) + _tags(value)
    return found


def _ruamel(text: str) -> list[list[tuple[str, str, int, int]]]:
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 2)
    return [_tags(node) for node in yaml.compose_all(text)]


def _ours(text: str) -> list[list[tuple[str, str, int, int]]]:
    return [_tags(node) for node in compose_all(text)]


@pytest.mark.parametrize("directive", ["", "%YAML 1.1\n---\n"], ids=["yaml-1.2", "yaml-1.1"])
def test_every_scalar_gets_the_tag_ruamel_gave_it(directive: str) -> None:
    text = directive + "".join(f"k{index}: {scalar}\n" for index, scalar in enumerate(SCALARS))
    text += "list: [" + ", ".join(s for s in SCALARS if s and s[0] not in "-'\"") + "]\n"
    assert _ours(text) == _ruamel(text)


def test_every_yaml_file_of_the_example_and_the_tests_reads_the_same() -> None:
    every = itertools.chain((PROJECT / "examples").rglob("*.yaml"), (PROJECT / "tests").rglob("*.yaml"))
    files = sorted(f for f in every if "expected" not in f.parts)  # not the golden outputs: rendered, not written
    assert len(files) > 100
    for file in files:
        text = file.read_text()
        assert _ours(text) == _ruamel(text), file.relative_to(PROJECT)
