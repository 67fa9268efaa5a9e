"""Every exception Dockyard raises on purpose.

    DockyardError                 anything Dockyard reports to a person; never a traceback
    ├── UsageError                the command line itself is wrong (exit 2)
    ├── InputError                the platform repo is invalid; carries every Problem found (exit 1)
    └── ToolBuildError            a local control plane binary could not be built (exit 1)

A `Problem` is one finding with its place: ``FILE:LINE:COL: message`` plus an optional hint.
Errors are translated once, at the CLI edge, into exit codes and lines of text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Position:
    """A place in a file of the platform repo: path relative to the repo, 1-based line and column."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, where it is, and what to do about it."""

    position: Position
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.position}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class DockyardError(Exception):
    """Base of every error Dockyard reports to a person."""

    exit_code = 1


class UsageError(DockyardError):
    """The command line is wrong (an unknown cluster, a missing repo): exit 2."""

    exit_code = 2


class InputError(DockyardError):
    """The platform repo is invalid. Carries every problem found, sorted by position."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.position, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


class ToolBuildError(DockyardError):
    """A binary of the local control plane could not be built from its Go module."""
