"""Where a piece of text stands in a tree of plain data (a manifest, a Score file, chart values):
the path to the first string value that holds it, and that path written as people read it."""

from __future__ import annotations

import re
from typing import Any

Path_ = tuple[str | int, ...]
PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def holding(data: Any, text: str, *, whole: bool = False) -> Path_ | None:
    """The path to the first string (depth first, in the data's own order) that contains `text`
    (with `whole`, that is `text`)."""
    stack: list[tuple[Path_, Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if value == text or (not whole and text in value):
                return path
        elif isinstance(value, dict):
            stack += reversed([((*path, key), item) for key, item in value.items() if isinstance(key, str | int)])
        elif isinstance(value, list):
            stack += reversed([((*path, index), item) for index, item in enumerate(value)])
    return None


def value_at(data: Any, path: Path_) -> Any:
    """The value at `path` in `data`; None where the path leads nowhere."""
    for part in path:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def dotted(path: Path_) -> str:
    """`spec.containers[0].env[2].value`; a key that is not a plain word is quoted (`data["app.ini"]`)."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif PLAIN_KEY.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += f'["{part}"]'
    return text
