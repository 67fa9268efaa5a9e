"""What the console's pages and its JSON API both do, over the pipeline's actions: the catalog, a
service's details, a draft checked live, and a change saved as a commit. Nothing here writes to a
cluster."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import hashlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from dockyard import actions
from dockyard.console import drafts, runs
from dockyard.console.auth import Grants, Person
from dockyard.console.catalog import Card, objects_by_service
from dockyard.console.forge import ForgeError, open_review, same_forge
from dockyard.console.form import CannotEdit, Draft, FieldError, ServiceForm, draft, source_files
from dockyard.console.gitrepo import Change, GitError, GitRepo, Upstream, review_url
from dockyard.console.live import LiveReader, Watched, planned
from dockyard.console.snapshot import Snapshot, Snapshots
from dockyard.deploy.client import Connection
from dockyard.errors import DockyardError, Problem, Problems
from dockyard.load.files import read_inside
from dockyard.load.layers import Leaf, effective, explain
from dockyard.model.settings import ForgeReview
from dockyard.render.bundle import to_yaml

SERVICE_FILES = ("score.yaml", "dockyard.yaml")
RULE_FIELDS = {"probes": "health_path", "images": "image"}
"""The form field a check rule's denial is about (others: the field whose line made the object)."""


class NotFound(DockyardError):
    """No such service in the repo."""


class Forbidden(DockyardError):
    """The person may not do this."""


class PlanBusy(DockyardError):
    """A plan is being made already (one at a time: each renders the platform and dry-runs it all)."""


@dataclass(frozen=True)
class Detail:
    card: Card
    values: tuple[Leaf, ...]
    """Every effective setting of the service for the console's cluster, with the file:line that set it."""
    objects: str
    """Its rendered objects as YAML."""
    history: tuple[Change, ...]


@dataclass
class Checked:
    """A draft and what is wrong with it, by form field ("" = the form as a whole)."""

    draft: Draft | None
    errors: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """What could not be judged here (shown, never blocking)."""
    preview: str = ""
    """The objects the draft renders to (live checks only), as YAML."""

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, field_name: str, message: str) -> None:
        self.errors.setdefault(field_name, []).append(message)

    def as_json(self) -> dict[str, object]:
        return {"ok": self.ok, "errors": self.errors, **({"notes": self.notes} if self.notes else {})}


@dataclass(frozen=True)
class Saved:
    """A change in git: a commit on the checked-out branch, or on a branch of its own for review."""

    commit: str
    branch: str | None = None
    pushed_to: str | None = None
    review: str | None = None
    """The pull request the forge opened (`console.review`), or where to open one (GitHub, GitLab)."""
    opened: int | None = None
    """The number of the pull request the forge opened."""
    not_opened: str | None = None
    """Why the forge did not open the pull request (the branch is pushed all the same)."""


@dataclass(frozen=True)
class Planned:
    """A service's part of a plan against the cluster: (action, object, diff) per object."""

    changes: tuple[tuple[str, str, str], ...]
    summary: str


class Console:
    def __init__(
        self,
        root: Path,
        cluster: str,
        *,
        recheck: float = 1.0,
        kubeconfig: Path | None = None,
        context: str | None = None,
        live_every: float = 5.0,
        upstream: Upstream | None = None,
        follow_every: float = 30.0,
        plans: bool = True,
    ) -> None:
        self.root = root
        self.cluster = cluster
        self.kubeconfig = kubeconfig
        self.context = context
        self.snapshots = Snapshots(root, cluster, recheck=recheck)
        self.proposals = Proposals()
        self.git = GitRepo(root, upstream)
        self.follow_every = follow_every
        self.plans = plans
        self.live = LiveReader(self._connect, self._watched, cluster, live_every)
        self._planning = threading.Lock()
        self._saving = threading.Lock()
        if upstream is not None:
            threading.Thread(target=self._follow_loop, name="console-follow", daemon=True).start()

    def follow(self) -> None:
        """The working copy on the upstream branch's newest commit (a console working on a clone)."""
        if self.git.follow():
            self.snapshots.forget()

    def _follow_loop(self) -> None:
        while True:
            time.sleep(self.follow_every)
            # never between a save's check and its commit: the commit would write the draft's whole
            # files over what was just fetched, and the push would take it as a fast-forward
            with self._saving, contextlib.suppress(GitError):  # unreachable for now: the next round tries again
                self.follow()

    def _connect(self) -> Connection:
        platform = self.snapshot().platform
        return Connection(self.kubeconfig, self.context or (platform.cluster.kube_context if platform else None))

    def _watched(self) -> Watched:
        snapshot = self.snapshot()
        return Watched(snapshot.cards, snapshot.platform.name if snapshot.platform else "", snapshot.owned)

    def jobs(self) -> tuple[Card, ...]:
        return tuple(c for c in self.snapshot().cards if c.job is not None)

    def _job(self, name: str, person: Person | None = None) -> Card:
        card = self.card(name)
        if card.job is None:
            raise NotFound(f"`{name}` is a service, not a job")
        if person is not None and not person.can_edit(card.team):
            raise Forbidden(f"{person.name} may not run, stop or read the runs of team {card.team or '(none)'}'s jobs")
        return card

    def start_run(self, name: str, person: Person) -> str:
        card = self._job(name, person)
        run = runs.start(self._connect(), card.namespace, name, person)
        self.live.refresh()
        return run

    def cancel_run(self, name: str, run: str, person: Person) -> None:
        card = self._job(name, person)
        runs.cancel(self._connect(), card.namespace, name, run)
        self.live.refresh()

    def run_logs(self, name: str, run: str, person: Person) -> list[tuple[str, str]]:
        card = self._job(name, person)
        return runs.logs(self._connect(), card.namespace, name, run)

    def plan(self, name: str) -> Planned:
        """The plan of the whole platform against the cluster (as `dockyard plan`), this service's part."""
        self.card(name)
        platform = self.snapshot().platform
        assert platform is not None
        self._may_plan()
        if not self._planning.acquire(blocking=False):
            raise PlanBusy("a plan is being made already; try again when it is done")
        try:
            found = actions.plan_platform(platform, kubeconfig=self.kubeconfig, context=self.context)
        finally:
            self._planning.release()
        return Planned(tuple(planned(found.changes, name)), found.changes.summary())

    def plan_draft(
        self, form: ServiceForm, errors: list[FieldError], *, new: bool, base: str = ""
    ) -> tuple[Checked, Planned | None]:
        """The form's draft checked as while typing, then, when nothing is wrong, the plan of the
        platform with the draft committed against the cluster: this service's part. Nothing is
        written, to the repo or to the cluster; one plan at a time, as for a service's page."""
        checked = self.check(form, errors, new=new, base=base)
        if not checked.ok or checked.draft is None:
            return checked, None
        self._may_plan()
        if not self._planning.acquire(blocking=False):
            raise PlanBusy("a plan is being made already; try again when it is done")
        try:
            every = [p.name for p in (self.root / "services").iterdir() if p.is_dir()]
            found = drafts.draft_plan(
                self.root, self.cluster, checked.draft.files, every, self.kubeconfig, self.context
            )
        finally:
            self._planning.release()
        return checked, Planned(tuple(planned(found.changes, form.name)), found.changes.summary())

    def _may_plan(self) -> None:
        if not self.plans:
            raise DockyardError(
                "this console does not plan against the cluster (in the cluster it may read, not dry-run "
                "what applying writes): run `dockyard plan`, or see the sync controller's status"
            )

    def snapshot(self) -> Snapshot:
        return self.snapshots.current()

    def grants(self) -> Grants:
        """What the layers grant SSO groups for the console's cluster (none while the repo does not load)."""
        platform = self.snapshot().platform
        if platform is None:
            return Grants()
        teams = platform.settings.teams
        return Grants(
            editors={name: team.editors for name, team in teams.items()},
            viewers={name: team.viewers for name, team in teams.items()},
            admins=platform.settings.platform_admins,
        )

    def catalog(self, query: str = "") -> tuple[Card, ...]:
        cards = self.snapshot().cards
        words = query.lower().split()
        if not words:
            return cards
        return tuple(c for c in cards if all(w in f"{c.name} {c.team or ''} {' '.join(c.images)}" for w in words))

    def card(self, name: str) -> Card:
        found = self.snapshot().by_name.get(name)
        if found is None:
            raise NotFound(f"no service `{name}` in the repo for cluster {self.cluster}")
        return found

    def detail(self, name: str) -> Detail:
        snapshot = self.snapshot()
        card = self.card(name)
        assert snapshot.repo is not None and snapshot.bundle is not None
        explained = explain(effective(snapshot.repo, self.cluster), f"services.{name}")
        objects = objects_by_service(snapshot.bundle).get(name, [])
        history = self.git.history([f"services/{name}"])
        return Detail(card, tuple(explained.leaves), to_yaml([r.manifest for r in objects]), tuple(history))

    def files_of(self, name: str) -> dict[str, bytes]:
        """A service's files the form reads (score.yaml, dockyard.yaml, and the files of its folder
        its container's files are read from), as the repo has them; by path in the folder."""
        found: dict[str, bytes] = {}
        for file in SERVICE_FILES:
            self._read(name, file, found)
        for source in source_files(found.get("score.yaml")):
            folder, parts = self.root / "services" / name, source.split("/")
            linked = any((folder.joinpath(*parts[:n])).is_symlink() for n in range(1, len(parts) + 1))
            if not linked:  # a file linked from elsewhere is kept as written (changing it would unlink it)
                self._read(name, source, found)
        return found

    def _read(self, name: str, file: str, into: dict[str, bytes]) -> None:
        path = self.root / "services" / name / file
        if path.exists() or path.is_symlink():
            data = read_inside(self.root, f"services/{name}/{file}", Problems())
            if data is not None:
                into[file] = data

    def check(
        self, form: ServiceForm, errors: list[FieldError], *, new: bool, whole: bool = False, base: str = ""
    ) -> Checked:
        """The draft the form makes and its problems: the form's own, then the pipeline's for the
        console's cluster (with `whole`: the whole repo, every cluster, as before a commit). `base`:
        the digest of the service's files when the form was opened (a change made since is refused,
        never overwritten)."""
        checked = Checked(None)
        for error in errors:
            checked.add(error.field, error.message)
        if errors:
            return checked
        snapshot = self.snapshot()
        exists = form.name in snapshot.by_name or (self.root / "services" / form.name).exists()
        if new and exists:
            checked.add("name", f"a service `{form.name}` exists already; choose another name")
            return checked
        if not new and not exists:
            checked.add("name", f"no service `{form.name}` in the repo")
            return checked
        inherited = None if new else snapshot.by_name[form.name].team if form.name in snapshot.by_name else None
        existing = {} if new else self.files_of(form.name)
        if base and base != files_digest(existing):
            checked.add("", f"services/{form.name} changed since this form was opened; reload it to see the change")
            return checked
        try:
            checked.draft = draft(form, existing, inherited)
        except CannotEdit as refused:
            checked.add(refused.field, str(refused))
            return checked
        current = {f"services/{form.name}/{name}": data for name, data in existing.items()}
        if not new and all(current.get(path) == data for path, data in checked.draft.files.items()):
            checked.add("", "nothing changed: the service's files already say this")
            return checked
        if whole:
            every = [p.name for p in (self.root / "services").iterdir() if p.is_dir()]
            judged = drafts.commit_problems(self.root, checked.draft.files, every)
        else:
            judged = drafts.live_problems(self.root, self.cluster, checked.draft.files, self._peers(form))
        for problem, rule in zip(judged.problems, judged.rules, strict=True):
            checked.add(RULE_FIELDS.get(rule) or checked.draft.field_of(problem), _shown(problem))
        checked.notes = list(judged.notes)
        checked.preview = judged.preview
        return checked

    def save(
        self, form: ServiceForm, errors: list[FieldError], person: Person, *, new: bool, base: str = ""
    ) -> tuple[Checked, Saved | None]:
        """Check the draft against the whole repo, then commit it as `person` (None when the draft has
        problems; nothing is written then), on the checked-out branch or, where the platform says
        `console.changes: branch`, on a new branch pushed to `console.remote` for review. One save at
        a time: two people adding the same name, or changing one service, never overwrite each other."""
        if not new:
            current = self.card(form.name)
            if not person.can_edit(current.team):
                raise Forbidden(f"you may not change services of team {current.team or '(none)'}")
        if not person.can_edit(form.team):
            raise Forbidden(f"you may not add or move services to team {form.team}")
        with self._saving:
            self.follow()  # judged against the newest commit, where the change will land
            checked = self.check(form, errors, new=new, whole=True, base=base)
            if not checked.ok or checked.draft is None:
                return checked, None
            verb = "Add" if new else "Change"
            message = f"{verb} service {form.name} (from the Dockyard console)"
            platform = self.snapshot().platform
            if platform is None or platform.settings.console_changes == "commit":
                commit = self.git.commit(checked.draft.files, message, person)
                try:
                    self.git.publish(commit)
                finally:
                    self.snapshots.forget()
                return checked, Saved(commit)
            stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S")
            branch = f"console/{form.name}-{stamp}"
            commit = self.git.propose(checked.draft.files, message, person, branch)
            remote = platform.settings.console_remote
            if remote is None:
                self.proposals[branch] = Saved(commit, branch)
                return checked, self.proposals[branch]
            self.git.push(remote, branch)
            remote_url = self.git.remote_url(remote)
            saved = Saved(commit, branch, remote, review_url(remote_url, branch))
            forge = platform.settings.console_review
            try:
                base = self.git.base_branch() if forge is not None else ""
            except GitError as error:
                forge, saved = None, dataclasses.replace(saved, not_opened=str(error))
        if forge is not None:  # the forge is asked outside the lock: a slow one holds up no other save
            saved = self._open_review(saved, forge, base, remote_url, message, person)
        self.proposals[branch] = saved
        return checked, saved

    def _open_review(
        self, saved: Saved, forge: ForgeReview, base: str, remote_url: str | None, title: str, person: Person
    ) -> Saved:
        """The pull request of a pushed branch, opened through the forge's API (into `base`, the branch
        the console follows); when the forge refuses, the branch stays pushed and the reason is kept."""
        assert saved.branch is not None
        body = f"{title}.\n\nProposed by {person.name} in the Dockyard console; the platform changes once it is merged."
        try:
            same_forge(forge.api, remote_url)
            review = open_review(forge, branch=saved.branch, base=base, title=title, body=body)
        except ForgeError as error:
            return dataclasses.replace(saved, not_opened=str(error))
        return dataclasses.replace(saved, review=review.url, opened=review.number)

    def _peers(self, form: ServiceForm) -> list[str]:
        """The services a draft of `form` may call: those the form ticks (or, when it names none,
        today's dependencies of the service), of those the repo has."""
        snapshot = self.snapshot()
        card = snapshot.by_name.get(form.name)
        wanted = form.calls if form.calls is not None else (card.dependencies if card else ())
        return [name for name in wanted if name in snapshot.by_name and name != form.name]


class Proposals(dict[str, Saved]):
    """The branches this console proposed lately, by name: the catalog page names the pull request
    of the one it was sent to from the console's own record, never from the address it was asked."""

    KEPT = 256

    def __setitem__(self, branch: str, saved: Saved) -> None:
        super().__setitem__(branch, saved)
        while len(self) > self.KEPT:
            del self[next(iter(self))]


def files_digest(files: dict[str, bytes]) -> str:
    """What the edit form carries of the files it was made from (a change since is then seen)."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()[:32]


def _shown(problem: Problem) -> str:
    text = f"{problem.position}: {problem.message}"
    return f"{text} ({problem.hint})" if problem.hint else text


def editable_teams(person: Person, known: tuple[str, ...]) -> list[str]:
    """The teams `person` may add services to (admins: every known team)."""
    if person.admin:
        return list(known)
    return sorted(team for team, role in person.teams.items() if person.can_edit(team) and role)
