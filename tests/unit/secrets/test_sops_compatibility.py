"""Dockyard's secrets files and the real `sops` (built from its Go module) read each other's."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyrage
import pytest

from dockyard.errors import InputError
from dockyard.secrets.sopsfile import Metadata, age_stanzas, new_data_key, open_file, seal
from tests.peers import sops

pytestmark = pytest.mark.tools

IDENTITY = pyrage.x25519.Identity.generate()
VALUES: dict[str, Any] = {
    "db": {"password": "s3cret: with colon", "port": 5432, "ratio": 0.25, "tls": False, "empty": ""},
    "hosts": ["a", "b", {"name": "c"}],
    "region_unencrypted": "eu-west-1",
    "multi": "line one\nline two ünïcode",
}


def _sops(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(cwd),
        "SOPS_AGE_KEY": str(IDENTITY),
    }
    return subprocess.run([str(sops()), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)


def test_sops_decrypts_what_dockyard_wrote(tmp_path: Path) -> None:
    key = new_data_key()
    metadata = Metadata(age=age_stanzas(key, [str(IDENTITY.to_public())]), lastmodified="", mac="")
    (tmp_path / "platform.yaml").write_bytes(seal(VALUES, key, metadata, now=datetime.now(UTC)))
    done = _sops("decrypt", "--output-type", "json", "platform.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == VALUES


def test_dockyard_decrypts_what_sops_wrote_and_sops_reads_dockyards_edit(tmp_path: Path) -> None:
    (tmp_path / "plain.yaml").write_text(
        "db:\n  password: s3cret\n  port: 5432\n  ratio: 0.5\n  tls: true\n"
        "hosts:\n  - a\n  - name: c\nregion_unencrypted: eu\n# a comment sops encrypts\n"
    )
    done = _sops("encrypt", "--age", str(IDENTITY.to_public()), "plain.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = done.stdout.encode()
    opened = open_file("secrets/platform.yaml", written, [IDENTITY])
    assert opened.values == {
        "db": {"password": "s3cret", "port": 5432, "ratio": 0.5, "tls": True},
        "hosts": ["a", {"name": "c"}],
        "region_unencrypted": "eu",
    }
    edited = {**opened.values, "db": {**opened.values["db"], "password": "n3w"}}
    again = seal(edited, opened.data_key, opened.metadata, opened, now=datetime.now(UTC))
    unchanged = [line for line in written.decode().splitlines() if "port:" in line or "- ENC" in line]
    assert all(line in again.decode().splitlines() for line in unchanged)  # sops' ciphertexts kept
    (tmp_path / "edited.yaml").write_bytes(again)
    back = _sops("decrypt", "--output-type", "json", "edited.yaml", cwd=tmp_path)
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["db"]["password"] == "n3w"


def test_both_refuse_a_file_tampered_with(tmp_path: Path) -> None:
    key = new_data_key()
    metadata = Metadata(age=age_stanzas(key, [str(IDENTITY.to_public())]), lastmodified="", mac="")
    text = seal(VALUES, key, metadata, now=datetime.now(UTC)).decode().replace("eu-west-1", "us-east-1")
    (tmp_path / "tampered.yaml").write_text(text)
    done = _sops("decrypt", "tampered.yaml", cwd=tmp_path)
    assert done.returncode != 0 and "MAC mismatch" in done.stderr
    with pytest.raises(InputError, match="the values do not match the file's MAC"):
        open_file("tampered.yaml", text.encode(), [IDENTITY])


def test_options_sops_writes_are_read_the_same(tmp_path: Path) -> None:
    (tmp_path / "plain.yaml").write_text("user: admin\npassword: s3cret\nnested:\n  password: two\n")
    (tmp_path / ".sops.yaml").write_text(
        "creation_rules:\n"
        f"  - age: {IDENTITY.to_public()}\n"
        "    encrypted_regex: ^password$\n"
        "    mac_only_encrypted: true\n"
    )
    done = _sops("encrypt", "plain.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "user: admin" in done.stdout
    opened = open_file("x.yaml", done.stdout.encode(), [IDENTITY])
    assert opened.values == {"user": "admin", "password": "s3cret", "nested": {"password": "two"}}
    # with mac_only_encrypted, a value left in clear is in no MAC: both tools read a changed one as it
    # is (sops' semantics); Dockyard never uses such a value as a secret (test_repo_secrets.py)
    tampered = done.stdout.replace("user: admin", "user: root")
    assert open_file("x.yaml", tampered.encode(), [IDENTITY]).values["user"] == "root"
    assert _sops_ok(tmp_path, tampered)


def _sops_ok(folder: Path, text: str) -> bool:
    (folder / "check.yaml").write_text(text)
    return _sops("decrypt", "check.yaml", cwd=folder).returncode == 0
