"""`dockyard sync` refuses what it cannot use with a clear error, before it touches a cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli


def test_a_source_that_cannot_be_fetched_is_an_error_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKYARD_SYNC_CACHE", str(tmp_path / "cache"))
    missing = tmp_path / "no-such-repo"
    result = run_cli(capsys, "sync", str(missing), "-c", "local", "--once")
    lines = result.err.splitlines()
    assert result.code == 1 and "Traceback" not in result.err
    assert lines[0].endswith(
        f"source: git fetch {missing} (main): fatal: '{missing}' does not appear to be a git repository "
        "fatal: Could not read from remote repository."
    )
    assert lines[-1] == f"error: {missing} (main) could not be fetched (above); nothing was changed"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--listen", "8081"], "error: --listen 8081: write HOST:PORT, e.g. 127.0.0.1:8081"),
        (["--allowed-signers", "nowhere"], "error: --allowed-signers nowhere: no such file"),
        (["--interval", "0"], "error: --interval and --drift-interval must be above 0, --lease-duration at least 1"),
        (
            ["--lease-duration", "0.5"],
            "error: --interval and --drift-interval must be above 0, --lease-duration at least 1",
        ),
        (["--credentials", "nowhere"], "error: --credentials nowhere: no such directory"),
    ],
)
def test_options_it_cannot_use_are_usage_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "sync", "./repo", "-c", "local", *args)
    assert (result.code, result.err.strip()) == (2, message)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "error: --cluster is required: the cluster to apply the working tree to"),
        (["-c", "local", "--debounce", "1"], "error: --debounce must be at least 10 ms"),
    ],
)
def test_watch_refuses_what_it_cannot_use(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "watch", "./repo", *args)
    assert (result.code, result.err.strip()) == (2, message)
