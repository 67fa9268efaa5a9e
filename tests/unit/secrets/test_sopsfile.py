"""The SOPS format: round trips, every kind of tampering refused with the file named, and sealing
again changes only the lines of the values that changed."""

from __future__ import annotations

import difflib
import re
from datetime import UTC, datetime
from typing import Any

import pyrage
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockyard.errors import InputError
from dockyard.secrets import sopsfile
from dockyard.secrets.sopsfile import Metadata, SecretsLocked, age_stanzas, new_data_key, open_file, seal

IDENTITY = pyrage.x25519.Identity.generate()
OTHER = pyrage.x25519.Identity.generate()
NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)

VALUES: dict[str, Any] = {
    "db": {"password": "s3cret", "port": 5432, "ratio": 0.25, "tls": True, "empty": "", "unset": None},
    "hosts": ["a", "b", {"name": "c"}],
    "region_unencrypted": "eu-west-1",
    "token": "line one\nline two: ünïcode",
}


def _sealed(values: dict[str, Any] = VALUES, key: bytes | None = None) -> tuple[bytes, bytes]:
    key = key or new_data_key()
    metadata = Metadata(age=age_stanzas(key, [str(IDENTITY.to_public())]), lastmodified="", mac="")
    return seal(values, key, metadata, now=NOW), key


def test_values_come_back_with_their_types_and_keys_stay_readable() -> None:
    raw, _key = _sealed()
    opened = open_file("secrets/platform.yaml", raw, [IDENTITY])
    assert opened.values == VALUES
    text = raw.decode()
    assert "s3cret" not in text and "5432" not in text and "line two" not in text
    assert "    password: ENC[AES256_GCM," in text and text.count("type:int]") == 1
    assert "region_unencrypted: eu-west-1" in text  # sops' default suffix leaves it readable
    assert "    empty: ''" in text  # sops leaves empty strings as they are


def test_a_file_none_of_the_keys_opens_names_its_recipients() -> None:
    raw, _key = _sealed()
    with pytest.raises(SecretsLocked) as raised:
        open_file("secrets/prod.yaml", raw, [OTHER])
    assert str(raised.value) == (
        f"secrets/prod.yaml: none of the age keys at hand opens it (it is encrypted to {IDENTITY.to_public()})"
    )


def _problem(raw: bytes) -> str:
    with pytest.raises(InputError) as raised:
        open_file("secrets/prod.yaml", raw, [IDENTITY])
    return str(raised.value)


TAMPERED_HINT = (
    "  hint: the file was changed without its key (by hand, or by a merge): take it back from git, "
    "or open it with `dockyard secrets edit` and set the value again"
)


def test_a_value_moved_to_another_key_does_not_decrypt() -> None:
    raw, _key = _sealed()
    text = raw.decode()
    password = re.search(r"password: (ENC\[.*\])", text)
    assert password is not None
    swapped = text.replace("    empty: ''", f"    empty: {password.group(1)}")
    assert _problem(swapped.encode()) == (
        "secrets/prod.yaml:6:12: `db.empty` does not decrypt with the file's data key under its key path\n"
        + TAMPERED_HINT
    )


def test_a_renamed_key_does_not_decrypt() -> None:
    raw, _key = _sealed()
    renamed = raw.decode().replace("    password:", "    passwd:")
    assert _problem(renamed.encode()).startswith(
        "secrets/prod.yaml:2:13: `db.passwd` does not decrypt with the file's data key under its key path"
    )


def test_a_changed_ciphertext_is_refused() -> None:
    raw, _key = _sealed()
    text = raw.decode()
    data = re.search(r"password: ENC\[AES256_GCM,data:([^,]+),", text)
    assert data is not None
    flipped = ("A" if data.group(1)[0] != "A" else "B") + data.group(1)[1:]
    assert "`db.password` does not decrypt" in _problem(text.replace(data.group(1), flipped, 1).encode())


def test_a_removed_value_fails_the_mac() -> None:
    raw, _key = _sealed()
    removed = "\n".join(line for line in raw.decode().splitlines() if "port:" not in line) + "\n"
    assert _problem(removed.encode()).startswith("secrets/prod.yaml:")
    assert "the values do not match the file's MAC" in _problem(removed.encode())


def test_an_unencrypted_value_changed_by_hand_fails_the_mac() -> None:
    raw, _key = _sealed()
    changed = raw.decode().replace("eu-west-1", "us-east-1")
    assert "the values do not match the file's MAC" in _problem(changed.encode())


def test_a_plain_value_where_ciphertext_belongs_is_refused() -> None:
    raw, _key = _sealed()
    text = re.sub(r"password: ENC\[[^\]]*\]", "password: plain", raw.decode())
    assert "`db.password` is not encrypted in an encrypted file" in _problem(text.encode())


def test_a_removed_mac_is_refused() -> None:
    raw, _key = _sealed()
    text = "\n".join(line for line in raw.decode().splitlines() if not line.startswith("    mac:")) + "\n"
    assert _problem(text.encode()).startswith("secrets/prod.yaml:")
    assert "the `sops:` section has no `mac`" in _problem(text.encode())


def test_a_changed_lastmodified_is_refused() -> None:
    raw, _key = _sealed()
    text = raw.decode().replace("2026-11-28T12:00:00Z", "2026-11-28T12:00:01Z")
    assert "the MAC cannot be decrypted" in _problem(text.encode())


def test_a_file_without_metadata_is_not_an_encrypted_file() -> None:
    assert _problem(b"db:\n  password: hunter2\n") == (
        "secrets/prod.yaml:1:1: not an encrypted file: it has no `sops:` section\n"
        "  hint: a secrets file is written by `dockyard secrets set/edit` (or `sops`), never by hand"
    )


def test_no_error_shows_a_value() -> None:
    raw, _key = _sealed()
    swapped = raw.decode().replace("    password:", "    passwd:").replace("eu-west-1", "x")
    message = _problem(swapped.encode())
    assert "s3cret" not in message and "eu-west-1" not in message


def test_sealing_the_same_values_again_returns_the_same_bytes() -> None:
    raw, key = _sealed()
    opened = open_file("secrets/platform.yaml", raw, [IDENTITY])
    assert seal(opened.values, key, opened.metadata, opened, now=datetime.now(UTC)) == raw


def test_a_new_recipient_keeps_every_value_and_opens_the_file() -> None:
    raw, key = _sealed()
    opened = open_file("secrets/platform.yaml", raw, [IDENTITY])
    more = Metadata(age=(*opened.metadata.age, *age_stanzas(key, [str(OTHER.to_public())])), lastmodified="", mac="")
    again = seal(opened.values, key, more, opened, now=NOW)
    assert open_file("secrets/platform.yaml", again, [OTHER]).values == VALUES
    changed = _changed_lines(raw, again)
    assert [line for line in changed if "ENC[" in line] == [line for line in changed if "mac: ENC[" in line]
    assert len([line for line in changed if "mac: ENC[" in line]) == 2


def _changed_lines(before: bytes, after: bytes) -> list[str]:
    diff = difflib.unified_diff(before.decode().splitlines(), after.decode().splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


_names = st.sampled_from(["alpha", "beta", "gamma", "delta", "epsilon", "zeta"])
_leaves = st.one_of(st.text(min_size=1, max_size=20), st.integers(-(10**9), 10**9), st.booleans())


@settings(max_examples=60, deadline=None)
@given(
    before=st.dictionaries(_names, st.dictionaries(_names, _leaves, min_size=1, max_size=4), min_size=1, max_size=5),
    edits=st.lists(st.tuples(_names, _names, _leaves), min_size=1, max_size=4),
)
def test_an_edit_changes_exactly_the_lines_of_the_changed_values(
    before: dict[str, dict[str, Any]], edits: list[tuple[str, str, Any]]
) -> None:
    raw, key = _sealed(before)
    opened = open_file("secrets/platform.yaml", raw, [IDENTITY])
    after = {outer: dict(inner) for outer, inner in before.items()}
    for outer, inner, value in edits:
        after.setdefault(outer, {})[inner] = value
    again = seal(after, key, opened.metadata, opened, now=datetime(2026, 11, 29, tzinfo=UTC))
    assert open_file("secrets/platform.yaml", again, [IDENTITY]).values == after
    changed = {
        f"{outer}.{inner}"
        for outer, inner_values in after.items()
        for inner, value in inner_values.items()
        if before.get(outer, {}).get(inner, object()) != value
        or type(before.get(outer, {}).get(inner)) is not type(value)
    }
    lines = _changed_lines(raw, again)
    value_lines = [line for line in lines if "ENC[" in line and "mac:" not in line]
    touched = {line[1:].strip().split(":")[0] for line in value_lines if line.startswith("+")}
    assert touched == {key.split(".")[1] for key in changed} or (not changed and not value_lines)
    assert len([line for line in value_lines if line.startswith("+")]) == len(changed)
    new_outer = {outer for outer in after if outer not in before}
    other = [line for line in lines if "ENC[" not in line and "lastmodified" not in line]
    assert all(line[1:].rstrip(":").strip() in new_outer for line in other)


def test_go_float_formatting_matches_sops() -> None:
    assert [sopsfile._go_float(v) for v in (0.25, 1e16, 1.5e-7, 3.0, -0.0)] == [
        "0.25",
        "10000000000000000",
        "0.00000015",
        "3",
        "-0",
    ]
