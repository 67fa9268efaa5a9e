"""What the secrets commands refuse, and what they never do as a side effect: a value written in
clear, a value sops cannot read back, a file of key groups rewritten, a rule's settings ignored, a
recipient added or kept silently, a private key made inside the repo, half a rotation."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pyrage
import pytest

from dockyard.secrets import keys, rules, sopsfile, store
from tests.helpers import copy_example, run_cli

ME = pyrage.x25519.Identity.generate()
COLLEAGUE = pyrage.x25519.Identity.generate()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv(keys.KEY_FILE_ENV, raising=False)
    monkeypatch.setenv(keys.KEY_ENV, str(ME))
    root = copy_example(tmp_path / "repo")
    rules.add_layout_rule(root, [str(ME.to_public())])
    return root


def _set(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, repo: Path, key: str, value: str, *rest: str
):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "stdin", io.StringIO(value))
    return run_cli(capsys, "secrets", "set", key, str(repo), *rest)


def test_a_key_sops_leaves_in_clear_cannot_hold_a_secret(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _set(capsys, monkeypatch, repo, "db_unencrypted", "hunter2")
    assert (result.code, result.err.strip()) == (
        2,
        "error: secrets/platform.yaml: `db_unencrypted` would be written in clear (the file's sops rules leave that "
        "key unencrypted); name the secret otherwise",
    )
    assert not (repo / "secrets").exists()


def test_a_file_whose_rules_encrypt_only_some_keys_gets_no_other_value(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = sopsfile.new_data_key()
    metadata = sopsfile.Metadata(
        age=sopsfile.age_stanzas(key, [str(ME.to_public())]),
        lastmodified="",
        mac="",
        unencrypted_suffix=None,
        encrypted_regex="^(data|stringData)$",
    )
    (repo / "secrets").mkdir()
    (repo / "secrets" / "platform.yaml").write_bytes(sopsfile.seal({"data": {"a": "b"}}, key, metadata))
    before = (repo / "secrets" / "platform.yaml").read_bytes()
    result = _set(capsys, monkeypatch, repo, "db.password", "TOPSECRET")
    assert result.code == 2 and "`db.password` would be written in clear" in result.err
    assert (repo / "secrets" / "platform.yaml").read_bytes() == before


def test_numbers_sops_cannot_read_back_are_refused(repo: Path) -> None:
    target = store.layer_file(repo, "secrets/platform.yaml")
    for value, said in ((float("inf"), "is inf, which sops cannot read back"), (2**64, "beyond 64 bits")):
        with pytest.raises(Exception, match=said):
            store.save(target, {"n": value}, None)
    assert not (repo / "secrets").exists()


def test_a_file_with_key_groups_is_never_rewritten(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _set(capsys, monkeypatch, repo, "a", "x").code == 0
    path = repo / "secrets" / "platform.yaml"
    text = path.read_text().replace("sops:\n", "sops:\n    key_groups:\n        - pgp: []\n", 1)
    path.write_text(text)
    result = _set(capsys, monkeypatch, repo, "b", "y")
    assert (result.code, result.err.strip()) == (
        1,
        "error: secrets/platform.yaml: it uses sops key groups, which Dockyard does not write; change it with sops",
    )
    assert path.read_text() == text


def test_a_rule_that_asks_for_more_than_age_makes_no_new_file(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = repo / ".sops.yaml"
    config.write_text(
        "creation_rules:\n  - path_regex: ^secrets/prod\\.yaml$\n"
        f"    age: {ME.to_public()}\n    pgp: ABCDEF0123456789\n    encrypted_regex: ^password$\n"
        + config.read_text().removeprefix("creation_rules:\n")
    )
    result = _set(capsys, monkeypatch, repo, "a", "x", "--file", "secrets/prod.yaml")
    assert (result.code, result.err.strip()) == (
        1,
        "error: secrets/prod.yaml: its rule in .sops.yaml also sets encrypted_regex, which Dockyard does not "
        "apply; create the file with sops, then change it with Dockyard",
    )
    assert not (repo / "secrets" / "prod.yaml").exists()


def test_setting_a_value_never_changes_who_reads_the_file(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _set(capsys, monkeypatch, repo, "a", "x").code == 0
    rules.set_recipients(repo, 0, [str(ME.to_public()), str(COLLEAGUE.to_public())])  # a change to .sops.yaml
    result = _set(capsys, monkeypatch, repo, "b", "y")
    assert result.out.splitlines() == [
        "set b in secrets/platform.yaml",
        "note: .sops.yaml names other recipients for secrets/platform.yaml than it is encrypted to; "
        "`dockyard secrets rotate --file secrets/platform.yaml` encrypts it to them",
    ]
    raw = (repo / "secrets" / "platform.yaml").read_bytes()
    with pytest.raises(sopsfile.SecretsLocked):
        sopsfile.open_file("secrets/platform.yaml", raw, [COLLEAGUE])
    assert run_cli(capsys, "secrets", "rotate", str(repo)).code == 0
    opened = sopsfile.open_file("secrets/platform.yaml", (repo / "secrets" / "platform.yaml").read_bytes(), [COLLEAGUE])
    assert opened.values == {"a": "x", "b": "y"}


def test_removing_a_recipient_rotates_every_file_it_could_open_under_any_rule(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = repo / ".sops.yaml"
    both = f"{ME.to_public()},{COLLEAGUE.to_public()}"
    config.write_text(
        f"creation_rules:\n  - path_regex: ^secrets/prod-eu\\.yaml$\n    age: {both}\n"
        f"  - path_regex: ^(secrets/[^/]+|services/[^/]+/secrets)\\.yaml$\n    age: {both}\n"
    )
    for file in ("secrets/prod-eu.yaml", "secrets/platform.yaml"):
        assert _set(capsys, monkeypatch, repo, "a", "x", "--file", file).code == 0
    result = run_cli(capsys, "secrets", "recipients", "remove", str(COLLEAGUE.to_public()), str(repo))
    assert result.out.splitlines() == [
        "rotated secrets/platform.yaml",
        "rotated secrets/prod-eu.yaml",
        f"removed {COLLEAGUE.to_public()}",
    ]
    assert str(COLLEAGUE.to_public()) not in config.read_text()
    for file in ("secrets/prod-eu.yaml", "secrets/platform.yaml"):
        with pytest.raises(sopsfile.SecretsLocked):
            sopsfile.open_file(file, (repo / file).read_bytes(), [COLLEAGUE])


def test_init_never_makes_a_private_key_inside_the_repo(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(keys.KEY_ENV)
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(repo / "keys.txt"))
    (repo / ".sops.yaml").unlink()
    result = run_cli(capsys, "secrets", "init", str(repo))
    assert (result.code, result.err.strip()) == (
        2,
        "error: SOPS_AGE_KEY_FILE names a file inside the platform repo: a private key never goes there",
    )
    assert not (repo / "keys.txt").exists() and not (repo / ".sops.yaml").exists()


def test_an_edit_that_changes_only_a_type_is_saved(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _set(capsys, monkeypatch, repo, "port", "8080").code == 0  # set always writes text
    script = tmp_path / "editor.sh"
    script.write_text('#!/bin/sh\nsed -i "s/port: \'8080\'/port: 8080/" "$1"\n')
    script.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(script))
    result = run_cli(capsys, "secrets", "edit", "secrets/platform.yaml", str(repo))
    assert (result.code, result.out) == (0, "wrote secrets/platform.yaml: changed port\n")
    opened = sopsfile.open_file("x", (repo / "secrets" / "platform.yaml").read_bytes(), [ME])
    assert opened.values == {"port": 8080} and isinstance(opened.values["port"], int)


@pytest.mark.parametrize(
    "edited",
    ["a: !!int hunter2secret", "a: !hunter2secret x", "a: *hunter2secret", "a: [hunter2secret"],
)
def test_an_edit_error_never_shows_a_value(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, edited: str
) -> None:
    assert _set(capsys, monkeypatch, repo, "a", "x").code == 0
    script = tmp_path / "editor.sh"
    script.write_text(f"#!/bin/sh\nprintf '%s\\n' '{edited}' > \"$1\"\n")
    script.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(script))
    result = run_cli(capsys, "secrets", "edit", "secrets/platform.yaml", str(repo))
    assert result.code == 1 and "hunter2secret" not in result.err
    assert result.err.startswith("secrets/platform.yaml (edited copy):")
    assert "not YAML Dockyard reads here (what the parser said is not shown: it may quote a value)" in result.err


def test_a_rotation_that_cannot_finish_writes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for file in ("secrets/dev.yaml", "secrets/platform.yaml"):
        assert _set(capsys, monkeypatch, repo, "a", "x", "--file", file).code == 0
    platform = repo / "secrets" / "platform.yaml"
    kms = "sops:\n    kms:\n        - arn: arn:aws:kms:eu-west-1:111122223333:key/k\n          enc: AAAA\n"
    platform.write_text(platform.read_text().replace("sops:\n", kms, 1))
    before = {p.name: p.read_bytes() for p in (repo / "secrets").iterdir()}
    result = run_cli(capsys, "secrets", "rotate", str(repo))
    assert result.code == 1 and "keys Dockyard cannot encrypt to (kms)" in result.err
    assert {p.name: p.read_bytes() for p in (repo / "secrets").iterdir()} == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "error: --cluster is required: the cluster whose generated credentials to keep"),
        (
            ["-c", "local", "--file", "services/orders/secrets.yaml"],
            "error: services/orders/secrets.yaml: generated credentials are kept in a layer file "
            "(secrets/<layer>.yaml)",
        ),
    ],
)
def test_export_generated_refuses_what_it_cannot_use_before_reaching_a_cluster(
    repo: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    result = run_cli(capsys, "secrets", "export-generated", str(repo), *args)
    assert (result.code, result.err.strip()) == (2, message)
