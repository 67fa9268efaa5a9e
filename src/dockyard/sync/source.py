"""The platform repo as the sync controller sees it: one branch of a git remote, through the real
`git` command.

A bare repository in the cache holds what was fetched (one branch, shallow: only the newest
commit's objects). Each revision is exported once into a directory of its own by `git archive`
(or, after the first, as the previous export plus what changed: see `_derive`),
unpacked refusing what tarfile's `data` filter refuses (absolute paths, links out of the
directory, devices), so the pipeline reads a plain tree that nothing changes under it. git never prompts
(`GIT_TERMINAL_PROMPT=0`), SSH checks the host against known_hosts and never adds one, and
every git call has a deadline. Credentials in the URL (`https://user:token@host/...`) are used
by git and never shown: `shown` is the URL without them.

Credentials can also come from a directory (a Kubernetes Secret mounted as files, in the key names
of its `kubernetes.io/basic-auth` and `kubernetes.io/ssh-auth` types): `username` and `password`
for HTTPS, answered to git's prompts by a small askpass program that reads the files (so a
password is never in a process's arguments or environment); `ssh-privatekey` for SSH, with the
hosts' keys in `known_hosts`. git's own credential helpers are switched off: nothing is stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import posixpath
import shlex
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit, urlunsplit

GIT_TIMEOUT = 120.0
KEEP_CHECKOUTS = 3


class SourceUnavailable(Exception):
    """git could not fetch or export (unreachable remote, missing branch, refused credentials)."""


class UnsignedCommit(SourceUnavailable):
    """The newest commit is not signed by an allowed key: it is never applied."""


@dataclass(frozen=True)
class Revision:
    sha: str
    subject: str
    """The commit's subject line, for people (status history, events)."""

    @property
    def short(self) -> str:
        return self.sha[:12]


def redacted(url: str) -> str:
    """`url` without a password or token in it (kept: scheme, user name, host, path)."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https", "ssh", "git") and parts.password is not None:
        host = parts.hostname or ""
        netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url


class GitSource:
    """One branch of one remote, fetched into `cache` (with the credentials in `credentials`, a
    directory of files, when given)."""

    def __init__(self, url: str, branch: str, cache: Path, credentials: Path | None = None) -> None:
        self.url, self.branch = url, branch
        self.shown = redacted(url)
        key = hashlib.sha256(f"{url}\0{branch}".encode()).hexdigest()[:16]
        self.mirror = cache / f"{key}.git"
        self.checkouts = cache / f"{key}.trees"
        self.credentials = credentials
        self._askpass = cache / "askpass"

    def remote_env(self) -> dict[str, str]:
        """The environment git needs to reach the remote with the credentials (for another working
        copy of the same remote: the console's clone)."""
        return self._env()

    def fetch(self) -> Revision:
        """The branch's newest commit, fetched; SourceUnavailable when git cannot get it."""
        if not (self.mirror / "HEAD").is_file():
            self.mirror.mkdir(parents=True, exist_ok=True)
            self._git("init", "--bare", "--quiet", str(self.mirror), cwd=self.mirror.parent)
        ref = f"refs/heads/{self.branch}"
        self._git("fetch", "--quiet", "--no-tags", "--depth", "1", "--force", self._remote(), f"+{ref}:{ref}")
        sha = self._git("rev-parse", "--verify", f"{ref}^{{commit}}").strip()
        subject = self._git("log", "-1", "--format=%s", sha).strip()
        return Revision(sha, subject)

    def verify(self, revision: Revision, allowed_signers: Path) -> None:
        """Refuse a commit that is not signed (SSH or GPG signature, as git verifies it) by a key of
        `allowed_signers` (git's allowed signers file for SSH keys; GPG keys come from the keyring)."""
        try:
            self._git("-c", f"gpg.ssh.allowedSignersFile={allowed_signers}", "verify-commit", revision.sha)
        except SourceUnavailable:
            raise UnsignedCommit(
                f"commit {revision.short} is not signed by an allowed key (allowed signers: {allowed_signers.name})"
            ) from None

    def checkout(self, revision: Revision) -> Path:
        """The revision's files in a directory of their own (exported once, kept for a few revisions)."""
        target = self.checkouts / revision.sha
        if (target / ".dockyard-complete").is_file():
            return target
        self.checkouts.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=self.checkouts, prefix=".export-"))
        try:
            base = self._newest_export(other_than=revision.sha)
            if base is None or not self._derived(base, revision, staging):
                shutil.rmtree(staging)
                staging.mkdir()
                self._export(revision, staging)
            (staging / ".dockyard-complete").write_text(revision.sha + "\n")
            shutil.rmtree(target, ignore_errors=True)
            os.replace(staging, target)
        except (tarfile.TarError, OSError) as error:
            shutil.rmtree(staging, ignore_errors=True)
            raise SourceUnavailable(f"cannot export {revision.short}: {error}") from None
        except SourceUnavailable:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return target

    def _export(self, revision: Revision, staging: Path) -> None:
        """Every file of the revision, from `git archive`."""
        archive = self._git_bytes("archive", "--format=tar", revision.sha)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            for member in tar.getmembers():
                _check_member(member)
                tar.extract(member, staging, set_attrs=False)

    def _newest_export(self, other_than: str) -> Path | None:
        done = [
            p
            for p in self.checkouts.iterdir()
            if p.name != other_than and not p.name.startswith(".") and (p / ".dockyard-complete").is_file()
        ]
        return max(done, key=lambda p: p.stat().st_mtime, default=None)

    def _derived(self, base: Path, revision: Revision, staging: Path) -> bool:
        """`_derive`, and False on anything it did not foresee (the whole export is the way out)."""
        try:
            return self._derive(base, revision, staging)
        except (OSError, ValueError, SourceUnavailable, subprocess.SubprocessError):
            return False

    def _derive(self, base: Path, revision: Revision, staging: Path) -> bool:
        """The revision as the export `base` plus what changed since: unchanged files are hard
        links to the base's (no file is ever written to again, so neither tree can change), the
        changed ones are written from git. False when it cannot be done so (a link or a submodule
        on either side, a base git no longer has): then the whole revision is exported."""
        try:
            raw = self._git_bytes("diff-tree", "-r", "-z", "--no-renames", "--raw", base.name, revision.sha)
        except SourceUnavailable:
            return False
        fields = raw.split(b"\0")
        changes: list[tuple[str, str, str]] = []  # (status, path, blob)
        for header, name in zip(fields[0::2], fields[1::2], strict=False):
            if not header:
                continue
            old_mode, new_mode, _old, blob, status = header.decode().lstrip(":").split()
            path = name.decode("utf-8", "surrogateescape")
            parts = PurePosixPath(path)
            if {old_mode, new_mode} & {"120000", "160000"} or parts.is_absolute() or ".." in parts.parts:
                return False
            changes.append((status, path, blob))
        for directory, folders, files in os.walk(base):
            if any(os.path.islink(os.path.join(directory, f)) for f in [*folders, *files]):
                return False
            relative = os.path.relpath(directory, base)
            (staging / relative).mkdir(parents=True, exist_ok=True)
            for file in files:
                if relative != "." or file != ".dockyard-complete":
                    os.link(os.path.join(directory, file), staging / relative / file)
        written = [(path, blob) for status, path, blob in changes if status != "D"]
        contents = self._blobs([blob for _path, blob in written])
        for status, path, _blob in changes:
            (staging / path).unlink(missing_ok=True)
            if status == "D":
                folder = (staging / path).parent
                while folder != staging and not any(folder.iterdir()):
                    folder.rmdir()
                    folder = folder.parent
        for path, blob in written:
            (staging / path).parent.mkdir(parents=True, exist_ok=True)
            (staging / path).write_bytes(contents[blob])
        return True

    def _blobs(self, shas: list[str]) -> dict[str, bytes]:
        """The contents of blobs, by id, in one `git cat-file --batch`."""
        if not shas:
            return {}
        done = subprocess.run(
            ["git", "--git-dir", str(self.mirror), "cat-file", "--batch"],
            input="".join(f"{sha}\n" for sha in shas).encode(),
            capture_output=True,
            env=self._env(),
            timeout=GIT_TIMEOUT,
            check=False,
        )
        found, output, at = {}, done.stdout, 0
        for sha in shas:
            end = output.find(b"\n", at)
            header = output[at:end].split() if end >= 0 else []
            if done.returncode or len(header) != 3 or header[1] != b"blob" or not header[2].isdigit():
                raise SourceUnavailable(f"git cat-file cannot read blob {sha} of {self.shown}")
            size = int(header[2])
            found[sha] = output[end + 1 : end + 1 + size]
            at = end + 1 + size + 1
        return found

    def forget_old(self, keep: str) -> None:
        """Remove exported revisions beyond the newest few (kept: `keep`). The controller calls it
        after a revision is applied, so that it costs nothing on the way to the cluster."""
        trees = sorted(
            (p for p in self.checkouts.iterdir() if p.is_dir() and not p.name.startswith(".")),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        for old in [t for t in trees if t.name != keep][KEEP_CHECKOUTS - 1 :]:
            shutil.rmtree(old, ignore_errors=True)

    def _remote(self) -> str:
        """A local path as a file:// URL, so that git honours --depth for it too."""
        if "://" not in self.url and not _scp_like(self.url):
            return Path(self.url).absolute().as_uri()
        return self.url

    def _git(self, *args: str, cwd: Path | None = None) -> str:
        return self._git_bytes(*args, cwd=cwd).decode("utf-8", "replace")

    def _git_bytes(self, *args: str, cwd: Path | None = None) -> bytes:
        command = ["git", "-c", "credential.helper="]
        command += list(args) if args[0] == "init" else ["--git-dir", str(self.mirror), *args]
        verb = next((a for a in args if not a.startswith("-") and "=" not in a), args[0])
        try:
            done = subprocess.run(
                command,
                cwd=cwd,
                env=self._env(),
                capture_output=True,
                timeout=GIT_TIMEOUT,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SourceUnavailable(f"git {verb} {self.shown} did not finish within {GIT_TIMEOUT:.0f} s") from None
        except OSError as error:
            raise SourceUnavailable(f"cannot run git: {error.strerror}") from None
        if done.returncode:
            lines = [line.strip() for line in done.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
            said = [line for line in lines if line.startswith(("fatal:", "error:"))] or lines[-3:]
            text = " ".join(said) or f"exit {done.returncode}"
            raise SourceUnavailable(f"git {verb} {self.shown} ({self.branch}): {text.replace(self.url, self.shown)}")
        return done.stdout

    def _env(self) -> dict[str, str]:
        env = _git_env()
        where = self.credentials
        if where is None:
            return env
        if (where / "ssh-privatekey").is_file():
            ssh = ["ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes"]
            ssh += ["-i", shlex.quote(str(where / "ssh-privatekey"))]
            if (where / "known_hosts").is_file():
                ssh += ["-o", shlex.quote(f"UserKnownHostsFile={where / 'known_hosts'}")]
            env["GIT_SSH_COMMAND"] = " ".join(ssh)
        if (where / "password").is_file():
            env["GIT_ASKPASS"] = str(self._askpass_program())
            env[CREDENTIALS_ENV] = str(where)
        return env

    def _askpass_program(self) -> Path:
        """A program git runs for each prompt: the user name or the password, read from the files."""
        if not self._askpass.is_file():
            self._askpass.parent.mkdir(parents=True, exist_ok=True)
            staging = self._askpass.with_name(f".askpass-{os.getpid()}")
            staging.write_text(ASKPASS)
            staging.chmod(0o700)
            os.replace(staging, self._askpass)
        return self._askpass


CREDENTIALS_ENV = "DOCKYARD_GIT_CREDENTIALS"
ASKPASS = f"""#!/bin/sh
# git asks "Username for ..." or "Password for ...": answer from the credentials directory, with
# the shell's own builtins (the image has a shell and no other tools).
case "$1" in
  Username*) file="${CREDENTIALS_ENV}/username" ;;
  *) file="${CREDENTIALS_ENV}/password" ;;
esac
IFS= read -r answer < "$file" || [ -n "$answer" ] || exit 1
printf '%s\\n' "$answer"
"""


def _check_member(member: tarfile.TarInfo) -> None:
    """What tarfile's `data` filter refuses (Python 3.11 before 3.11.4, as Debian ships it, has no
    filters): absolute paths, `..`, links out of the tree, anything but files, directories and links."""
    path = PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts:
        raise tarfile.TarError(f"{member.name}: a path out of the tree")
    if member.issym() or member.islnk():
        target = PurePosixPath(member.linkname)
        inside = path.parent / target if member.issym() else target
        if target.is_absolute() or ".." in PurePosixPath(posixpath.normpath(str(inside))).parts:
            raise tarfile.TarError(f"{member.name}: a link out of the tree ({member.linkname})")
    elif not (member.isfile() or member.isdir()):
        raise tarfile.TarError(f"{member.name}: not a file, a directory or a link")


def _scp_like(url: str) -> bool:
    """`git@host:org/repo.git`, git's scp-like SSH syntax."""
    head = url.split("/", 1)[0]
    return ":" in head and "@" in head


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        {
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_SSH_COMMAND": "ssh -o BatchMode=yes -o StrictHostKeyChecking=yes",
            "LC_ALL": "C",
        }
    )
    return env


def remove_cache(source: GitSource) -> None:
    with contextlib.suppress(OSError):
        shutil.rmtree(source.mirror)
        shutil.rmtree(source.checkouts)
