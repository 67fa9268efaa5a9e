"""OpenPGP recipients of secrets files, through the distribution's GnuPG: Dockyard writes and reads
them, and the real `sops` (built from its Go module) reads Dockyard's and writes what Dockyard reads.
Each test has a GnuPG home of its own with a key made for it (no passphrase), and stops its agent."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyrage
import pytest

from dockyard.secrets import pgp
from dockyard.secrets.sopsfile import Metadata, SecretsLocked, age_stanzas, new_data_key, open_file, pgp_stanzas, seal

VALUES: dict[str, Any] = {"db": {"password": "s3cret", "port": 5432}, "token": "t0ken"}


def _gpg(home: Path, *args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["gpg", "--batch", "--homedir", str(home), *args], input=data, capture_output=True, check=True
    )


@pytest.fixture
def key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A new key pair in a GnuPG home of the test's own (GNUPGHOME points there): its fingerprint."""
    if shutil.which("gpg") is None:
        pytest.fail("GnuPG is not installed: run scripts/install-gnupg (scripts/test runs it)")
    home = Path(os.environ.get("TMPDIR", "/tmp")) / f"dy-gpg-{os.getpid()}-{tmp_path.name[-12:]}"  # short: a socket
    home.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(home))
    _gpg(home, "--passphrase", "", "--quick-gen-key", "Dockyard Test <test@example.org>", "default", "default", "1d")
    listed = _gpg(home, "--with-colons", "--list-secret-keys").stdout.decode()
    fingerprint = next(line.split(":")[9] for line in listed.splitlines() if line.startswith("fpr:"))
    yield fingerprint
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False, capture_output=True)
    shutil.rmtree(home, ignore_errors=True)


def _sealed(fingerprints: list[str], age: tuple[str, ...] = ()) -> tuple[bytes, bytes]:
    data_key = new_data_key()
    metadata = Metadata(
        age=age_stanzas(data_key, list(age)), lastmodified="", mac="", pgp=pgp_stanzas(data_key, fingerprints)
    )
    return seal(VALUES, data_key, metadata, now=datetime.now(UTC)), data_key


def test_a_file_encrypted_to_a_pgp_key_opens_with_it_and_not_without(key: str, tmp_path: Path) -> None:
    raw, data_key = _sealed([key])
    assert f"fp: {key}" in raw.decode() and "-----BEGIN PGP MESSAGE-----" in raw.decode()
    opened = open_file("secrets/platform.yaml", raw, [])
    assert (opened.values, opened.data_key) == (VALUES, data_key)
    assert [s.fp for s in opened.metadata.pgp] == [key]
    # an edit keeps the PGP stanza as it was (same data key): only the changed value's line differs
    edited = seal({**VALUES, "token": "n3w"}, opened.data_key, opened.metadata, opened, now=datetime.now(UTC))
    changed = set(raw.decode().splitlines()) ^ set(edited.decode().splitlines())
    assert all(line.lstrip().startswith(("token:", "lastmodified:", "mac:")) for line in changed), changed

    elsewhere = tmp_path / "other-gnupg"
    elsewhere.mkdir(mode=0o700)
    os.environ["GNUPGHOME"] = str(elsewhere)  # restored by the fixture's monkeypatch
    with pytest.raises(SecretsLocked) as locked:
        open_file("secrets/platform.yaml", raw, [])
    subprocess.run(["gpgconf", "--homedir", str(elsewhere), "--kill", "gpg-agent"], check=False, capture_output=True)
    assert str(locked.value) == (
        f"secrets/platform.yaml: none of the age keys or PGP keys (gpg) at hand opens it (it is encrypted to PGP {key})"
    )


def test_an_age_key_opens_a_file_encrypted_to_both_without_gpg(key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    identity = pyrage.x25519.Identity.generate()
    raw, data_key = _sealed([key], (str(identity.to_public()),))
    monkeypatch.setenv(pgp.GPG_ENV, "no-such-gpg")  # never asked
    assert open_file("f.yaml", raw, [identity]).data_key == data_key


def test_a_message_only_stored_is_no_data_key(key: str) -> None:
    """gpg prints a message that is stored or compressed, not encrypted (anyone can write one, and a
    small one can unpack to gigabytes): only a message encrypted to a key opens a file."""
    home = Path(os.environ["GNUPGHOME"])
    stored = _gpg(home, "--store", "--armor", data=new_data_key()).stdout.decode()
    assert pgp.decrypt(stored) is None
    huge = _gpg(home, "--store", "--armor", "-z", "9", "--compress-algo", "zlib", data=bytes(20_000_000))
    assert pgp.decrypt(huge.stdout.decode()) is None
    assert pgp.decrypt(pgp.encrypt(b"k" * 32, key)) == b"k" * 32


def test_pgp_recipients_are_kept_as_pgp_however_written(key: str, tmp_path: Path) -> None:
    """A fingerprint in lower case (as sops writes what .sops.yaml says) is the same key; a long key
    id under `pgp` stays under `pgp` when the rule's recipients are written again."""
    from dockyard.secrets import rules
    from dockyard.secrets.store import recipients_of

    raw, _ = _sealed([key])
    lower = raw.decode().replace(f"fp: {key}", f"fp: {key.lower()}").encode()
    assert recipients_of(open_file("f.yaml", lower, [])) == [key]
    age = str(pyrage.x25519.Identity.generate().to_public())
    (tmp_path / ".sops.yaml").write_text(f"creation_rules:\n  - pgp: {key[-16:].lower()}\n")
    (rule,) = rules.read_rules(tmp_path)
    assert rule.recipients == (key[-16:],)
    rules.set_recipients(tmp_path, 0, [*rule.recipients, age])
    assert rules.read_rules(tmp_path)[0].recipients == (age, key[-16:])
    assert f"pgp: {key[-16:]}" in (tmp_path / ".sops.yaml").read_text()


def test_encrypting_to_a_key_not_in_the_keyring_says_what_to_do(key: str) -> None:
    del key
    with pytest.raises(pgp.PgpError, match=r"^gpg cannot encrypt to 0{40} \(.*\); import its public key"):
        pgp.encrypt(new_data_key(), "0" * 40)


@pytest.mark.tools
def test_sops_reads_dockyards_pgp_file_and_dockyard_reads_sops(key: str, tmp_path: Path) -> None:
    from tests.peers import sops

    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "GNUPGHOME": os.environ["GNUPGHOME"]}

    def run_sops(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(sops()), *args], cwd=tmp_path, env=env, capture_output=True, text=True, check=False)

    raw, _ = _sealed([key])
    (tmp_path / "dockyard.yaml").write_bytes(raw)
    done = run_sops("decrypt", "--output-type", "json", "dockyard.yaml")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == VALUES

    (tmp_path / "plain.yaml").write_text("db:\n  password: s3cret\n  port: 5432\ntoken: t0ken\n")
    written = run_sops("encrypt", "--pgp", key, "plain.yaml")
    assert written.returncode == 0, written.stderr
    opened = open_file("secrets/platform.yaml", written.stdout.encode(), [])
    assert opened.values == VALUES and [s.fp for s in opened.metadata.pgp] == [key]


def test_recipients_add_and_remove_a_pgp_key_through_the_cli(
    key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The PGP key is named in .sops.yaml's `pgp`, the file's data key encrypted to it too (then
    gpg alone opens it); removed, the file gets a new data key only the age key opens."""
    import io
    import sys

    from dockyard.secrets import keys
    from tests.helpers import copy_example, run_cli

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv(keys.KEY_ENV, raising=False)
    monkeypatch.delenv(keys.KEY_FILE_ENV, raising=False)
    repo = copy_example(tmp_path / "repo")
    assert run_cli(capsys, "secrets", "init", str(repo)).code == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret"))
    assert run_cli(capsys, "secrets", "set", "db.password", str(repo)).code == 0

    added = run_cli(capsys, "secrets", "recipients", "add", key, str(repo))
    assert (added.code, added.out.splitlines()) == (
        0,
        ["re-encrypted the data key of secrets/platform.yaml", f"added {key}"],
    )
    assert f"    pgp: {key}\n" in (repo / ".sops.yaml").read_text()
    raw = (repo / "secrets" / "platform.yaml").read_bytes()
    assert open_file("secrets/platform.yaml", raw, []).values == {"db": {"password": "s3cret"}}  # gpg alone
    # as sops would have written it from a .sops.yaml in lower case: still the key to remove
    (repo / "secrets" / "platform.yaml").write_bytes(raw.replace(f"fp: {key}".encode(), f"fp: {key.lower()}".encode()))

    removed = run_cli(capsys, "secrets", "recipients", "remove", key, str(repo))
    assert (removed.code, removed.out.splitlines()) == (0, ["rotated secrets/platform.yaml", f"removed {key}"])
    assert "pgp" not in (repo / ".sops.yaml").read_text()
    with pytest.raises(SecretsLocked):
        open_file("secrets/platform.yaml", (repo / "secrets" / "platform.yaml").read_bytes(), [])
