"""Reading a file of an exported revision before the pipeline does: no link followed, and a file
that is missing, unreadable or not YAML reads as nothing (the pipeline reports it properly)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from dockyard.errors import Problems
from dockyard.load.yamlsafe import parse


def raw(path: Path) -> bytes:
    try:
        return path.read_bytes() if path.is_file() and not path.is_symlink() else b""
    except OSError:
        return b""


def mapping(path: Path) -> dict[str, Any]:
    """The file's top-level mapping, or an empty one."""
    document = Problems().attempt(partial(parse, path.name, raw(path)))
    return document.data if document is not None and isinstance(document.data, dict) else {}


def text_field(path: Path, key: str) -> str | None:
    """A top-level text field of the file, or None."""
    value = mapping(path).get(key)
    return value if isinstance(value, str) and value else None
