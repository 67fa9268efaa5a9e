"""A draft judged by the same pipeline as `dockyard validate`, before anything is written to the repo.

The draft's files are laid over a private copy of the repo's platform files (never the repo
itself) and loaded, merged and rendered from there, so every problem comes with the file:line the
draft would have. Live checks while a person types copy only the services the draft calls; a
commit is checked against every service and every cluster first."""

from __future__ import annotations

import dataclasses
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from dockyard import actions
from dockyard.check.findings import Finding, Severity
from dockyard.check.run import run_checks
from dockyard.console.catalog import objects_by_service
from dockyard.errors import DockyardError, InputError, Position, Problem, Problems
from dockyard.load.confined import Refused, resolve_inside
from dockyard.load.files import read_inside
from dockyard.load.repo import Repo
from dockyard.model.platform import Platform
from dockyard.render.bundle import Bundle, to_yaml
from dockyard.render.platform import Part
from dockyard.render.services import render as render_services

PLATFORM_FILES = ("platform.yaml", "environments", "clusters", "provisioners", "secrets", "policies", "charts.lock")


@dataclass(frozen=True)
class Judged:
    problems: tuple[Problem, ...]
    """What is wrong with the draft (the pipeline's problems, then the checks' denials of its objects)."""
    rules: tuple[str, ...]
    """Per problem, the check rule that denied it ("" for the pipeline's own problems)."""
    notes: tuple[str, ...] = ()
    """What could not be judged here, and who judges it instead."""
    preview: str = ""
    """The objects the draft renders to, as YAML (no Secret value is ever in a render)."""


def live_problems(root: Path, cluster: str, draft_files: Mapping[str, bytes], peers: Iterable[str]) -> Judged:
    """What is wrong with the draft for `cluster`, next to the services it calls (`peers`): only
    what a caller sees of them (ports, settings, API contract) is copied, and their own problems
    are left to `commit_problems`. Each of the draft's objects is checked on its own (schemas and
    policies): the wiring needs the platform's components, which a commit renders."""
    peer_folders = tuple(f"services/{name}/" for name in peers)
    with _overlay(root, draft_files, peers, shallow=True) as folder:
        try:
            repo = actions.load_repo(folder)
            platform = dataclasses.replace(actions.platform_for(repo, cluster), root=root)
            bundle = render_services(platform)
        except InputError as error:
            return _pipeline([p for p in error.problems if not p.position.file.startswith(peer_folders)])
        except DockyardError as error:
            return _pipeline([Problem(Position(next(iter(draft_files), "")), str(error))])
        judged = _denied(run_checks(platform, bundle, each_object_only=True), draft_files)
        service = next(iter(draft_files)).split("/")[1]
        preview = to_yaml([r.manifest for r in objects_by_service(bundle).get(service, [])])
        return dataclasses.replace(judged, preview=preview)


def commit_problems(root: Path, draft_files: Mapping[str, bytes], every_service: Iterable[str]) -> Judged:
    """What `dockyard validate` and `dockyard check` would say of the draft's files with the draft
    in the repo, for every cluster. Each cluster's services are rendered once: validate's render is
    the one the platform's render and the checks use."""
    with _overlay(root, draft_files, every_service) as folder:
        try:
            repo = actions.load_repo(folder)
            repo.root = root  # the pulled charts are the repo's own
            validated = _validated(repo)
        except InputError as error:
            return _pipeline(list(error.problems))
        except DockyardError as error:
            return _pipeline([Problem(Position(next(iter(draft_files), "")), str(error))])
        if isinstance(validated, Judged):
            return validated
        problems: list[Problem] = []
        rules: list[str] = []
        notes: list[str] = []
        for cluster, (platform, services) in validated.items():
            try:
                findings = run_checks(platform, actions.render_for(platform, services=services))
            except DockyardError as error:
                notes.append(
                    f"cluster {cluster}: the platform's components could not be rendered here ({error}); each of "
                    "the service's objects was checked on its own, and `dockyard check` checks the wiring"
                )
                findings = run_checks(
                    platform, actions.render_for(platform, Part.SERVICES, services=services), each_object_only=True
                )
            judged = _denied(findings, draft_files)
            for problem, rule in zip(judged.problems, judged.rules, strict=True):
                if problem not in problems:
                    problems.append(problem)
                    rules.append(rule)
        return Judged(tuple(problems), tuple(rules), tuple(notes))


def _validated(repo: Repo) -> dict[str, tuple[Platform, Bundle]] | Judged:
    """What `validate` finds for every cluster (its problems, when it finds any), or each cluster's
    platform with its services rendered."""
    everything = Problems()
    clusters: dict[str, tuple[Platform, Bundle]] = {}
    for name in sorted(repo.clusters):
        platform, services, found = actions.judge_cluster(repo, name)
        everything.merge(found)
        if platform is not None and services is not None:
            clusters[name] = (platform, services)
    if everything.errors:
        return _pipeline(list(everything.errors))
    return clusters


def draft_plan(
    root: Path,
    cluster: str,
    draft_files: Mapping[str, bytes],
    every_service: Iterable[str],
    kubeconfig: Path | None,
    context: str | None,
) -> actions.Planned:
    """The plan of the whole platform with the draft in the repo against `cluster` (as `dockyard
    plan` would make it once the draft is committed): dry runs only, nothing is written anywhere."""
    with _overlay(root, draft_files, every_service) as folder:
        repo = actions.load_repo(folder)
        repo.root = root  # the pulled charts are the repo's own
        platform = actions.platform_for(repo, cluster)
        return actions.plan_platform(platform, kubeconfig=kubeconfig, context=context)


def _pipeline(problems: list[Problem]) -> Judged:
    return Judged(tuple(problems), ("",) * len(problems))


def _denied(findings: Iterable[Finding], draft_files: Mapping[str, bytes]) -> Judged:
    """The deny findings about the draft's own objects, as problems at the line that made them."""
    denied = [f for f in findings if f.severity == Severity.DENY and f.source.file in draft_files]
    problems = tuple(
        Problem(f.source, f"{f.object}:{f' {f.path}:' if f.path else ''} {f.message} [{f.rule}]") for f in denied
    )
    return Judged(problems, tuple(f.rule for f in denied))


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
            target = (self.folder / path).resolve()
            if not target.is_relative_to(self.folder.resolve() / "services"):
                raise DockyardError(f"{path} is outside the repo's services/ folder; nothing was written")
            target.parent.mkdir(parents=True, exist_ok=True)
            _replace(target, data)
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
    _replace(score, yaml.safe_dump(kept, sort_keys=False).encode())


def _copy(root: Path, relative: str, folder: Path) -> None:
    """Copy a repo file or folder, regular files only, each read as the loader reads it (confined to
    the repo, bounded, symlinks resolved inside it); what cannot be read is left for the loader to
    report. A folder is walked through descriptors (`os.fwalk`): the folder opened must be the one
    the repo holds at `relative` (resolved inside it), each folder below is opened from its parent
    without following a symlink, and each regular file is linked from its folder's descriptor, so
    a folder swapped for a symlink meanwhile (a pull into the working tree) leads nowhere else.
    Nothing named `.git` is copied."""
    source = root / relative
    if source.is_dir() and not source.is_symlink():
        made: set[Path] = set()
        for current, directories, names, descriptor in os.fwalk(source, follow_symlinks=False):
            if current == str(source) and not _is_inside(root, relative, descriptor):
                return  # its files cannot be read either: left for the loader to report
            directories[:] = sorted(d for d in directories if d != ".git")
            inner = Path(current).relative_to(source)
            for name in sorted(n for n in names if n != ".git"):
                _copy_file(root, (Path(relative) / inner / name).as_posix(), folder, (descriptor, name), made)
    elif source.is_symlink() or source.is_file():
        _copy_file(root, relative, folder)


def _is_inside(root: Path, relative: str, descriptor: int) -> bool:
    """Whether the folder open at `descriptor` is the one at `relative`, resolved inside the repo."""
    try:
        return os.path.samestat(os.fstat(descriptor), os.stat(resolve_inside(root, relative)))
    except (Refused, OSError):
        return False


def _copy_file(
    root: Path,
    relative: str,
    folder: Path,
    found: tuple[int, str] | None = None,
    made: set[Path] | None = None,
) -> None:
    """A hard link to the repo's file where it can be made (six times faster than a copy for the
    thousands of files of a large repo), else a copy. The overlay's own writes replace a file
    (`_replace`), never write through a link into the repo. `found`: (its folder's descriptor,
    its name) as a walk of a folder inside the repo found it: linked from there when it is a
    regular file, never through a symlink."""
    target = folder / relative
    if made is None or target.parent not in made:
        target.parent.mkdir(parents=True, exist_ok=True)
        if made is not None:
            made.add(target.parent)
    try:
        if found is not None:
            descriptor, name = found
            if stat.S_ISREG(os.lstat(name, dir_fd=descriptor).st_mode):
                os.link(name, target, src_dir_fd=descriptor, follow_symlinks=False)
                return
        else:
            source = resolve_inside(root, relative)
            if source.is_file() and not source.is_symlink():
                os.link(source, target)
                return
    except (Refused, OSError):
        pass  # another file system, or not a plain file: read as the loader reads, or left to report
    data = read_inside(root, relative, Problems())
    if data is not None:
        target.write_bytes(data)


def _replace(path: Path, data: bytes) -> None:
    """`path` holds `data` as a new file (the old one may be a hard link to the repo's file)."""
    path.unlink(missing_ok=True)
    path.write_bytes(data)
