"""Which secret keys changed: between two versions of the values, or two revisions of the repo.
Only keys are ever reported, never a value."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from dockyard.errors import UsageError
from dockyard.secrets import keys, sopsfile
from dockyard.secrets.sopsfile import same
from dockyard.secrets.store import SecretsError, files, flatten, layer_file, read_raw

Change = tuple[str, str]
"""(added | changed | removed, dotted key)."""


def changed_keys(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    old, new = dict(flatten(before)), dict(flatten(after))
    changes = [("removed", k) for k in old if k not in new]
    changes += [("added", k) for k in new if k not in old]
    changes += [("changed", k) for k in new if k in old and not same(old[k], new[k])]
    return sorted(changes, key=lambda change: (change[1], change[0]))


def diff_revisions(root: Path, base: str, head: str | None, found: keys.Identities) -> list[str]:
    """One line per changed key of every secrets file, `base` against `head` (None: the work tree)."""
    for revision in (base, head):
        if revision is not None and (not revision or revision.startswith("-")):
            raise UsageError(f"not a revision: `{revision}`")
    top = _git(root, "rev-parse", "--show-toplevel").strip()
    prefix = str(root.resolve().relative_to(Path(top).resolve()))
    prefix = "" if prefix == "." else prefix + "/"
    paths = sorted(set(_tracked(root, base, prefix)) | set(_tracked(root, head, prefix) if head else []))
    if head is None:
        paths = sorted(set(paths) | {f.relative for f in files(root)})
    lines = []
    for relative in paths:
        before = _open(relative, _at(root, base, prefix + relative), found)
        after = _open(
            relative, _at(root, head, prefix + relative) if head else read_raw(layer_file(root, relative)), found
        )
        if before is None and after is None:
            continue
        changes = changed_keys(before.values if before else {}, after.values if after else {})
        lines += [f"{relative}: {kind} {name}" for kind, name in changes]
        if not changes and before and after and before.data_key != after.data_key:
            lines.append(f"{relative}: rotated (a new data key; no value changed)")
    return lines


def _open(relative: str, raw: bytes | None, found: keys.Identities) -> sopsfile.Opened | None:
    if raw is None:
        return None
    try:
        return sopsfile.open_file(relative, raw, found.keys)
    except sopsfile.SecretsLocked as locked:
        raise SecretsError(f"{locked}; looked for age keys in {', '.join(found.looked)}") from None


def _tracked(root: Path, revision: str, prefix: str) -> list[str]:
    listed = _git(root, "ls-tree", "-r", "--name-only", revision, "--", prefix + "secrets", prefix + "services")
    names = [line.removeprefix(prefix) for line in listed.splitlines()]
    return [n for n in names if _is_layer(n)]


def _is_layer(relative: str) -> bool:
    try:
        layer_file(Path("."), relative)
    except UsageError:
        return False
    return True


def _at(root: Path, revision: str, path: str) -> bytes | None:
    shown = subprocess.run(["git", "-C", str(root), "show", f"{revision}:{path}"], capture_output=True, check=False)
    return shown.stdout if shown.returncode == 0 else None


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise UsageError("git is not installed") from None
    if done.returncode != 0:
        raise UsageError(f"git {args[0]}: {done.stderr.strip() or 'failed'}")
    return done.stdout
