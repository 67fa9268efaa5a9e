"""Find the platform repo and the files in it; read them without ever leaving the repo.

Layout (see docs/platform-repo.md):

    platform.yaml
    environments/<env>.yaml
    clusters/<cluster>.yaml
    services/<name>/score.yaml
    services/<name>/dockyard.yaml     (Dockyard's settings for the service)
    services/<name>/overrides/<env>.yaml
    services/<name>/secrets.yaml      (the service's encrypted secrets, SOPS)
    secrets/<layer>.yaml              (encrypted secrets: platform, an environment or a cluster)
    provisioners/<type>.yaml          (or <type>.<class>.yaml: for resources of that class)
    policies/<rule>.rego              (Dockyard's format, or conftest's)
    policies/<name>.yaml              (Gatekeeper ConstraintTemplates and Constraints)
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dockyard.errors import Position, Problem, Problems, UsageError
from dockyard.load import confined
from dockyard.load.words import did_you_mean
from dockyard.load.yamlsafe import MAX_FILE_BYTES

PLATFORM_FILE = "platform.yaml"
SETTINGS_FILE = "dockyard.yaml"
"""A service's Dockyard settings, beside its score.yaml."""
SECRETS_FILE = "secrets.yaml"
"""A service's own encrypted secrets (SOPS), beside its score.yaml."""


@dataclass(frozen=True)
class RepoFile:
    """A file of the platform repo: its kind, its path relative to the repo, its bytes."""

    kind: str
    """platform, environment, cluster, score, servicesettings, serviceoverride, provisioner, secrets, policy or
    gatekeeper."""
    path: str
    raw: bytes


def find_repo(start: Path) -> Path:
    """The platform repo containing `start`: the nearest directory upwards with a platform.yaml."""
    start = start.absolute()
    if not start.exists():
        raise UsageError(f"{start.name or start}: no such directory")
    for candidate in (start, *start.parents):
        if os.path.lexists(candidate / PLATFORM_FILE):  # a platform.yaml that is no file is said when it is read
            return candidate
    raise UsageError(
        f"no {PLATFORM_FILE} in {os.path.relpath(start)} or any parent directory; "
        "run `dockyard init DIR` to create a platform repo"
    )


def discover(root: Path, problems: Problems) -> tuple[list[RepoFile], list[tuple[str, str]]]:
    """Every platform repo file under `root`, in a stable order, problems with the layout, and
    (kind, path) of every file found, read or not (an unreadable file still exists).

    Directories are listed with os.scandir, which says for free whether an entry is a
    symlink; only paths that pass through a symlink pay for resolving where they lead.
    """
    found: list[tuple[str, str, bool]] = [("platform", PLATFORM_FILE, (root / PLATFORM_FILE).is_symlink())]
    for folder, kind in (
        ("environments", "environment"),
        ("clusters", "cluster"),
        ("provisioners", "provisioner"),
        ("secrets", "secrets"),
    ):
        found += [(kind, path, link) for path, link in _yaml_files(root, folder, None, problems)]
    services_linked = (root / "services").is_symlink()
    for entry in _entries(root, "services", problems):
        relative = f"services/{entry.name}"
        if not entry.is_dir():
            continue
        linked = services_linked or entry.is_symlink()
        inside = {e.name: e for e in _entries(root, relative, problems)}
        score = inside.get("score.yaml")
        if score is None:
            problems.append(
                Problem(
                    Position(relative, 1, 1),
                    "service directory has no score.yaml",
                    "add services/<name>/score.yaml, or remove the directory",
                )
            )
            continue
        found.append(("score", f"{relative}/score.yaml", linked or score.is_symlink()))
        settings = inside.get(SETTINGS_FILE)
        if settings is not None:
            found.append(("servicesettings", f"{relative}/{SETTINGS_FILE}", linked or settings.is_symlink()))
        secrets = inside.get(SECRETS_FILE)
        if secrets is not None:
            found.append(("secrets", f"{relative}/{SECRETS_FILE}", linked or secrets.is_symlink()))
        overrides = inside.get("overrides")
        if overrides is not None:
            found += [
                ("serviceoverride", path, link)
                for path, link in _yaml_files(root, f"{relative}/overrides", linked or overrides.is_symlink(), problems)
            ]
    found += [("policy", path, link) for path, link in _files_ending(root, "policies", ".rego", problems)]
    found += [("gatekeeper", path, link) for path, link in _yaml_files(root, "policies", None, problems)]
    files = []
    for kind, path, through_link in found:
        raw = read_inside(root, path, problems) if through_link else _read_plain(root, path, problems)
        if raw is not None:
            files.append(RepoFile(kind, path, raw))
    return files, [(kind, path) for kind, path, _link in found]


def _read_plain(root: Path, relative: str, problems: Problems) -> bytes | None:
    """Read a file reached without any symlinked directory: it cannot leave the repo (a symlink
    as the file itself is not followed), so it needs no resolving."""
    try:
        return confined.read_regular(root / relative, MAX_FILE_BYTES, "file")
    except confined.Refused:
        return read_inside(root, relative, problems)  # let the careful path say what is wrong


def _entries(root: Path, folder: str, problems: Problems) -> list[os.DirEntry[str]]:
    """The entries of `folder` by name; none if it does not exist (every folder is optional)."""
    try:
        with os.scandir(root / folder) as listing:
            return sorted(listing, key=lambda entry: entry.name)
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as error:
        reason = "it is a symbolic link loop" if error.errno == errno.ELOOP else error.strerror
        problems.append(Problem(Position(folder, 1, 1), f"cannot list `{folder}/`: {reason}"))
        return []


def read_inside(
    root: Path,
    relative: str,
    problems: Problems,
    referrer: Callable[[], Position] | None = None,
    written: str | None = None,
    limit: int = MAX_FILE_BYTES,
) -> bytes | None:
    """The bytes of `relative`, or None after recording why it cannot be read (see `confined`).

    `referrer` and `written` name the place that refers to the file and the path as
    written there, when the file is named by another file rather than found by layout.
    """

    def where() -> Position:
        return referrer() if referrer else Position(relative, 1, 1)

    shown = f"`{written}`" if written else f"`{relative}`"
    try:
        resolved = confined.resolve_inside(root, relative, shown)
        return confined.read_regular(resolved, limit, shown if written else "file")
    except confined.Refused as refused:
        message, hint = str(refused), refused.hint
        if refused.missing:
            message += f" (looked for {relative})" if written else ""
            hint = did_you_mean(Path(relative).name, _names_beside(root, relative))
        problems.append(Problem(where(), message, hint))
        return None


def _names_beside(root: Path, relative: str) -> list[str]:
    try:
        parent = confined.resolve_inside(root, str(Path(relative).parent))
        return sorted(entry.name for entry in os.scandir(parent))
    except (confined.Refused, OSError):
        return []


def _files_ending(root: Path, folder: str, suffix: str, problems: Problems) -> list[tuple[str, bool]]:
    linked = (root / folder).is_symlink()
    return [
        (f"{folder}/{entry.name}", linked or entry.is_symlink())
        for entry in _entries(root, folder, problems)
        if entry.name.endswith(suffix) and not entry.is_dir()
    ]


def _yaml_files(root: Path, folder: str, linked: bool | None, problems: Problems) -> list[tuple[str, bool]]:
    """(path, reached through a symlink) for each .yaml file in `folder`; `linked` says whether
    `folder` is reached through a symlink (None: look)."""
    linked = linked if linked is not None else (root / folder).is_symlink()
    paths = []
    for entry in _entries(root, folder, problems):
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
