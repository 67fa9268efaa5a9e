"""Find the platform repo and the files in it; read them without ever leaving the repo.

Layout (see docs/platform-repo.md):

    platform.yaml
    environments/<env>.yaml
    clusters/<cluster>.yaml
    services/<name>/score.yaml
    services/<name>/overrides/<env>.yaml
    provisioners/<type>.yaml
    policies/<rule>.rego
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dockyard.errors import Position, Problem, UsageError
from dockyard.load.words import did_you_mean

PLATFORM_FILE = "platform.yaml"


@dataclass(frozen=True)
class RepoFile:
    """A file of the platform repo: its kind, its path relative to the repo, its bytes."""

    kind: str
    """platform, environment, cluster, score or serviceoverride."""
    path: str
    raw: bytes


def find_repo(start: Path) -> Path:
    """The platform repo containing `start`: the nearest directory upwards with a platform.yaml."""
    start = start.absolute()
    if not start.exists():
        raise UsageError(f"{start.name or start}: no such directory")
    for candidate in (start, *start.parents):
        if (candidate / PLATFORM_FILE).is_file():
            return candidate
    raise UsageError(
        f"no {PLATFORM_FILE} in {os.path.relpath(start)} or any parent directory; "
        "run `dockyard init DIR` to create a platform repo"
    )


def inside(root: Path, relative: str) -> Path | None:
    """`root/relative` with every symlink resolved, or None if that leaves the repo."""
    resolved = (root / relative).resolve()
    try:
        resolved.relative_to(root.resolve())
    except ValueError:
        return None
    return resolved


def discover(root: Path) -> tuple[list[RepoFile], list[Problem]]:
    """Every platform repo file under `root`, in a stable order, and problems with the layout.

    Directories are listed with os.scandir, which says for free whether an entry is a
    symlink; only paths that pass through a symlink pay for resolving where they lead.
    """
    found: list[tuple[str, str, bool]] = [("platform", PLATFORM_FILE, (root / PLATFORM_FILE).is_symlink())]
    problems: list[Problem] = []
    for folder, kind in (("environments", "environment"), ("clusters", "cluster"), ("provisioners", "provisioner")):
        found += [(kind, path, link) for path, link in _yaml_files(root, folder, False, problems)]
    for entry in _entries(root / "services"):
        relative = f"services/{entry.name}"
        if not entry.is_dir():
            continue
        linked = entry.is_symlink()
        score = os.path.join(entry.path, "score.yaml")
        if not os.path.lexists(score):
            problems.append(
                Problem(
                    Position(relative, 1, 1),
                    "service directory has no score.yaml",
                    "add services/<name>/score.yaml, or remove the directory",
                )
            )
            continue
        found.append(("score", f"{relative}/score.yaml", linked or os.path.islink(score)))
        overrides = _yaml_files(root, f"{relative}/overrides", linked, problems)
        found += [("serviceoverride", path, link) for path, link in overrides]
    found += [("policy", path, link) for path, link in _files_ending(root, "policies", ".rego")]
    files = []
    for kind, path, through_link in found:
        raw = read_inside(root, path, problems) if through_link else _read_plain(root, path, problems)
        if raw is not None:
            files.append(RepoFile(kind, path, raw))
    return files, problems


def _read_plain(root: Path, relative: str, problems: list[Problem]) -> bytes | None:
    """Read a file reached without any symlink: it cannot leave the repo."""
    try:
        with open(os.path.join(root, relative), "rb") as stream:
            return stream.read()
    except OSError:
        return read_inside(root, relative, problems)  # let the careful path say what is wrong


def _entries(directory: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as listing:
            return sorted(listing, key=lambda entry: entry.name)
    except (FileNotFoundError, NotADirectoryError):
        return []


def read_inside(
    root: Path,
    relative: str,
    problems: list[Problem],
    referrer: Callable[[], Position] | None = None,
    written: str | None = None,
) -> bytes | None:
    """The bytes of `relative`, or None after recording why it cannot be read.

    `referrer` and `written` name the place that refers to the file and the path as
    written there, when the file is named by another file rather than found by layout.
    """

    def where() -> Position:
        return referrer() if referrer else Position(relative, 1, 1)

    shown = f"`{written}`" if written else f"`{relative}`"
    resolved = inside(root, relative)
    if resolved is None:
        problems.append(
            Problem(
                where(),
                f"{shown} resolves outside the platform repo",
                "files must live inside the repo; replace the symlink or `..` path with a real file",
            )
        )
        return None
    if not resolved.is_file():
        looked = f" (looked for {relative})" if written else ""
        missing = not resolved.exists()
        message = f"{shown} does not exist{looked}" if missing else f"{shown} is not a regular file"
        siblings = sorted(p.name for p in resolved.parent.iterdir()) if resolved.parent.is_dir() else []
        problems.append(Problem(where(), message, did_you_mean(resolved.name, siblings) if missing else None))
        return None
    try:
        return resolved.read_bytes()
    except OSError as error:
        problems.append(Problem(where(), f"cannot read `{relative}`: {error.strerror}"))
        return None


def _files_ending(root: Path, folder: str, suffix: str) -> list[tuple[str, bool]]:
    linked = (root / folder).is_symlink()
    return [
        (f"{folder}/{entry.name}", linked or entry.is_symlink())
        for entry in _entries(root / folder)
        if entry.name.endswith(suffix) and not entry.is_dir()
    ]


def _yaml_files(root: Path, folder: str, linked: bool, problems: list[Problem]) -> list[tuple[str, bool]]:
    """(path, reached through a symlink) for each .yaml file in `folder`."""
    linked = linked or (root / folder).is_symlink()
    paths = []
    for entry in _entries(root / folder):
        relative = f"{folder}/{entry.name}"
        stem, _dot, suffix = entry.name.rpartition(".")
        if entry.name.startswith(".") or entry.is_dir():
            continue
        if suffix == "yml":
            problems.append(
                Problem(Position(relative, 1, 1), "Dockyard reads `.yaml` files only", f"rename it to {stem}.yaml")
            )
        elif suffix == "yaml":
            paths.append((relative, linked or entry.is_symlink()))
    return paths
