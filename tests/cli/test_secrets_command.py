"""`dockyard secrets ...`: set up, set, list, edit, rotate, recipients and diff, with a value that
must never show in any output, argument or file but the encrypted one."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pyrage
import pytest

from dockyard.secrets import keys
from dockyard.secrets.sopsfile import open_file
from tests.helpers import GIT_IDENTITY, copy_example, run_cli

CANARY = "canary-7f3e9b2c-do-not-leak"
KEY_RULE = "is not a secret's key: use dotted names of letters, digits, `-` and `_` (e.g. db.password)"
LAYOUT = (
    "not a secrets file: use secrets/platform.yaml, secrets/<environment>.yaml, secrets/<cluster>.yaml "
    "or services/<name>/secrets.yaml"
)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv(keys.KEY_ENV, raising=False)
    monkeypatch.delenv(keys.KEY_FILE_ENV, raising=False)
    root = copy_example(tmp_path / "repo")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "first")
    return root


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, env={**os.environ, **GIT_IDENTITY})


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def _identity(tmp_path: Path) -> pyrage.x25519.Identity:
    found = keys.identities()
    assert len(found.keys) == 1
    return found.keys[0]


def test_init_makes_a_private_key_outside_the_repo_and_the_rule(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "secrets", "init", str(repo))
    key_file = tmp_path / "home" / ".config" / "sops" / "age" / "keys.txt"
    public = str(_identity(tmp_path).to_public())
    assert result.code == 0 and result.out.splitlines() == [
        f"created an age key in {key_file} (keep it safe and out of the repo)",
        f"wrote .sops.yaml: secrets files are encrypted to {public}",
        "next: printf %s VALUE | dockyard secrets set KEY --file secrets/platform.yaml",
    ]
    assert oct(key_file.stat().st_mode & 0o777) == "0o600" and oct(key_file.parent.stat().st_mode & 0o777) == "0o700"
    assert (repo / ".sops.yaml").read_text() == (
        f"creation_rules:\n  - path_regex: ^(secrets/[^/]+|services/[^/]+/secrets)\\.yaml$\n    age: {public}\n"
    )
    again = run_cli(capsys, "secrets", "init", str(repo))
    assert again.out.splitlines()[0] == ".sops.yaml already has the rule for secrets files; left as it is"
    assert len(keys.identities().keys) == 1  # the key made first is used, not another


def test_set_reads_stdin_and_never_prints_the_value(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_cli(capsys, "secrets", "init", str(repo))
    _stdin(monkeypatch, CANARY + "\n")
    result = run_cli(capsys, "secrets", "set", "db.password", str(repo), "--file", "secrets/prod.yaml")
    assert (result.code, result.out, result.err) == (0, "set db.password in secrets/prod.yaml\n", "")
    raw = (repo / "secrets" / "prod.yaml").read_bytes()
    assert CANARY.encode() not in raw
    assert open_file("secrets/prod.yaml", raw, keys.identities().keys).values == {"db": {"password": CANARY}}
    _stdin(monkeypatch, CANARY)
    same = run_cli(capsys, "secrets", "set", "db.password", str(repo), "--file", "secrets/prod.yaml")
    assert same.out == "unchanged: db.password in secrets/prod.yaml\n"
    assert (repo / "secrets" / "prod.yaml").read_bytes() == raw
    listed = run_cli(capsys, "secrets", "list", str(repo))
    assert listed.out == "secrets/prod.yaml:\n  db.password\n"
    valid = run_cli(capsys, "validate", str(repo))
    assert valid.code == 0, valid.err
    assert CANARY not in listed.out + valid.out + valid.err


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["set", "db.password", "{repo}"],
            "",
            "error: no value for db.password on stdin (to remove a secret: dockyard secrets unset db.password)",
        ),
        (
            ["set", "db..password", "{repo}"],
            "x",
            "error: `db..password` " + KEY_RULE,
        ),
        (
            ["set", "sops.mac", "{repo}"],
            "x",
            "error: `sops.mac` " + KEY_RULE + "; `sops` is reserved",
        ),
        (
            ["set", "x", "{repo}", "--file", "secrets/../platform.yaml"],
            "x",
            "error: secrets/../platform.yaml: " + LAYOUT,
        ),
        (
            ["set", "x", "{repo}", "--file", "platform.yaml"],
            "x",
            "error: platform.yaml: " + LAYOUT,
        ),
        (
            ["recipients", "add", "age1nope", "{repo}"],
            "",
            "error: not an age public key or a PGP key: age1nope (age1..., or a fingerprint or long key id in "
            "hexadecimal)",
        ),
    ],
)
def test_bad_input_is_a_usage_error_and_writes_nothing(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    stdin: str,
    message: str,
) -> None:
    run_cli(capsys, "secrets", "init", str(repo))
    _stdin(monkeypatch, stdin)
    before = sorted(p.relative_to(repo) for p in repo.rglob("*") if ".git" not in p.parts)
    result = run_cli(capsys, "secrets", *[str(repo) if arg == "{repo}" else arg for arg in args])
    assert (result.code, result.err.strip()) == (2, message)
    assert sorted(p.relative_to(repo) for p in repo.rglob("*") if ".git" not in p.parts) == before


def test_without_a_rule_nothing_is_written(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, "x")
    result = run_cli(capsys, "secrets", "set", "a", str(repo))
    assert (result.code, result.err.strip()) == (
        1,
        "error: secrets/platform.yaml: no rule in .sops.yaml names age or PGP recipients for it; "
        "run `dockyard secrets init` (or add a rule)",
    )
    assert not (repo / "secrets").exists()


def test_a_file_nobody_here_can_open_says_where_keys_were_looked_for(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_cli(capsys, "secrets", "init", str(repo))
    _stdin(monkeypatch, "x")
    run_cli(capsys, "secrets", "set", "a", str(repo))
    monkeypatch.setenv("HOME", str(tmp_path / "elsewhere"))
    _stdin(monkeypatch, "y")
    result = run_cli(capsys, "secrets", "set", "b", str(repo))
    assert result.code == 1
    assert result.err.startswith(
        "error: secrets/platform.yaml: none of the age keys at hand opens it (it is encrypted to age1"
    )
    assert result.err.rstrip().endswith("; looked for age keys in $SOPS_AGE_KEY, ~/.config/sops/age/keys.txt")


def test_edit_changes_only_what_was_edited_and_leaves_no_copy(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_cli(capsys, "secrets", "init", str(repo))
    for key, value in (("db.password", CANARY), ("db.user", "orders"), ("smtp.key", "k1")):
        _stdin(monkeypatch, value)
        run_cli(capsys, "secrets", "set", key, str(repo))
    before = (repo / "secrets" / "platform.yaml").read_text()
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    script = tmp_path / "editor.sh"
    script.write_text('#!/bin/sh\nsed -i "s/k1/k2/" "$1"\ncp "$1" "$(dirname "$0")/seen.yaml"\n')
    script.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(script))
    monkeypatch.delenv("VISUAL", raising=False)
    result = run_cli(capsys, "secrets", "edit", "secrets/platform.yaml", str(repo))
    assert (result.code, result.out) == (0, "wrote secrets/platform.yaml: changed smtp.key\n")
    assert list(temporary.iterdir()) == []  # the decrypted copy is gone
    seen = (tmp_path / "seen.yaml").read_text()
    assert seen.startswith("# Decrypted copy of secrets/platform.yaml") and "key: k2" in seen
    after = (repo / "secrets" / "platform.yaml").read_text()
    changed = set(after.splitlines()) ^ set(before.splitlines())
    assert {"key", "mac"} <= {line.split(":")[0].strip() for line in changed} <= {"key", "lastmodified", "mac"}
    assert CANARY not in result.out + result.err + after


def test_an_edit_that_is_not_yaml_changes_nothing(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_cli(capsys, "secrets", "init", str(repo))
    _stdin(monkeypatch, CANARY)
    run_cli(capsys, "secrets", "set", "db.password", str(repo))
    before = (repo / "secrets" / "platform.yaml").read_bytes()
    script = tmp_path / "editor.sh"
    script.write_text('#!/bin/sh\nprintf "db: [%s\\n" "$(cat "$1" | tail -1)" > "$1"\n')
    script.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(script))
    result = run_cli(capsys, "secrets", "edit", "secrets/platform.yaml", str(repo))
    assert result.code == 1
    assert result.err.startswith(
        "secrets/platform.yaml (edited copy):2:1: not YAML Dockyard reads here (what the parser said is not shown"
    )
    assert result.err.endswith("1 problem found; nothing was changed\n")
    assert CANARY not in result.err
    assert (repo / "secrets" / "platform.yaml").read_bytes() == before


def test_recipients_add_and_remove_and_rotate(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_cli(capsys, "secrets", "init", str(repo))
    _stdin(monkeypatch, CANARY)
    run_cli(capsys, "secrets", "set", "db.password", str(repo), "--file", "services/orders/secrets.yaml")
    colleague = pyrage.x25519.Identity.generate()
    added = run_cli(capsys, "secrets", "recipients", "add", str(colleague.to_public()), str(repo))
    assert added.out.splitlines() == [
        "re-encrypted the data key of services/orders/secrets.yaml",
        f"added {colleague.to_public()}",
    ]
    path = repo / "services" / "orders" / "secrets.yaml"
    shared = open_file("x", path.read_bytes(), [colleague])
    assert shared.values == {"db": {"password": CANARY}}
    removed = run_cli(capsys, "secrets", "recipients", "remove", str(colleague.to_public()), str(repo))
    assert removed.out.splitlines() == ["rotated services/orders/secrets.yaml", f"removed {colleague.to_public()}"]
    with pytest.raises(Exception, match="none of the age keys"):
        open_file("x", path.read_bytes(), [colleague])
    rotated = open_file("x", path.read_bytes(), keys.identities().keys)
    assert rotated.values == shared.values and rotated.data_key != shared.data_key
    last = run_cli(capsys, "secrets", "recipients", "remove", str(keys.identities().recipients()[0]), str(repo))
    assert (last.code, last.err.strip()) == (
        2,
        "error: that is the last recipient of a rule: nobody could read its files",
    )
    rotate = run_cli(capsys, "secrets", "rotate", str(repo))
    assert rotate.out == "rotated services/orders/secrets.yaml\n"
    assert open_file("x", path.read_bytes(), keys.identities().keys).data_key != rotated.data_key


def test_diff_names_keys_between_revisions_never_values(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_cli(capsys, "secrets", "init", str(repo))
    for key, value in (("db.password", CANARY), ("db.user", "orders")):
        _stdin(monkeypatch, value)
        run_cli(capsys, "secrets", "set", key, str(repo))
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "secrets")
    _stdin(monkeypatch, CANARY + "-2")
    run_cli(capsys, "secrets", "set", "db.password", str(repo))
    run_cli(capsys, "secrets", "unset", "db.user", str(repo))
    _stdin(monkeypatch, "new")
    run_cli(capsys, "secrets", "set", "api.token", str(repo), "--file", "secrets/local.yaml")
    now = run_cli(capsys, "secrets", "diff", str(repo))
    assert now.out.splitlines() == [
        "secrets/local.yaml: added api.token",
        "secrets/platform.yaml: changed db.password",
        "secrets/platform.yaml: removed db.user",
    ]
    history = run_cli(capsys, "secrets", "diff", str(repo), "--from", "HEAD~1", "--to", "HEAD")
    assert history.out.splitlines() == [
        "secrets/platform.yaml: added db.password",
        "secrets/platform.yaml: added db.user",
    ]
    run_cli(capsys, "secrets", "rotate", str(repo), "--file", "secrets/local.yaml")
    assert CANARY not in now.out + now.err + history.out + history.err
    option = run_cli(capsys, "secrets", "diff", str(repo), "--from", "--output=/tmp/x")
    assert (option.code, option.err.strip()) == (2, "error: not a revision: `--output=/tmp/x`")
