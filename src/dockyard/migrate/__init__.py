"""`dockyard migrate`: move a platform repo to the schema of a Dockyard version, as a reviewable change.

    plan_migration(root, to) -> Migration (every file before and after, the steps that ran)
    Migration.diff()          -> a unified diff, as git shows it
    write_migration(root, m)  -> every changed file written whole (atomically), or nothing

Every file is read and every step run before anything is written: a step that cannot migrate a
file (a problem) stops the whole migration with nothing changed. Files are read with the same
confinement as `validate` (inside the repo, bounded) and written only where no symlink is on the
way. Running it again changes nothing.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from packaging.version import InvalidVersion, Version

from dockyard import __version__
from dockyard.atomic import write_atomic
from dockyard.errors import InputError, Position, Problem, Problems, UsageError
from dockyard.load.files import PLATFORM_FILE, discover
from dockyard.load.versions import CORE_KEY, needs_newer
from dockyard.load.yamlsafe import parse
from dockyard.migrate.roundtrip import Unreadable
from dockyard.migrate.steps import STEPS, Step, Tree

_KINDS = ("platform", "score", "serviceoverride", "servicesettings")


@dataclass(frozen=True)
class Migration:
    target: str
    steps: tuple[Step, ...]
    """The steps that changed something, in order."""
    before: dict[str, str | None]
    """Each changed file's text before (None: the migration creates it), by path."""
    after: dict[str, str]

    @property
    def changed(self) -> list[str]:
        return sorted(self.after)

    def diff(self) -> str:
        chunks: list[str] = []
        for path in self.changed:
            old = self.before[path]
            chunks += difflib.unified_diff(
                (old or "").splitlines(keepends=True),
                self.after[path].splitlines(keepends=True),
                "/dev/null" if old is None else f"a/{path}",
                f"b/{path}",
            )
        return "".join(chunks)


def target_version(to: str | None) -> str:
    """The version to migrate to: `to` (e.g. 0.2), at most the running Dockyard's."""
    if to is None:
        return __version__
    try:
        wanted = Version(to)
    except InvalidVersion:
        raise UsageError(f"--to {to}: not a version; give one such as {Version(__version__).base_version}") from None
    if wanted > Version(__version__):
        raise UsageError(
            f"--to {to}: this is Dockyard {__version__}, which knows no later schema; "
            f"install Dockyard {to} and run its `dockyard migrate`"
        )
    return str(wanted)


def plan_migration(root: Path, to: str | None = None) -> Migration:
    """What migrating the repo at `root` to `to` (default: this Dockyard) changes; InputError
    (nothing changed) when a file cannot be read or migrated."""
    target = target_version(to)
    problems = Problems()
    files, _found = discover(root, problems)
    tree: Tree = {}
    for file in files:
        if file.kind not in _KINDS:
            continue
        if problems.attempt(partial(parse, file.path, file.raw)) is not None:  # bounded and safe for ruamel
            tree[file.path] = file.raw.decode("utf-8")
    problems.raise_if_any()
    _forward_only(tree, target)
    original = dict(tree)
    ran = []
    for step in STEPS:
        if Version(step.since) > Version(target):
            continue
        snapshot = dict(tree)
        try:
            step.run(tree, target, problems)
        except Unreadable as error:
            problems.append(Problem(Position(error.path, 1, 1), f"cannot be rewritten as written: {error.reason}"))
        if tree != snapshot:
            ran.append(step)
    problems.raise_if_any()
    after = {path: text for path, text in tree.items() if original.get(path) != text}
    return Migration(target, tuple(ran), {path: original.get(path) for path in after}, after)


def _forward_only(tree: Tree, target: str) -> None:
    """Refuse to move a repo written for a newer Dockyard back to an older schema."""
    text = tree.get(PLATFORM_FILE)
    platform = Problems().attempt(partial(parse, PLATFORM_FILE, text.encode())) if text is not None else None
    if platform is None or not isinstance(platform.data, dict):
        return
    written = platform.data.get(CORE_KEY)
    if isinstance(written, str) and needs_newer(written, target):
        raise InputError(
            [
                Problem(
                    platform.position((CORE_KEY,)),
                    f"this repo is written for Dockyard {written}; migrate moves a repo forward only, "
                    f"and {target} is older",
                    f"install a Dockyard in that range (uv tool install 'dockyard{written}')",
                )
            ]
        )


def write_migration(root: Path, migration: Migration) -> list[str]:
    """Write every changed file (each whole, by rename); refuse first if any lies behind a symlink."""
    for path in migration.changed:
        linked = _symlink_on_the_way(root, path)
        if linked:
            raise InputError(
                [
                    Problem(
                        Position(path, 1, 1),
                        f"`{linked}` is a symbolic link: migrate rewrites files in place and follows none",
                        "migrate the repo the link points to, or replace the link with the files",
                    )
                ]
            )
    for path in migration.changed:
        existing = root / path
        mode = existing.stat().st_mode & 0o777 if existing.exists() else 0o644
        write_atomic(existing, migration.after[path].encode("utf-8"), mode)
    return migration.changed


def _symlink_on_the_way(root: Path, relative: str) -> str | None:
    walked = root
    for part in Path(relative).parts:
        walked = walked / part
        if os.path.islink(walked):
            return str(walked.relative_to(root))
    return None
