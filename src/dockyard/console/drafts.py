"""A draft judged by the same pipeline as `dockyard validate`, before anything is written to the repo.

The draft's files are laid over a private copy of the repo's platform files (never the repo
itself) and loaded, merged and rendered from there, so every problem comes with the file:line the
draft would have. Live checks while a person types copy only the services the draft calls; a
commit is checked against every service and every cluster first."""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from dockyard import actions
from dockyard.console.catalog import objects_by_service
from dockyard.errors import DockyardError, InputError, Position, Problem
from dockyard.load.files import read_inside
from dockyard.render.bundle import to_yaml
from dockyard.render.platform import Part
from dockyard.render.services import render as render_services

PLATFORM_FILES = ("platform.yaml", "environments", "clusters", "provisioners", "secrets", "policies", "charts.lock")


def live_problems(root: Path, cluster: str, draft_files: Mapping[str, bytes], peers: Iterable[str]) -> list[Problem]:
    """What is wrong with the draft for `cluster`, next to the services it calls (`peers`): only
    what a caller sees of them (ports, settings, API contract) is copied, and their own problems
    are left to `commit_problems`."""
    peer_folders = tuple(f"services/{name}/" for name in peers)
    with _overlay(root, draft_files, peers, shallow=True) as folder:
        try:
            repo = actions.load_repo(folder)
            platform = actions.platform_for(repo, cluster)
            render_services(dataclasses.replace(platform, root=root))
        except InputError as error:
            return [p for p in error.problems if not p.position.file.startswith(peer_folders)]
        except DockyardError as error:
            return [Problem(Position(next(iter(draft_files), "")), str(error))]
    return []


def commit_problems(root: Path, draft_files: Mapping[str, bytes], every_service: Iterable[str]) -> list[Problem]:
    """What `dockyard validate` would say about the repo with the draft in it, every cluster."""
    with _overlay(root, draft_files, every_service) as folder:
        try:
            repo = actions.load_repo(folder)
            repo.root = root  # the pulled charts are the repo's own
            validated = actions.validate_repo(repo)
        except InputError as error:
            return list(error.problems)
        except DockyardError as error:
            return [Problem(Position(next(iter(draft_files), "")), str(error))]
    return list(validated.errors)


def rendered_preview(root: Path, cluster: str, draft_files: Mapping[str, bytes], peers: Iterable[str]) -> str:
    """The objects the draft renders to for `cluster`, as YAML (no secret value is ever in a render)."""
    service = next(iter(draft_files)).split("/")[1]
    with _overlay(root, draft_files, peers) as folder:
        platform = actions.platform_for(actions.load_repo(folder), cluster)
        bundle = actions.render_for(dataclasses.replace(platform, root=root), Part.SERVICES)
    return to_yaml([r.manifest for r in objects_by_service(bundle).get(service, [])])


class _overlay:
    """A private folder with the repo's platform files, the services named, and the draft's files."""

    def __init__(
        self, root: Path, draft_files: Mapping[str, bytes], services: Iterable[str], *, shallow: bool = False
    ) -> None:
        self.root = root
        self.draft_files = draft_files
        self.drafted = {path.split("/")[1] for path in draft_files}
        self.services = sorted(
            set(services) | self.drafted
        )  # a drafted service's other files (contract, overrides) too
        self.shallow = shallow

    def __enter__(self) -> Path:
        self.folder = Path(tempfile.mkdtemp(prefix="dockyard-draft-"))
        for name in PLATFORM_FILES:
            _copy(self.root, name, self.folder)
        for service in self.services:
            _copy(self.root, f"services/{service}", self.folder)
            if self.shallow and service not in self.drafted:
                _as_callee(self.folder / "services" / service / "score.yaml")
        for path, data in self.draft_files.items():
            target = self.folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return self.folder

    def __exit__(self, *_exc: object) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


CALLEE_KEYS = ("apiVersion", "metadata", "containers", "service")


def _as_callee(score: Path) -> None:
    """A peer as its callers see it: its containers, ports and API; not what it calls or uses
    (which would need its own peers, and theirs)."""
    try:
        document = yaml.safe_load(score.read_bytes())
    except (OSError, yaml.YAMLError):
        return  # left as it is, for the loader to report
    if not isinstance(document, dict):
        return
    kept = {k: v for k, v in document.items() if k in CALLEE_KEYS}
    resources = document.get("resources")
    if isinstance(resources, dict):
        apis = {k: v for k, v in resources.items() if isinstance(v, dict) and v.get("type") == "api"}
        if apis:
            kept["resources"] = apis
    score.write_text(yaml.safe_dump(kept, sort_keys=False))


def _copy(root: Path, relative: str, folder: Path) -> None:
    """Copy a repo file or folder, regular files only, each read as the loader reads it (confined to
    the repo, bounded, symlinks resolved inside it); what cannot be read is left for the loader to
    report."""
    source = root / relative
    if source.is_dir() and not source.is_symlink():
        for top, directories, names in os.walk(source):  # symlinked folders are not entered
            directories.sort()
            for name in sorted(names):
                _copy_file(root, (Path(top) / name).relative_to(root).as_posix(), folder)
    elif source.is_symlink() or source.is_file():
        _copy_file(root, relative, folder)


def _copy_file(root: Path, relative: str, folder: Path) -> None:
    data = read_inside(root, relative, [])
    if data is not None:
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
