"""`dockyard console`: what it refuses before it listens."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import copy_example, run_cli


def test_the_development_login_listens_only_on_loopback(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    result = run_cli(capsys, "console", str(repo), "-c", "local", "--dev-login", "--host", "0.0.0.0")
    assert (result.code, result.err.strip()) == (
        2,
        "error: --dev-login lets anyone sign in as anyone; listen on a loopback address with it, not 0.0.0.0",
    )


def test_without_a_way_to_sign_in_it_says_what_is_missing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    result = run_cli(capsys, "console", str(repo), "-c", "local")
    assert result.code == 2
    assert result.err.strip() == (
        "error: nobody could sign in: give the identity provider (--oidc-issuer, --oidc-client-id, "
        "--oidc-client-secret-file) or, on this machine only, --dev-login"
    )


def test_a_short_session_key_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    key = tmp_path / "key"
    key.write_bytes(b"short")
    result = run_cli(capsys, "console", str(repo), "-c", "local", "--dev-login", "--session-key-file", str(key))
    assert result.code == 2
    assert result.err.strip() == f"error: {key} holds 5 bytes; a session key needs at least 32 random bytes"


def test_unreadable_files_and_an_unknown_cluster_are_usage_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    repo = copy_example(tmp_path / "repo")
    missing = tmp_path / "missing"
    for args, expected in (
        (("--dev-login", "--session-key-file", str(missing)), f"error: --session-key-file: cannot read {missing}: "),
        (
            ("--oidc-issuer", "https://sso.example.org/realms/p", "--oidc-client-secret-file", str(missing)),
            f"error: --oidc-client-secret-file: cannot read {missing}: ",
        ),
    ):
        result = run_cli(capsys, "console", str(repo), "-c", "local", *args)
        assert result.code == 2 and result.err.startswith(expected), result.err
        assert "Traceback" not in result.err and "internal error" not in result.err
    unknown = run_cli(capsys, "console", str(repo), "-c", "lcoal", "--dev-login")
    assert (unknown.code, unknown.err.strip()) == (
        2,
        "error: unknown cluster `lcoal`; clusters: local, prod-eu (did you mean `local`?)",
    )
