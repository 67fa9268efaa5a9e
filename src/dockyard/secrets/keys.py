"""age keys: where the private keys that open secrets files are found, and making a new one.

Looked for where `sops` looks, so one key serves both tools: the `SOPS_AGE_KEY` variable (keys
themselves), the file `SOPS_AGE_KEY_FILE` names, and the user's `sops/age/keys.txt` in the
configuration directory (`$XDG_CONFIG_HOME`, else `~/.config`). A private key is never read from
the platform repo, never printed and never passed on a command line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyrage

from dockyard.secrets import pgp

KEY_ENV = "SOPS_AGE_KEY"
KEY_FILE_ENV = "SOPS_AGE_KEY_FILE"


def default_key_file() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "sops" / "age" / "keys.txt"


@dataclass(frozen=True)
class Identities:
    """The private keys found, and where they were looked for (for a message when none opens a file)."""

    keys: tuple[pyrage.x25519.Identity, ...]
    looked: tuple[str, ...]

    def recipients(self) -> list[str]:
        return [str(key.to_public()) for key in self.keys]


def identities() -> Identities:
    keys: list[pyrage.x25519.Identity] = []
    looked: list[str] = []
    text = os.environ.get(KEY_ENV)
    looked.append(f"${KEY_ENV}")
    if text:
        keys += _parse(text)
    file = os.environ.get(KEY_FILE_ENV)
    paths = [Path(file)] if file else []
    paths.append(default_key_file())
    for path in paths:
        looked.append(str(path) if path != default_key_file() else "~/.config/sops/age/keys.txt")
        try:
            keys += _parse(path.read_text())
        except (OSError, UnicodeDecodeError):
            continue
    return Identities(tuple(keys), tuple(looked))


def _parse(text: str) -> list[pyrage.x25519.Identity]:
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("AGE-SECRET-KEY-"):
            try:
                found.append(pyrage.x25519.Identity.from_str(line))
            except pyrage.IdentityError:
                continue  # a damaged line is skipped: the other keys may still open the file
    return found


def create_key_file(path: Path) -> str:
    """A new age key pair written to `path` (the directory made private, the file 0600, in
    age-keygen's format); returns its public key. Refuses to overwrite."""
    identity = pyrage.x25519.Identity.generate()
    public = str(identity.to_public())
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = f"# created: {created}\n# public key: {public}\n{identity}\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as stream:
        stream.write(body)
    return public


def valid_recipient(text: str) -> bool:
    """An age public key, or an OpenPGP key as Dockyard writes it (a fingerprint or a long key id, upper case)."""
    if pgp.key_id(text) == text:
        return True
    try:
        pyrage.x25519.Recipient.from_str(text)
    except pyrage.RecipientError:
        return False
    return True
