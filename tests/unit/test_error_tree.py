"""The error tree in errors.py's docstring names every exception class Dockyard defines."""

from __future__ import annotations

import ast
from pathlib import Path

import dockyard
from dockyard import errors

SOURCE = Path(dockyard.__file__).parent
BASES = {"Exception", "DockyardError", "InputError", "UsageError", "ValueError"}


def _exception_classes() -> set[str]:
    found = set()
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id in BASES for b in node.bases):
                found.add(node.name)
    return found


def test_every_exception_class_is_drawn_in_the_tree() -> None:
    classes = _exception_classes()
    assert len(classes) > 20
    assert sorted(name for name in classes if name not in (errors.__doc__ or "")) == []
