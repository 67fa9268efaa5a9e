"""The console's reading of the cluster: a reading started before a change never replaces one taken
after it (the catalog would show drift that was repaired, or hide drift just made)."""

from __future__ import annotations

import threading

from dockyard.console.live import LiveReader, Watched
from dockyard.errors import DockyardError


def test_a_slow_reading_never_replaces_a_newer_one() -> None:
    first_entered, release_first = threading.Event(), threading.Event()
    readings: list[str] = []

    def connect() -> object:
        this = f"reading {len(readings) + 1}"
        readings.append(this)
        if this == "reading 1":  # the background reading, slow, started before the change
            first_entered.set()
            release_first.wait(timeout=30)
        raise DockyardError(this)  # the reading's result, carried as its error

    reader = LiveReader(connect, lambda: Watched((), "", {}), "local")  # type: ignore[arg-type]
    slow = threading.Thread(target=reader.refresh)
    slow.start()
    assert first_entered.wait(timeout=30)
    asked_after = threading.Thread(target=reader.refresh)  # a page asks after the change
    asked_after.start()
    asked_after.join(timeout=0.5)  # an overlapping reading would be done by now; a serialized one waits
    release_first.set()
    slow.join(timeout=30)
    asked_after.join(timeout=30)
    assert readings == ["reading 1", "reading 2"]
    assert reader.current().error == "reading 2"
