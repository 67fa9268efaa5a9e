"""`dockyard charts pull`: download every pinned chart into charts/ and record its digest.

A chart already in charts.lock is downloaded only when its archive is missing, and the new
bytes must match the recorded digest (a changed upstream archive is refused, as go.sum
refuses a changed module). A chart not yet in the lock is downloaded and its digest recorded.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dockyard.atomic import write_atomic
from dockyard.charts import gomodule, lock
from dockyard.charts.archive import MAX_ARCHIVE, pack
from dockyard.charts.helm import Helm, HelmFailed
from dockyard.charts.source import ChartSource
from dockyard.errors import InputError
from dockyard.load import confined
from dockyard.progress import Progress


class PullFailed(Exception):
    """One chart could not be pulled or did not match its pin; the message names it."""


@dataclass(frozen=True)
class Pulled:
    name: str
    source: ChartSource
    action: str
    """`verified` (already there), `downloaded` (restored, digest matched), `pinned` (new digest), or
    `removed` (no component uses it any more; its archive is deleted)."""


def pull_all(
    root: Path,
    components: dict[str, ChartSource],
    helm: Helm,
    progress: Callable[[Pulled], None] = lambda _p: None,
    *,
    tidy: bool = False,
    starting: Progress = lambda _line: None,
) -> list[Pulled]:
    """Pull `components`; with `tidy` (every cluster's components given), also drop the pins and
    archives no component uses any more, as `go mod tidy` does. `starting` hears of each chart
    before it is pulled, `progress` of what came of it."""
    try:
        current = lock.read(root)
    except InputError as error:
        raise PullFailed(str(error)) from None
    charts = _charts_directory(root)
    entries = dict(current.entries)
    results = []
    failures = []
    for name in sorted(components):
        source = components[name]
        starting(f"pulling {name}  {source.origin}")
        try:
            result, entry = _pull_one(charts, name, source, entries.get(name), helm)
        except PullFailed as error:
            failures.append(f"`{name}`: {error}")
            continue
        entries[name] = entry
        results.append(result)
        progress(result)
    if tidy and not failures:
        for name in sorted(set(entries) - set(components)):
            removed = entries.pop(name)
            _remove_archive(charts, removed.archive)
            progress(
                Pulled(
                    name,
                    ChartSource(name=removed.fields.get("chart", name), version=removed.fields.get("version", "")),
                    "removed",
                )
            )
    in_use = {entry.archive for entry in entries.values()}
    for name in sorted(components):
        stale = {e.archive for n, e in current.entries.items() if n == name} - in_use
        for archive in stale:  # an older version of a chart still pinned by another name is kept
            _remove_archive(charts, archive)
    if entries != current.entries or not (root / lock.LOCK_FILE).exists():
        try:
            lock.write(root, entries)
        except OSError as error:
            raise PullFailed(f"cannot write {lock.LOCK_FILE}: {error.strerror}") from None
    if failures:
        raise PullFailed("\n".join(failures))
    return results


def _charts_directory(root: Path) -> Path:
    """charts/ (created if missing), resolved; PullFailed if it leads out of the repo."""
    try:
        charts = confined.resolve_inside(root, lock.CHARTS_DIR, f"`{lock.CHARTS_DIR}/`")
    except confined.Refused as refused:
        raise PullFailed(f"{refused}; Dockyard writes charts only inside the platform repo") from None
    try:
        charts.mkdir(exist_ok=True)
    except OSError as error:
        raise PullFailed(f"cannot create {lock.CHARTS_DIR}/: {error.strerror}") from None
    if not charts.is_dir():
        raise PullFailed(f"{lock.CHARTS_DIR} is not a directory")
    return charts


def _remove_archive(charts: Path, archive: str) -> None:
    """Delete a pinned archive no longer used: only a plain file directly in charts/."""
    folder, _slash, name = archive.partition("/")
    if folder != lock.CHARTS_DIR or not name or "/" in name or name in (".", ".."):
        return
    with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
        os.unlink(charts / name)  # a symlink there is removed itself, never its target


def _current_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(confined.read_regular(path, MAX_ARCHIVE, path.name)).hexdigest()
    except confined.Refused:
        return None


def _pull_one(
    charts: Path, name: str, source: ChartSource, entry: lock.LockEntry | None, helm: Helm
) -> tuple[Pulled, lock.LockEntry]:
    archive_path = f"{lock.CHARTS_DIR}/{source.archive_name()}"
    target = charts / source.archive_name()
    pinned = entry is not None and entry.fields == source.lock_fields()
    if pinned and entry is not None and _current_digest(target) == entry.sha256:
        return Pulled(name, source, "verified"), entry
    data, origin = _download(source, helm)
    digest = _sha256(data)
    if pinned and entry is not None and digest != entry.sha256:
        raise PullFailed(
            f"{source.origin} now has sha256 {digest}, but {lock.LOCK_FILE} pins {entry.sha256}; "
            "the upstream archive changed since it was pinned. Find out why before you remove the entry "
            f"from {lock.LOCK_FILE} to accept it"
        )
    try:
        write_atomic(charts / target.name, data)
    except OSError as error:
        raise PullFailed(f"cannot write {archive_path}: {error.strerror}") from None
    new_entry = lock.LockEntry(source.lock_fields(), archive_path, digest, origin)
    return Pulled(name, source, "downloaded" if pinned else "pinned"), new_entry


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _download(source: ChartSource, helm: Helm) -> tuple[bytes, str | None]:
    """The archive's bytes and the upstream's own digest, if it has one."""
    if source.gomodule:
        try:
            module, origin = gomodule.download(source)
            return pack(gomodule.select(module, source)), origin
        except gomodule.FetchFailed as error:
            raise PullFailed(f"{source.origin}: {error}") from None
    reference = [source.oci] if source.oci else [source.name, "--repo", str(source.repository)]
    with tempfile.TemporaryDirectory(prefix="dockyard-pull-") as scratch:
        try:
            archive = helm.pull(reference, source.version, Path(scratch))
        except HelmFailed as error:
            raise PullFailed(f"{source.origin}: {error}") from None
        try:
            return confined.read_regular(archive, MAX_ARCHIVE, archive.name), None
        except confined.Refused as refused:
            raise PullFailed(f"{source.origin}: {refused}") from None
