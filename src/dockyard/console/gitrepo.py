"""The platform repo as git sees it: a service's history, and the console's commits.

The console never writes to a cluster: a change is files in the repo and a commit whose author is
the person signed in (the committer is the console). Files are written only under
`services/<name>/`, never through a symlink, and only when git holds no uncommitted change to
them (the commit must hold exactly what the form changed)."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from dockyard.atomic import write_atomic
from dockyard.console.auth import Person
from dockyard.errors import DockyardError

GIT_TIMEOUT = 30.0
COMMITTER = ("Dockyard console", "console@dockyard.invalid")
_SERVICE_FILE = re.compile(r"^services/[a-z0-9]([-a-z0-9]*[a-z0-9])?(/(?!\.\.?/)[A-Za-z0-9][-_.A-Za-z0-9]*){1,4}$")
"""A file in a service's folder (or up to three folders below it): plain names only, never `..`."""


class GitError(DockyardError):
    """git refused or could not be run; the message says what to do."""


@dataclass(frozen=True)
class Change:
    """One commit that touched a service's files."""

    commit: str
    author: str
    email: str
    date: str
    subject: str


@dataclass(frozen=True)
class Upstream:
    """The branch of a remote the console's working copy follows and publishes to (a console that
    runs in the cluster works on a clone: its commits count once they are pushed)."""

    remote: str
    branch: str
    env: Mapping[str, str]
    """What git needs to reach the remote (credentials; never printed)."""


class GitRepo:
    def __init__(self, root: Path, upstream: Upstream | None = None) -> None:
        self.root = root
        self.upstream = upstream
        self._lock = threading.Lock()

    def follow(self) -> bool:
        """Bring the working copy to the upstream branch's newest commit (fast-forward only: the
        console's own commits are pushed as they are made); whether anything changed."""
        if self.upstream is None:
            return False
        with self._lock:
            before = self._git("rev-parse", "HEAD").strip()
            self._git("fetch", "--quiet", self.upstream.remote, self.upstream.branch, env=self.upstream.env)
            self._git("merge", "--quiet", "--ff-only", "FETCH_HEAD")
            return self._git("rev-parse", "HEAD").strip() != before

    def publish(self, commit: str) -> None:
        """Push the console's commit to the upstream branch. When the branch moved on meanwhile (a
        push is refused), the commit is taken back out of the working copy and GitError says so:
        nothing half-saved stays behind."""
        if self.upstream is None:
            return
        with self._lock:
            try:
                target = f"HEAD:refs/heads/{self.upstream.branch}"
                self._git("push", "--quiet", self.upstream.remote, target, env=self.upstream.env)
            except GitError as refused:
                if self._landed(commit):  # the push timed out or lost its answer after the remote took it
                    return
                with contextlib.suppress(GitError):
                    self._git("reset", "--quiet", "--keep", f"{commit}~1")
                raise GitError(
                    f"the change was not saved: {self.upstream.branch} could not be updated ({refused}); "
                    "someone may have changed it meanwhile: check the change again and save it once more"
                ) from None

    def _landed(self, commit: str) -> bool:
        """Whether the upstream branch holds `commit` now (asked again after a failed push)."""
        assert self.upstream is not None
        try:
            self._git("fetch", "--quiet", self.upstream.remote, self.upstream.branch, env=self.upstream.env)
            self._git("merge-base", "--is-ancestor", commit, "FETCH_HEAD")
        except GitError:
            return False
        return True

    def history(self, paths: list[str], limit: int = 50) -> list[Change]:
        """The newest commits that touched `paths` (none when the repo is not in git)."""
        try:
            text = self._git("log", f"-n{limit}", "--format=%H%x1f%an%x1f%ae%x1f%aI%x1f%s%x1e", "--", *paths)
        except GitError:
            return []
        changes = []
        for record in text.split("\x1e"):
            fields = record.strip("\n").split("\x1f")
            if len(fields) == 5:
                changes.append(Change(*fields))
        return changes

    def commit(self, files: Mapping[str, bytes | None], message: str, author: Person) -> str:
        """Write `files` (None: remove) and commit exactly them; the new commit's id. Nothing is
        written when a path is not a service file or holds a change git has not committed."""
        paths = sorted(files)
        for path in paths:
            if not _SERVICE_FILE.match(path) or "/../" in f"{path}/" or "/./" in f"{path}/":
                raise GitError(f"the console writes only files under services/<name>/, not {path}")
        with self._lock:
            self._git("rev-parse", "--is-inside-work-tree")
            dirty = [
                line[3:]
                for line in self._git("status", "--porcelain", "--untracked-files=all", "--", *paths).splitlines()
                if line
            ]
            if dirty:
                shown = ", ".join(dirty[:5])
                raise GitError(
                    f"{shown} changed in the repo's working tree and is not committed; commit or discard "
                    "that change first, so that the console's commit holds only what the form changed"
                )
            written: list[str] = []
            try:
                for path in paths:
                    self._write(path, files[path])
                    written.append(path)
                self._git("add", "--all", "--", *paths)
                env = {
                    "GIT_AUTHOR_NAME": author.name,
                    "GIT_AUTHOR_EMAIL": author.email,
                    "GIT_COMMITTER_NAME": COMMITTER[0],
                    "GIT_COMMITTER_EMAIL": COMMITTER[1],
                }
                self._git("commit", "--quiet", "--no-verify", "-m", message, "--", *paths, env=env)
            except BaseException:
                self._undo(written)
                raise
            return self._git("rev-parse", "HEAD").strip()

    def propose(self, files: Mapping[str, bytes | None], message: str, author: Person, branch: str) -> str:
        """Commit `files` on a new branch made from HEAD, without touching the working tree or the
        checked-out branch (a private index); the commit's id. GitError when the branch exists."""
        paths = sorted(files)
        for path in paths:
            if not _SERVICE_FILE.match(path):
                raise GitError(f"the console writes only files under services/<name>/, not {path}")
        if not re.fullmatch(r"[a-z0-9][-a-z0-9/]*[a-z0-9]", branch) or "//" in branch:
            raise GitError(f"`{branch}` is not a branch name the console makes")
        with self._lock, tempfile.TemporaryDirectory(prefix="dockyard-console-index-") as private:
            index = {"GIT_INDEX_FILE": str(Path(private) / "index")}
            head = self._git("rev-parse", "--verify", "HEAD").strip()
            self._git("read-tree", head, env=index)
            for path in paths:
                data = files[path]
                if data is None:
                    self._git("update-index", "--force-remove", "--", path, env=index)
                    continue
                blob = self._git("hash-object", "-w", "--stdin", data=data).strip()
                self._git("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=index)
            tree = self._git("write-tree", env=index).strip()
            people = {
                "GIT_AUTHOR_NAME": author.name,
                "GIT_AUTHOR_EMAIL": author.email,
                "GIT_COMMITTER_NAME": COMMITTER[0],
                "GIT_COMMITTER_EMAIL": COMMITTER[1],
            }
            commit = self._git("commit-tree", tree, "-p", head, "-m", message, env=people).strip()
            self._git("update-ref", f"refs/heads/{branch}", commit, "0" * 40)  # only if it does not exist yet
            return commit

    def push(self, remote: str, branch: str) -> None:
        """Push a branch the console made to `remote` (credentials as git is configured; never asked for)."""
        env = self.upstream.env if self.upstream is not None and self.upstream.remote == remote else None
        self._git("push", "--quiet", remote, f"refs/heads/{branch}:refs/heads/{branch}", env=env)

    def base_branch(self) -> str:
        """The branch a change's pull request goes into: the one the console follows, or the
        checked-out one."""
        if self.upstream is not None:
            return self.upstream.branch
        try:
            return self._git("symbolic-ref", "--quiet", "--short", "HEAD").strip()
        except GitError:
            raise GitError("the repo has no branch checked out, so a pull request has nothing to go into") from None

    def remote_url(self, remote: str) -> str | None:
        try:
            return self._git("remote", "get-url", remote).strip() or None
        except GitError:
            return None

    def _write(self, path: str, data: bytes | None) -> None:
        target = self.root / path
        folder = target.parent
        step = self.root
        for part in Path(path).parent.parts:  # no folder on the way may be a symlink
            step = step / part
            if step.is_symlink():
                raise GitError(f"{step.relative_to(self.root)} is a symlink; the console does not write through one")
        if data is None:
            if target.is_symlink() or target.exists():
                target.unlink()
            return
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(target, data)

    def _undo(self, paths: list[str]) -> None:
        """Put the files back as the last commit has them (a failed commit leaves nothing behind)."""
        if not paths:
            return
        with contextlib.suppress(GitError):
            self._git("reset", "--quiet", "--", *paths)
        for path in paths:
            try:
                self._git("checkout", "--", path)
            except GitError:
                (self.root / path).unlink(missing_ok=True)  # new in this change: remove it

    def _git(self, *args: str, env: Mapping[str, str] | None = None, data: bytes | None = None) -> str:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        full_env.update({"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", **(env or {})})
        try:
            done = subprocess.run(
                # no hooks, no signing prompts, and no credential helper that would keep a password askpass gave
                [
                    "git",
                    "-c",
                    "core.hooksPath=/dev/null",
                    "-c",
                    "commit.gpgsign=false",
                    "-c",
                    "credential.helper=",
                    *args,
                ],
                cwd=self.root,
                env=full_env,
                capture_output=True,
                timeout=GIT_TIMEOUT,
                input=data if data is not None else b"",
                check=False,
            )
        except FileNotFoundError:
            raise GitError("git is not installed; install it to see history and to commit from the console") from None
        except subprocess.TimeoutExpired:
            raise GitError(f"git {args[0]} took longer than {GIT_TIMEOUT:.0f} s") from None
        if done.returncode != 0:
            reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git {args[0]} failed: {reason[-1] if reason else f'exit {done.returncode}'}")
        return done.stdout.decode("utf-8", "replace")


def remote_place(remote_url: str | None) -> tuple[str, str] | None:
    """(host, owner/name) of a remote on a forge: https://host/owner/name(.git), ssh://git@host/...,
    or git's scp-like git@host:owner/name; None for anything else (a path, a file:// remote)."""
    scp = re.match(r"^[A-Za-z0-9._-]+@([^:/]+):(.+)$", remote_url or "")
    if scp:
        host, path = scp.group(1), scp.group(2)
    else:
        parts = urlsplit(remote_url or "")
        if parts.scheme not in ("https", "http", "ssh") or not parts.hostname:
            return None
        host, path = parts.hostname, parts.path
    path = path.strip("/").removesuffix(".git")
    return (host.lower(), path) if path else None


def review_url(remote_url: str | None, branch: str) -> str | None:
    """Where a person opens a pull or merge request for `branch`, for remotes on GitHub or GitLab;
    None for any other host (the branch name is then enough)."""
    place = remote_place(remote_url)
    if place is None:
        return None
    host, path = place
    if host == "github.com":
        return f"https://github.com/{path}/compare/{branch}?expand=1"
    if host == "gitlab.com" or host.startswith("gitlab."):
        return f"https://{host}/{path}/-/merge_requests/new?merge_request%5Bsource_branch%5D={branch}"
    return None
