"""charts.lock: the digest of every pulled chart, as go.sum records modules.

`dockyard charts pull` writes it; every render reads it and refuses a chart whose source is
not in it (unpinned), whose archive is missing, or whose bytes do not match the digest.
Entries are sorted by component name, so the file only changes when a pin changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from dockyard.atomic import write_atomic
from dockyard.charts.archive import MAX_ARCHIVE
from dockyard.charts.source import ChartSource
from dockyard.errors import InputError, Position, Problem
from dockyard.load import confined
from dockyard.load.yamlsafe import MAX_FILE_BYTES, Document, parse

LOCK_FILE = "charts.lock"
CHARTS_DIR = "charts"
HEADER = (
    "# Written by `dockyard charts pull`: the digest of every pinned chart under charts/.\n"
    "# Commit it with charts/; render refuses a chart that is missing or does not match.\n"
)


@dataclass(frozen=True)
class LockEntry:
    fields: dict[str, str]
    """The source's lock fields (kind, version, repository/oci/gomodule, path, chart)."""
    archive: str
    """Repo-relative path of the archive."""
    sha256: str
    origin_digest: str | None = None
    """The upstream's own digest when it has one (a Go module's h1: hash)."""

    def to_yaml(self) -> dict[str, Any]:
        data: dict[str, Any] = {**self.fields, "archive": self.archive, "sha256": self.sha256}
        if self.origin_digest:
            data["originDigest"] = self.origin_digest
        return data


@dataclass(frozen=True)
class Lock:
    entries: dict[str, LockEntry]
    document: Document | None = None

    def position(self, name: str) -> Position:
        if self.document is None:
            return Position(LOCK_FILE)
        return self.document.position(("charts", name), key=True)


def read(root: Path) -> Lock:
    """The repo's charts.lock (empty when there is none); InputError with what is wrong with it."""
    try:
        raw = confined.read_inside(root, LOCK_FILE, MAX_FILE_BYTES, f"`{LOCK_FILE}`")
    except confined.Refused as refused:
        if refused.missing:
            return Lock({})
        raise _refused(Position(LOCK_FILE, 1, 1), str(refused), refused.hint) from None
    document = parse(LOCK_FILE, raw)
    charts = document.data.get("charts") if isinstance(document.data, dict) else None
    if not isinstance(charts, dict):
        raise _refused(Position(LOCK_FILE, 1, 1), "charts.lock has no `charts` mapping", "run `dockyard charts pull`")
    entries = {}
    for name, data in charts.items():
        if not isinstance(data, dict) or not {"archive", "sha256", "version", "kind"} <= data.keys():
            raise _refused(
                document.position(("charts", name), key=True),
                f"charts.lock entry `{name}` lacks archive, sha256, version or kind",
                "run `dockyard charts pull` to write it again",
            )
        fields = {k: str(v) for k, v in data.items() if k not in ("archive", "sha256", "originDigest")}
        entries[name] = LockEntry(fields, str(data["archive"]), str(data["sha256"]), data.get("originDigest"))
    return Lock(entries, document)


def write(root: Path, entries: dict[str, LockEntry]) -> None:
    body = yaml.safe_dump(
        {"charts": {name: entries[name].to_yaml() for name in sorted(entries)}}, sort_keys=False, width=4096
    )
    write_atomic(root / LOCK_FILE, (HEADER + body).encode())


def verified_archive(root: Path, lock: Lock, component: str, source: ChartSource, where: Position) -> bytes:
    """The bytes of `component`'s archive, once its lock entry matches `source` and they match the
    digest; InputError with what does not match."""
    entry = lock.entries.get(component)
    pull = f"run `dockyard charts pull` and commit {CHARTS_DIR}/ and {LOCK_FILE}"
    if entry is None:
        raise _refused(where, f"component `{component}`: chart {source.origin} is not pinned in {LOCK_FILE}", pull)
    if entry.fields != source.lock_fields():
        raise _refused(
            lock.position(component),
            f"component `{component}`: {LOCK_FILE} pins {_describe(entry.fields)}, but the component asks for "
            f"{source.origin}",
            pull,
        )
    if not entry.archive.startswith(CHARTS_DIR + "/") or ".." in PurePosixPath(entry.archive).parts:
        raise _refused(
            lock.position(component), f"component `{component}`: archive `{entry.archive}` is outside charts/"
        )
    try:
        data = confined.read_inside(root, entry.archive, MAX_ARCHIVE, f"chart archive {entry.archive}")
    except confined.Refused as refused:
        if refused.missing:
            raise _refused(
                lock.position(component), f"component `{component}`: chart archive {entry.archive} is missing", pull
            ) from None
        raise _refused(lock.position(component), f"component `{component}`: {refused}") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != entry.sha256:
        raise _refused(
            lock.position(component),
            f"component `{component}`: {entry.archive} has sha256 {actual}, but {LOCK_FILE} pins {entry.sha256}",
            "the archive changed after it was pinned; restore it from version control, or pull it again "
            "if the change is intended",
        )
    return data


def _refused(where: Position, message: str, hint: str | None = None) -> InputError:
    return InputError([Problem(where, message, hint)])


def _describe(fields: dict[str, str]) -> str:
    source = ChartSource(
        name=fields.get("chart", "?"),
        version=fields.get("version", "?"),
        kind=fields.get("kind", "helm"),
        repository=fields.get("repository"),
        oci=fields.get("oci"),
        gomodule=fields.get("gomodule"),
        path=fields.get("path"),
    )
    return source.origin
