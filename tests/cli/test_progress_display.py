"""The progress display: live on a terminal, plain lines elsewhere, cluster text escaped."""

from __future__ import annotations

import io

from rich.console import Console

from dockyard.cli.progress import Display
from dockyard.progress import Done, Waiting


def _console(terminal: bool) -> tuple[Console, io.StringIO]:
    stream = io.StringIO()
    return Console(file=stream, force_terminal=terminal, width=100, color_system=None), stream


def test_plain_lines_say_each_step_and_each_change_of_what_a_wait_waits_for() -> None:
    console, stream = _console(terminal=False)
    with Display(console) as display:
        display("applying 3 of 3 services")
        display(Waiting("waiting for 2 services to become healthy", ("Deployment shop/a: progressing: 0/1 ready",)))
        display(Waiting("waiting for 1 services to become healthy", tuple(f"Job shop/j{i}: missing" for i in range(7))))
        display("pruning 1 objects no longer rendered")
    assert stream.getvalue().splitlines() == [
        "applying 3 of 3 services",
        "waiting for 2 services to become healthy",
        "  Deployment shop/a: progressing: 0/1 ready",
        "waiting for 1 services to become healthy",
        *(f"  Job shop/j{i}: missing" for i in range(5)),
        "pruning 1 objects no longer rendered",
    ]


def test_on_a_terminal_each_finished_step_is_printed_with_its_time() -> None:
    ticks = iter([0.0, 0.2, 10.0, 12.5, 13.0, 13.0, 13.0])
    console, stream = _console(terminal=True)
    display = Display(console, live=True, clock=lambda: next(ticks, 13.0))  # not entered: no live region drawn
    display("building etcd v3.6.5")
    display("building kubernetes v1.36.3")
    display(Waiting("waiting for 1 platform-services to become healthy", ("StatefulSet x/y: progressing",)))
    display("cached helm")
    display.__exit__(None, None, None)
    assert stream.getvalue().splitlines() == [
        "✓ building etcd v3.6.5",
        "✓ building kubernetes v1.36.3 (2.5s)",
        "✓ cached helm",
    ]


def test_text_from_the_cluster_cannot_act_on_the_terminal() -> None:
    console, stream = _console(terminal=False)
    with Display(console) as display:
        display(Waiting("waiting for 1 services", ("Pod a/b: degraded: \x1b[2Jcleared\nforged:1:1: line",)))
    assert "\x1b" not in stream.getvalue()
    assert stream.getvalue().splitlines()[1] == "  Pod a/b: degraded: \\x1b[2Jcleared\\nforged:1:1: line"


def test_a_step_ends_with_what_came_of_it() -> None:
    """Chart pulls: on a terminal the finished line says how the pull ended; plain, only that is said."""
    ticks = iter([0.0, 3.0, 3.0, 3.5])
    console, stream = _console(terminal=True)
    display = Display(console, live=True, clock=lambda: next(ticks, 3.5))
    display("pulling hello  oci://registry.example.org/hello 1.0.0")
    display(Done("    pinned  hello  oci://registry.example.org/hello 1.0.0"))
    display("pulling world  oci://registry.example.org/world 2.0.0")
    display(Done("  verified  world  oci://registry.example.org/world 2.0.0"))
    assert stream.getvalue().splitlines() == [
        "✓     pinned  hello  oci://registry.example.org/hello 1.0.0 (3.0s)",
        "✓   verified  world  oci://registry.example.org/world 2.0.0",
    ]
    console, stream = _console(terminal=False)
    with Display(console, plain_steps=False) as plain:
        plain("pulling hello  oci://registry.example.org/hello 1.0.0")
        plain(Done("    pinned  hello  oci://registry.example.org/hello 1.0.0"))
    assert stream.getvalue() == "    pinned  hello  oci://registry.example.org/hello 1.0.0\n"
