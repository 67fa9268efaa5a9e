"""Recursion in a Rego module, found before the engine runs it: OPA refuses a recursive rule or
function when it compiles a module; the embedded engine does not, and a function that calls itself
overflows its stack and takes the process down. Read from the text: each function's body (defined at
the start of a line, as `opa fmt` writes them) and the functions of the same module it calls, by
their bare name or by `data.<package>.<name>`."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

_NOISE = re.compile(r'"(?:[^"\\\n]|\\.)*"|`[^`]*`|#[^\n]*')
"""Strings and comments, found left to right in one pass (a `#` in a string is no comment)."""
_PACKAGE = re.compile(r"^package\s+([\w.]+)", re.M)
_HEAD = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*\(", re.M)
_TOP = re.compile(r"^[A-Za-z_]", re.M)


@dataclass(frozen=True)
class Recursion:
    cycle: tuple[str, ...]
    """The functions in the order they call each other, the first again at the end."""
    line: int
    """Where the first of them is defined (1-based)."""

    def __str__(self) -> str:
        return f"function `{self.cycle[0]}` calls itself ({' -> '.join(self.cycle)}): Rego forbids recursion"


def _blank(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))


def find_recursion(source: str) -> Recursion | None:
    """The first cycle of calls among the module's functions, if there is one."""
    text = _NOISE.sub(_blank, source)
    package = _PACKAGE.search(text)
    if package:  # a call of this module's own function by its full name is a call by its bare name
        own = re.escape(f"data.{package.group(1)}.")
        text = re.sub(rf"(?<![\w.$]){own}(?=[A-Za-z_])", lambda m: " " * len(m.group(0)), text)
    starts = [m.start() for m in _TOP.finditer(text)] + [len(text)]
    bodies: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    for begin, end in itertools.pairwise(starts):
        head = _HEAD.match(text, begin)
        if head is None:
            continue
        name = head.group(1)
        bodies.setdefault(name, []).append(text[head.end() : end])
        lines.setdefault(name, text.count("\n", 0, begin) + 1)
    calls = {
        name: {other for other in bodies if re.search(rf"(?<![\w.$]){other}\s*\(", " ".join(parts))}
        for name, parts in bodies.items()
    }
    for start in sorted(bodies, key=lines.__getitem__):
        cycle = _cycle_from(start, calls)
        if cycle is not None:
            return Recursion(cycle, lines[start])
    return None


def _cycle_from(start: str, calls: dict[str, set[str]]) -> tuple[str, ...] | None:
    path: list[str] = [start]
    seen: set[str] = set()

    def visit(name: str) -> tuple[str, ...] | None:
        for callee in sorted(calls[name]):
            if callee == start:
                return (*path, start)
            if callee not in seen:
                seen.add(callee)
                path.append(callee)
                found = visit(callee)
                if found:
                    return found
                path.pop()
        return None

    return visit(start)
