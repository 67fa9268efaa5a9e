"""The console's view of the platform repo for one cluster: loaded, merged and rendered once per
change of the repo's files, through the same actions as `dockyard validate` and `render`."""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dockyard import actions
from dockyard.console.catalog import Card, Owned, catalog, objects_by_service
from dockyard.errors import DockyardError, InputError, Position, Problem
from dockyard.load.parsed import write_parse_cache
from dockyard.load.repo import Repo
from dockyard.model.platform import Platform
from dockyard.render.bundle import Bundle, Stage
from dockyard.render.object_id import ObjectId
from dockyard.render.platform import Part

WATCHED = (
    *("platform.yaml", "environments", "clusters", "services", "provisioners", "secrets", "policies"),
    "charts.lock",
)
"""What a snapshot is made of; a change of any file under these makes a new one."""

Stamp = tuple[tuple[str, int, int], ...]


def stamp(root: Path) -> Stamp:
    """Every watched file's path, size and modification time (one scandir per directory)."""
    found: list[tuple[str, int, int]] = []
    pending = [name for name in WATCHED]
    while pending:
        relative = pending.pop()
        try:
            entries = list(os.scandir(root / relative))
        except NotADirectoryError:
            info = (root / relative).stat()
            found.append((relative, info.st_size, info.st_mtime_ns))
            continue
        except OSError:
            continue
        for entry in entries:
            path = f"{relative}/{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                pending.append(path)
            else:
                info = entry.stat(follow_symlinks=False)
                found.append((path, info.st_size, info.st_mtime_ns))
    return tuple(sorted(found))


@dataclass(frozen=True)
class Snapshot:
    """One cluster's services as the repo's files say now, or why they cannot be shown."""

    cluster: str
    repo: Repo | None
    platform: Platform | None
    bundle: Bundle | None
    cards: tuple[Card, ...] = ()
    problems: tuple[Problem, ...] = ()
    """Why the repo does not load or render (the catalog is then empty)."""
    by_name: Mapping[str, Card] = field(default_factory=dict)
    owned: Mapping[ObjectId, Owned] = field(default_factory=dict)
    """Each object the render gives a service (the teams' namespace objects are no one service's)."""

    @property
    def teams(self) -> tuple[str, ...]:
        return tuple(sorted({c.team for c in self.cards if c.team}))


def take(root: Path, cluster: str) -> Snapshot:
    """Load, merge and render the services of `cluster` (their problems when they cannot be)."""
    try:
        return _take(root, cluster)
    finally:
        write_parse_cache()  # what this look parsed, for the next process too


def _take(root: Path, cluster: str) -> Snapshot:
    try:
        repo = actions.load_repo(root)
        platform = actions.platform_for(repo, cluster)
        bundle = actions.render_for(platform, Part.SERVICES)
    except InputError as error:
        return Snapshot(cluster, None, None, None, problems=tuple(error.problems))
    except DockyardError as error:
        return Snapshot(cluster, None, None, None, problems=(Problem(Position("platform.yaml"), str(error)),))
    cards = catalog(platform, bundle)
    owned = {
        ObjectId.of(rendered.manifest): Owned(str(rendered.manifest["apiVersion"]), service)
        for service, objects in objects_by_service(bundle).items()
        for rendered in objects
        if rendered.stage != Stage.NAMESPACES
    }
    return Snapshot(cluster, repo, platform, bundle, cards, by_name={c.name: c for c in cards}, owned=owned)


class Snapshots:
    """The newest snapshot; the repo's files are looked at no more than once per `recheck` seconds
    (and always after `forget`, which the console calls after its own commits)."""

    def __init__(self, root: Path, cluster: str, *, recheck: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self.root = root
        self.cluster = cluster
        self.recheck = recheck
        self.clock = clock
        self._lock = threading.Lock()
        self._stamp: Stamp | None = None
        self._checked = float("-inf")
        self._snapshot: Snapshot | None = None

    def current(self) -> Snapshot:
        with self._lock:
            now = self.clock()
            if self._snapshot is not None and now - self._checked < self.recheck:
                return self._snapshot
            self._checked = now
            seen = stamp(self.root)
            if self._snapshot is None or seen != self._stamp:
                self._snapshot = take(self.root, self.cluster)
                self._stamp = seen
                _settle()
            return self._snapshot

    def forget(self) -> None:
        with self._lock:
            self._checked = float("-inf")


def _settle() -> None:
    """Keep the collector off the snapshot: its hundreds of thousands of long-lived objects would
    otherwise be walked by every full collection a request's garbage sets off (about 0.2 s each at
    1,000 services). The previous snapshot is collected once, here."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
