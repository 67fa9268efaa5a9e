"""What a long step says while it runs, for a front end to show as lines or as a live display.

A progress callback gets text: each line starts a step (the previous step is done). A `Waiting`
line is the same step still waiting, and for what; a live display shows it in place, plain output
prints it only when what is waited for changes. A `Done` line ends the step with what came of
it. Producers (apply's health waits, tool builds, the local control plane, chart pulls) never
know which front end listens.
"""

from __future__ import annotations

from collections.abc import Callable


class Waiting(str):
    """`text` of a step still under way, with the reasons it is waiting (the worst first)."""

    reasons: tuple[str, ...]

    def __new__(cls, text: str, reasons: tuple[str, ...] = ()) -> Waiting:
        made = super().__new__(cls, text)
        made.reasons = reasons
        return made


class Done(str):
    """The step under way is over: `text` says how it ended (a live display prints it instead of
    the step's own text)."""


Progress = Callable[[str], None]
"""A front end's ear: plain lines, `Waiting` lines among them."""
