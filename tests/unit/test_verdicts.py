"""`dockyard validate` replays the verdict of the same repo, command line and Dockyard, and judges
again after any change: a file's content, a file added or removed, the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dockyard.verdicts import Memo
from tests.helpers import copy_example, replace

WITHOUT_THE_PIPELINE = (
    "import sys\n"
    "sys.modules['dockyard.cli'] = None  # importing the command line's modules fails: only a replay can answer\n"
    "from dockyard.entry import main\n"
    "sys.argv = ['dockyard', *sys.argv[1:]]\n"
    "main()\n"
)


def _validate(repo: Path, cache: Path, *arguments: str, replay_only: bool = False, **env: str) -> tuple[int, str, str]:
    program = ["-c", WITHOUT_THE_PIPELINE] if replay_only else ["-m", "dockyard"]
    done = subprocess.run(
        [sys.executable, *program, "validate", str(repo), *arguments],
        env={**os.environ, "DOCKYARD_PARSE_CACHE": str(cache), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "repo")


def test_the_same_repo_is_answered_from_its_verdict_without_the_pipeline(repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _validate(repo, cache, "-c", "local")
    assert first[0] == 0, first
    assert _validate(repo, cache, "-c", "local", replay_only=True) == first
    # another command line has no verdict yet
    assert _validate(repo, cache, "-c", "prod-eu", replay_only=True)[0] != 0


def test_an_invalid_repo_is_judged_every_time(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An invalid verdict may come from the machine (a cache that cannot be written, a full disk),
    not the repo: it is never kept."""
    cache = tmp_path / "cache"
    replace(repo, "services/orders/dockyard.yaml", "port: metrics", "port: [metrics]")
    first = _validate(repo, cache)
    assert first[0] == 1 and "services/orders/dockyard.yaml" in first[2], first
    monkeypatch.setenv("DOCKYARD_PARSE_CACHE", str(cache))
    memo = Memo.of([str(repo)])
    assert memo is not None and memo.replay() is None


@pytest.mark.parametrize("change", ["content", "added", "removed", "environment"])
def test_any_change_is_judged_again(repo: Path, tmp_path: Path, change: str) -> None:
    cache = tmp_path / "cache"
    assert _validate(repo, cache)[0] == 0
    env = {}
    if change == "content":  # the same size, a moment later
        replace(repo, "services/orders/dockyard.yaml", "port: metrics", "port: metricz")
    elif change == "added":
        (repo / "services" / "orders" / "overrides").mkdir(exist_ok=True)
        (repo / "services" / "orders" / "overrides" / "prod.yaml").write_text("kind: Wrong\n")
    elif change == "removed":
        (repo / "services" / "orders" / "openapi.yaml").unlink()
    else:
        env = {"DOCKYARD_SOMETHING": "1"}
    assert _validate(repo, cache, replay_only=True, **env)[0] != 0  # no verdict for this state
    judged = _validate(repo, cache, **env)
    assert judged[0] == (0 if change == "environment" else 1), judged


def test_a_repo_changed_while_it_was_judged_keeps_no_verdict(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKYARD_PARSE_CACHE", str(tmp_path / "cache"))
    memo = Memo.of([str(repo)])
    assert memo is not None
    memo.record()
    print("valid")
    replace(repo, "services/orders/dockyard.yaml", "port: metrics", "port: metricz")
    memo.finish(0)
    assert not list((tmp_path / "cache" / "verdicts").glob("*.json"))
    again = Memo.of([str(repo)])
    assert again is not None
    again.record()
    print("valid")
    again.finish(0)
    assert again.replay() == 0


def test_nothing_is_remembered_without_a_cache_or_for_an_unknown_command_line(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKYARD_NO_CACHE", "1")
    assert Memo.of([str(repo)]) is None
    monkeypatch.delenv("DOCKYARD_NO_CACHE")
    assert Memo.of(["--help"]) is None
    assert Memo.of([str(repo), str(repo)]) is None
    assert Memo.of([str(repo / "services")]) is not None  # a folder inside the repo


def test_the_digest_reads_nothing_outside_the_repo_and_never_opens_a_fifo(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.hostile.guard import interpreter_places, watching

    monkeypatch.setenv("DOCKYARD_PARSE_CACHE", str(tmp_path / "cache"))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("token: canary\n")
    (repo / "services" / "orders" / "linked.yaml").symlink_to(outside / "secret.yaml")
    (repo / "services" / "orders" / "linked-folder").symlink_to(outside)
    os.mkfifo(repo / "services" / "orders" / "pipe.yaml")
    with watching((repo, *interpreter_places()), (), (outside,)) as watch:
        memo = Memo.of([str(repo)])
    assert memo is not None
    assert watch.escapes == []
    before = memo.key
    (outside / "secret.yaml").write_text("token: changed\n")  # not part of the repo's digest
    again = Memo.of([str(repo)])
    assert again is not None and again.key == before


def test_a_symlink_through_a_hop_outside_counts_by_where_it_ends(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKYARD_PARSE_CACHE", str(tmp_path / "cache"))
    settings = repo / "services" / "orders"
    (settings / "good.yaml").write_text((settings / "dockyard.yaml").read_text())
    (settings / "bad.yaml").write_text("kind: Wrong\n")
    hop = tmp_path / "hop"
    hop.symlink_to(settings / "good.yaml")
    (settings / "dockyard.yaml").unlink()
    (settings / "dockyard.yaml").symlink_to(hop)
    before = Memo.of([str(repo)])
    hop.unlink()
    hop.symlink_to(settings / "bad.yaml")  # the link's own text is the same
    after = Memo.of([str(repo)])
    assert before is not None and after is not None and before.key != after.key


def test_what_is_kept_must_be_a_valid_verdict_or_nothing_is_printed(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOCKYARD_PARSE_CACHE", str(tmp_path / "cache"))
    memo = Memo.of([str(repo)])
    assert memo is not None
    memo.folder.mkdir(parents=True)
    for kept in ('{"code": 0, "written": [[1]]}', '{"code": 1, "written": []}', "[]", "{"):
        (memo.folder / f"{memo.key}.json").write_text(kept)
        assert memo.replay() is None
    assert capsys.readouterr() == ("", "")


def test_a_working_directory_that_is_gone_remembers_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert Memo.of(["."]) is None


def test_the_loader_never_reads_git_s_own_folder(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`.git` is not in the verdict's digest because nothing of the platform is ever read from it."""
    from tests.helpers import run_cli

    (repo / ".git").mkdir()
    (repo / ".git" / "nginx.conf").write_text("server {}\n")
    replace(repo, "services/web/score.yaml", "source: nginx.conf", "source: ../../.git/nginx.conf")
    result = run_cli(capsys, "validate", str(repo))
    assert result.code == 1
    assert "`../../.git/nginx.conf` is inside .git, git's own folder, which is not part of the platform repo" in (
        result.err
    ), result.err
