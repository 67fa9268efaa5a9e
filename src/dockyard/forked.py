"""Run a function over a few items in processes forked from this one, in order: each child starts
with everything this process holds (the loaded repo, the contracts read), so nothing is sent to
it but an index, and only the results come back (they must pickle).

For work of pure Python that takes seconds per item (rendering a cluster), on a machine with more
than one core. Only a command's own process forks: the console and the sync controller run
threads that a fork would copy mid-work, and never call this.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from dockyard.load.parsed import in_forked_child

_function: Callable[[Any], Any] | None = None
_items: Sequence[Any] = ()


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def map_forked(function: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    """[function(item) for item in items], each in a forked process (at most one per core)."""
    global _function, _items
    _function, _items = function, items
    try:
        context = multiprocessing.get_context("fork")
        workers = max(1, min(cores(), len(items)))
        with ProcessPoolExecutor(workers, mp_context=context, initializer=in_forked_child) as pool:
            return list(pool.map(_run, range(len(items))))
    finally:
        _function, _items = None, ()


def _run(index: int) -> Any:
    assert _function is not None
    return _function(_items[index])
