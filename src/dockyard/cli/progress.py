"""Progress for a person: a live display on a terminal, plain lines anywhere else.

On a terminal, the step under way is one line with a spinner and its elapsed time, and under it
what it waits for (the worst first); when the next step starts, the finished one is printed with
its duration. Not on a terminal (CI, a pipe, `--output json`), each step is one plain line, and a
wait is printed when what it waits for changes. Text from the cluster is printed escaped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

from dockyard.errors import printable
from dockyard.progress import Done, Waiting

SHOWN_REASONS = 5
"""How many of the things a step waits for are shown (the worst first)."""


class Display:
    """A progress callback (dockyard.progress.Progress) that draws; use it as a context manager."""

    def __init__(
        self,
        console: Console | None = None,
        *,
        live: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        plain_steps: bool = True,
    ) -> None:
        """`plain_steps`: in plain output, a step's own line too (else only how each ended)."""
        self.plain_steps = plain_steps
        self.console = console or Console(stderr=True, highlight=False)
        self.clock = clock
        self.live = self.console.is_terminal if live is None else live
        self.step: str | None = None
        self.started = 0.0
        self.waiting: Waiting | None = None
        self._live: Live | None = None

    def __enter__(self) -> Display:
        if self.live:
            self._live = Live(console=self.console, get_renderable=self._render, refresh_per_second=8, transient=True)
            self._live.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._finish(failed=kind is not None)
        if self._live is not None:
            self._live.stop()
            self._live = None

    def __call__(self, line: str) -> None:
        if isinstance(line, Waiting):
            self.waiting = line
            if not self.live:
                self._plain(line, line.reasons[:SHOWN_REASONS])
            return
        if isinstance(line, Done):
            if self.step is not None:
                self.step = str(line)
            if not self.live:
                self._plain(line, ())
            self._finish(failed=False)
            return
        self._finish(failed=False)
        self.step, self.started, self.waiting = str(line), self.clock(), None
        if not self.live and self.plain_steps:
            self._plain(line, ())

    def _finish(self, *, failed: bool) -> None:
        if self.step is None:
            return
        if self.live:
            elapsed = self.clock() - self.started
            mark = "✗" if failed else "✓"
            took = f" ({_duration(elapsed)})" if elapsed >= 1 else ""
            self.console.print(Text(f"{mark} {printable(self.step)}{took}"))
        self.step, self.waiting = None, None

    def _plain(self, line: str, reasons: tuple[str, ...]) -> None:
        self.console.print(Text(printable(line)), soft_wrap=True)
        for reason in reasons:
            self.console.print(Text(f"  {printable(reason)}", style="dim"), soft_wrap=True)

    def _render(self) -> RenderableType:
        if self.step is None:
            return Text("")
        elapsed = _duration(self.clock() - self.started)
        text = printable(self.waiting) if self.waiting is not None else printable(self.step)
        lines: list[RenderableType] = [Spinner("dots", Text(f"{text}  {elapsed}"))]
        if self.waiting is not None:
            reasons = self.waiting.reasons
            lines += [Text(f"    {printable(r)}", style="dim", overflow="ellipsis", no_wrap=True) for r in reasons[:5]]
            if len(reasons) > SHOWN_REASONS:
                lines.append(Text(f"    and {len(reasons) - SHOWN_REASONS} more", style="dim"))
        return Group(*lines)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
