"""Helpers shared by the tests: copy an example repo, edit its files, run the CLI in-process."""

from __future__ import annotations

import contextlib
import shutil
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PROJECT = Path(__file__).resolve().parents[1]
EXAMPLES = PROJECT / "examples"


def copy_example(target: Path, name: str = "shop") -> Path:
    repo = target / name
    shutil.copytree(EXAMPLES / name, repo)
    return repo


def write(repo: Path, relative: str, text: str | bytes) -> Path:
    path = repo / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def replace(repo: Path, relative: str, old: str, new: str) -> None:
    path = repo / relative
    text = path.read_text()
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1))


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    """Run `dockyard ARGS` in this process, as the console script would."""
    from dockyard.cli import main

    capsys.readouterr()
    old_argv = sys.argv
    sys.argv = ["dockyard", *args]
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1
    finally:
        sys.argv = old_argv
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def ensure_namespace(api: Any, name: str) -> None:
    """The namespace `name` exists on the cluster `api` talks to (a lightkube Client)."""
    from lightkube.core.exceptions import ApiError
    from lightkube.models.meta_v1 import ObjectMeta
    from lightkube.resources.core_v1 import Namespace

    with contextlib.suppress(ApiError):  # already there
        api.create(Namespace(metadata=ObjectMeta(name=name)))


GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Dockyard Tests",
    "GIT_AUTHOR_EMAIL": "tests@dockyard.invalid",
    "GIT_COMMITTER_NAME": "Dockyard Tests",
    "GIT_COMMITTER_EMAIL": "tests@dockyard.invalid",
}


def git(repo: Path, *args: str) -> str:
    """Run the real git in `repo` (with a test identity); its stdout."""
    import os
    import subprocess

    env = {**os.environ, **GIT_IDENTITY, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return done.stdout


def commit_all(repo: Path, message: str) -> str:
    """Commit everything in `repo` (a git repository, created on first use); the new commit's SHA."""
    if not (repo / ".git").exists():
        git(repo, "init", "--quiet", "--initial-branch", "main")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--allow-empty", "--message", message)
    return git(repo, "rev-parse", "HEAD").strip()


def free_port() -> int:
    """A loopback TCP port nothing listens on now (for a real server a test starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
