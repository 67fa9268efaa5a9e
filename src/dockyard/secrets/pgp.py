"""OpenPGP recipients of a secrets file's data key, through the `gpg` command, as `sops` uses them.

A recipient is a key's fingerprint (40 hexadecimal digits) or long key id (16), as sops takes it;
Dockyard writes them without spaces, in upper case. Encrypting needs the
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
KEY_ID = re.compile(r"[0-9A-F]{16}|[0-9A-F]{40}")
"""A long key id or a fingerprint, as sops and gpg accept them."""
GPG_ENV = "SOPS_GPG_EXEC"
TIMEOUT = 10.0
"""For one gpg run (it never prompts: --batch); a file's stanzas are tried one after another."""
MAX_OUTPUT = 1024
"""gpg stops a decryption that would write more: a data key is 32 bytes."""


class PgpError(Exception):
    """gpg is missing, or refused to encrypt; the message says which and what to do."""


def fingerprint(text: str) -> str | None:
    """`text` as a fingerprint (spaces removed, upper case), or None when it is not one."""
    compact = text.replace(" ", "").upper()
    return compact if FINGERPRINT.fullmatch(compact) else None


def key_id(text: str) -> str | None:
    """`text` as a PGP recipient (a fingerprint or a long key id, spaces and `0x` removed, upper
    case: as gpg --fingerprint prints it or sops writes it), or None when it is not one."""
    compact = text.replace(" ", "").upper().removeprefix("0X")
    return compact if KEY_ID.fullmatch(compact) else None


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


def available() -> bool:
    name = os.environ.get(GPG_ENV) or "gpg"
    return shutil.which(name) is not None


def decrypt(message: str) -> bytes | None:
    """The data key from an armored PGP message, or None when no private key at hand opens it. Only
    a message encrypted to a public key counts (gpg would also print a message that is only
    stored or compressed, which anyone can write), and gpg writes at most MAX_OUTPUT bytes."""
    try:
        command = [_gpg(), "--batch", "--quiet", "--use-agent", "--status-fd", "2"]
    except PgpError:
        return None
    command += ["--max-output", str(MAX_OUTPUT), "--decrypt"]
    try:
        done = subprocess.run(command, input=message.encode(), capture_output=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return None
    status = {
        line.split()[1]
        for line in done.stderr.decode("utf-8", "replace").splitlines()
        if line.startswith("[GNUPG:] ") and len(line.split()) > 1
    }
    if done.returncode != 0 or not {"ENC_TO", "DECRYPTION_OKAY"} <= status or len(done.stdout) > MAX_OUTPUT:
        return None
    return done.stdout


def _last_line(stderr: bytes) -> str:
    """gpg's last line of complaint, printable and short (it quotes key ids and file names only)."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    text = lines[-1] if lines else ""
    return "".join(c if c.isprintable() else "?" for c in text)[:200]
