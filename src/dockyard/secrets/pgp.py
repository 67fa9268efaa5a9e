"""OpenPGP recipients of a secrets file's data key, through the `gpg` command, as `sops` uses them.

A recipient is a key's fingerprint (40 hexadecimal digits, as sops writes it). Encrypting needs the
public key in the user's keyring; decrypting needs the private key there (gpg-agent asks for its
passphrase, if it has one, the way it does for sops). The keyring is gpg's own (`GNUPGHOME`, else
`~/.gnupg`); `SOPS_GPG_EXEC` names another gpg, as it does for sops. The data key goes to gpg on
its standard input and comes back on its standard output, never on a command line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

FINGERPRINT = re.compile(r"[0-9A-F]{40}")
GPG_ENV = "SOPS_GPG_EXEC"
TIMEOUT = 60.0


class PgpError(Exception):
    """gpg is missing, or refused to encrypt; the message says which and what to do."""


def fingerprint(text: str) -> str | None:
    """`text` as a fingerprint (spaces removed, upper case), or None when it is not one."""
    compact = text.replace(" ", "").upper()
    return compact if FINGERPRINT.fullmatch(compact) else None


def _gpg() -> str:
    name = os.environ.get(GPG_ENV) or "gpg"
    found = shutil.which(name)
    if found is None:
        raise PgpError(f"`{name}` is needed for the PGP recipients of secrets files; install GnuPG")
    return found


def encrypt(data_key: bytes, recipient: str) -> str:
    """The data key encrypted to `recipient`, as an armored PGP message."""
    command = [_gpg(), "--batch", "--no-default-recipient", "--yes", "--encrypt", "--armor", "--no-encrypt-to"]
    command += ["--recipient", recipient, "--trusted-key", recipient[-16:]]
    try:
        done = subprocess.run(command, input=data_key, capture_output=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise PgpError(f"gpg did not encrypt to {recipient} within {TIMEOUT:.0f} s") from None
    if done.returncode != 0:
        reason = _last_line(done.stderr) or f"exit {done.returncode}"
        raise PgpError(f"gpg cannot encrypt to {recipient} ({reason}); import its public key (`gpg --import`)")
    return done.stdout.decode("ascii")


def decrypt(message: str) -> bytes | None:
    """The data key from an armored PGP message, or None when no private key at hand opens it."""
    try:
        command = [_gpg(), "--batch", "--quiet", "--use-agent", "--decrypt"]
    except PgpError:
        return None
    try:
        done = subprocess.run(command, input=message.encode(), capture_output=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return None
    return done.stdout if done.returncode == 0 else None


def _last_line(stderr: bytes) -> str:
    """gpg's last line of complaint, printable and short (it quotes key ids and file names only)."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    text = lines[-1] if lines else ""
    return "".join(c if c.isprintable() else "?" for c in text)[:200]
