"""Words for people: suggestions for near misses, and paths written the way people write them."""

from __future__ import annotations

import difflib


def did_you_mean(word: str, options: list[str]) -> str | None:
    """A hint naming the closest of `options`, if one is close enough."""
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


def dotted(path: tuple[str | int, ...]) -> str:
    """`containers.main.files[0]`: a path as a person writes it."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
