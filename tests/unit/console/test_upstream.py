"""The console on a clone (as it runs in the cluster): it follows the branch of its remote, each
change is pushed as it is committed, and a change the remote refuses is not kept. Real git, a real
bare remote on this machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.cli.console import _clone
from dockyard.console.auth import Person, Role
from dockyard.console.form import parse_fields
from dockyard.console.gitrepo import GitError
from dockyard.console.state import Console
from dockyard.errors import UsageError
from tests.helpers import commit_all, copy_example, git

EDITOR = Person("Ada Lovelace", "ada@example.com", False, {"shop": Role.EDITOR})
BILLING = {
    "name": "billing",
    "team": "shop",
    "image": "ghcr.io/acme/billing:1.0",
    "port": "8080",
    "health_path": "/healthz",
}


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare repository holding the example on main, as a git host would."""
    work = copy_example(tmp_path / "author")
    commit_all(work, "the example")
    bare = tmp_path / "remote.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(work), str(bare))
    return bare


def _console(remote: Path, tmp_path: Path) -> Console:
    clone, upstream = _clone(str(remote), "main", None, tmp_path / "workdir")
    return Console(clone, "local", recheck=0.0, kubeconfig=tmp_path / "none", upstream=upstream, follow_every=3600)


def test_a_change_is_pushed_to_the_branch_as_it_is_committed(remote: Path, tmp_path: Path) -> None:
    console = _console(remote, tmp_path)
    form, errors = parse_fields(BILLING)
    checked, saved = console.save(form, errors, EDITOR, new=True)
    assert saved is not None, checked.errors
    assert git(remote, "rev-parse", "main").strip() == saved.commit
    assert git(remote, "log", "-1", "--format=%an|%s", "main").strip() == (
        "Ada Lovelace|Add service billing (from the Dockyard console)"
    )


def test_what_others_push_is_followed(remote: Path, tmp_path: Path) -> None:
    console = _console(remote, tmp_path)
    other = tmp_path / "other"
    git(tmp_path, "clone", "--quiet", str(remote), str(other))
    (other / "services" / "orders" / "NOTES.md").write_text("a note\n")
    pushed = commit_all(other, "a note")
    git(other, "push", "--quiet", "origin", "main")
    console.follow()
    assert git(console.root, "rev-parse", "HEAD").strip() == pushed
    assert console.git.history(["services/orders"])[0].subject == "a note"


def test_a_change_the_remote_refuses_is_taken_back(remote: Path, tmp_path: Path) -> None:
    console = _console(remote, tmp_path)
    before = git(console.root, "rev-parse", "HEAD").strip()
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch: changes need a review' >&2\nexit 1\n")
    hook.chmod(0o755)
    form, errors = parse_fields(BILLING)
    with pytest.raises(GitError) as refused:
        console.save(form, errors, EDITOR, new=True)
    assert str(refused.value).startswith("the change was not saved: main could not be updated (git push failed: ")
    assert "someone may have changed it meanwhile: check the change again and save it once more" in str(refused.value)
    assert git(console.root, "rev-parse", "HEAD").strip() == before  # nothing half-saved stays
    assert not (console.root / "services" / "billing").exists()
    assert git(remote, "rev-parse", "main").strip() == before


def test_a_workdir_that_is_not_a_clone_is_refused(remote: Path, tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "file").write_text("x")
    with pytest.raises(UsageError) as refused:
        _clone(str(remote), "main", None, taken)
    assert str(refused.value) == f"--workdir {taken} is neither empty nor a clone; give an empty or new folder"
    with pytest.raises(UsageError) as missing:
        _clone(str(tmp_path / "nowhere.git"), "main", None, tmp_path / "fresh")
    assert str(missing.value).startswith(f"cannot clone {tmp_path / 'nowhere.git'} (main): ")


def test_what_others_push_during_a_save_is_never_written_over(
    remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone pushes a change to the same file while the console judges its own: the console's
    commit is on what it judged, so the push is refused and theirs stays (following the branch waits
    for the save; it would otherwise bring theirs in under the console's whole-file draft)."""
    import time

    from dockyard.console.form import current_fields

    clone, upstream = _clone(str(remote), "main", None, tmp_path / "workdir")
    console = Console(clone, "local", recheck=0.0, kubeconfig=tmp_path / "none", upstream=upstream, follow_every=0.05)
    other = tmp_path / "other"
    git(tmp_path, "clone", "--quiet", str(remote), str(other))
    judge = console.check

    def judged_while_someone_pushes(*args: object, **kwargs: object) -> object:
        found = judge(*args, **kwargs)  # type: ignore[arg-type]
        score = other / "services" / "orders" / "score.yaml"
        score.write_text(score.read_text().replace("# Orders API", "# Orders API (theirs)", 1))
        commit_all(other, "their change")
        git(other, "push", "--quiet", "origin", "main")
        time.sleep(0.5)  # ten rounds of following, had it not waited
        return found

    monkeypatch.setattr(console, "check", judged_while_someone_pushes)
    files = console.files_of("orders")
    form, errors = parse_fields({**current_fields("orders", files), "team": "shop", "image": "ghcr.io/acme/orders:9"})
    with pytest.raises(GitError):
        console.save(form, errors, EDITOR, new=False)
    pushed = git(remote, "show", "main:services/orders/score.yaml")
    assert "# Orders API (theirs)" in pushed and "ghcr.io/acme/orders:9" not in pushed


def test_a_branch_that_git_could_read_as_an_option_is_refused(remote: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError) as refused:
        _clone(str(remote), "--upload-pack=touch /tmp/x", None, tmp_path / "workdir")
    assert str(refused.value) == (
        "--branch `--upload-pack=touch /tmp/x` is not a branch name (letters, digits, `.`, `_`, `-` and `/`)"
    )


def test_a_push_whose_answer_never_comes_is_saved_when_the_remote_took_it(
    remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git push gives up (its time runs out) after the remote updated the branch: the change was
    saved, and the console says so rather than taking it back."""
    from dockyard.console import gitrepo

    console = _console(remote, tmp_path)
    hook = remote / "hooks" / "post-receive"  # runs after the branch is updated; the push waits for it
    hook.write_text("#!/bin/sh\nsleep 5\n")
    hook.chmod(0o755)
    monkeypatch.setattr(gitrepo, "GIT_TIMEOUT", 2.0)
    form, errors = parse_fields(BILLING)
    checked, saved = console.save(form, errors, EDITOR, new=True)
    assert saved is not None, checked.errors
    hook.unlink()
    assert git(remote, "rev-parse", "main").strip() == saved.commit
    assert git(console.root, "rev-parse", "HEAD").strip() == saved.commit  # kept, not taken back
