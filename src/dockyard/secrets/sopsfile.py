"""The SOPS file format (YAML), read and written without the `sops` binary.

Keys stay readable; each value is encrypted on its own with AES-256-GCM under one data key, with
the path of its key as additional data (so a value moved to another key no longer decrypts). The
data key is encrypted to each age recipient (an armored age file per recipient). A MAC (SHA-512
over every value, in document order, itself encrypted under the data key with the file's
`lastmodified` as additional data) is checked on every read: a changed, added, removed or
reordered value is an error naming the file, never a silently wrong value.

Files written here decrypt with the real `sops`, and files `sops` writes decrypt here (tested both
ways with `sops` built from its Go module). Sealing again keeps the ciphertext of every value that
did not change (the same IV for the same value at the same path, as `sops` itself does), so a diff
shows only the values that changed, and the MAC lines.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pyrage
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString

from dockyard.errors import InputError, Position, Problem, Problems
from dockyard.load.yamlsafe import Document, parse
from dockyard.secrets import pgp

Leaf = str | int | float | bool
Path_ = tuple[str, ...]

FORMAT_VERSION = "3.13.3"
"""The `version` written in the metadata: the sops release whose format this module writes and was
tested against."""

METADATA_KEY = "sops"
NONCE_BYTES = 32
"""sops uses 32-byte nonces with AES-GCM (GCM takes any length; it hashes them to 96 bits)."""
TAG_BYTES = 16
MAC_ONLY_ENCRYPTED_INITIALIZATION = bytes.fromhex("8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69")
"""The bytes sops puts before the values when `mac_only_encrypted` is set (a format constant)."""

ENCRYPTION_RULES = ("unencrypted_suffix", "encrypted_suffix", "unencrypted_regex", "encrypted_regex")
DEFAULT_UNENCRYPTED_SUFFIX = "_unencrypted"
"""What sops assumes when a file names no rule."""
INT64 = (-(2**63), 2**63 - 1)
"""sops reads integers into Go's int (64 bits)."""

_ENCRYPTED = re.compile(r"^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]")
_TYPES = {"str", "int", "float", "bool"}


class SecretsLocked(Exception):
    """No identity at hand opens the file's data key (the CLI says where keys are looked for)."""


@dataclass(frozen=True)
class AgeStanza:
    recipient: str
    enc: str
    """The data key, as an armored age file."""


MAX_PGP_TRIED = 16
"""PGP stanzas tried with gpg before a file counts as locked (each try is a gpg process)."""


@dataclass(frozen=True)
class PgpStanza:
    fp: str
    enc: str
    """The data key, as an armored PGP message."""
    created_at: str


@dataclass(frozen=True)
class Metadata:
    """The `sops:` section. Other key types (kms, ...) are kept as written: the data key does not
    change when values do, so their stanzas stay valid."""

    age: tuple[AgeStanza, ...]
    lastmodified: str
    mac: str
    version: str = FORMAT_VERSION
    unencrypted_suffix: str | None = DEFAULT_UNENCRYPTED_SUFFIX
    encrypted_suffix: str | None = None
    unencrypted_regex: str | None = None
    encrypted_regex: str | None = None
    mac_only_encrypted: bool = False
    pgp: tuple[PgpStanza, ...] = ()
    others: dict[str, Any] = field(default_factory=dict)
    """Master keys of other kinds, and key groups, exactly as read."""

    @property
    def key_groups(self) -> bool:
        """The file uses sops' key groups (Dockyard reads one group's age keys; it writes none)."""
        return bool(self.others.get("key_groups"))

    def encrypts(self, path: Path_) -> bool:
        """Whether the value at `path` is encrypted (sops' rules for suffixes and regexes)."""
        encrypted = True
        if self.unencrypted_suffix and any(p.endswith(self.unencrypted_suffix) for p in path):
            encrypted = False
        if self.encrypted_suffix:
            encrypted = any(p.endswith(self.encrypted_suffix) for p in path)
        if self.unencrypted_regex and any(re.search(self.unencrypted_regex, p) for p in path):
            encrypted = False
        if self.encrypted_regex:
            encrypted = any(re.search(self.encrypted_regex, p) for p in path)
        return encrypted


@dataclass(frozen=True)
class Opened:
    """A decrypted file: its values, its data key, and what sealing it again needs to keep every
    unchanged value's ciphertext."""

    file: str
    values: dict[str, Any]
    data_key: bytes
    metadata: Metadata
    raw: bytes
    ciphertexts: dict[tuple[str, str, bytes], str] = field(repr=False)
    """(additional data, type, plaintext) -> the ciphertext read for it."""

    def __repr__(self) -> str:  # never the data key or the values
        return f"Opened({self.file!r})"


def new_data_key() -> bytes:
    return os.urandom(32)


def pgp_stanzas(data_key: bytes, fingerprints: Sequence[str], now: datetime | None = None) -> tuple[PgpStanza, ...]:
    """The data key encrypted to each OpenPGP key on its own, through gpg (as sops does)."""
    created = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return tuple(PgpStanza(fp, pgp.encrypt(data_key, fp), created) for fp in fingerprints)


def age_stanzas(data_key: bytes, recipients: Sequence[str]) -> tuple[AgeStanza, ...]:
    """The data key encrypted to each recipient on its own (as sops does: any one key opens it)."""
    stanzas = []
    for recipient in recipients:
        parsed = pyrage.x25519.Recipient.from_str(recipient)
        armored = pyrage.encrypt(data_key, [parsed], armored=True).decode()
        stanzas.append(AgeStanza(recipient, armored))
    return tuple(stanzas)


# ---------------------------------------------------------------------------------------------
# Reading


def open_file(file: str, raw: bytes, identities: Sequence[pyrage.x25519.Identity]) -> Opened:
    """Decrypt `raw` (the bytes of `file`) with any of `identities`; every value is checked
    against the MAC. Raises InputError for a file that is not a sound SOPS file, SecretsLocked
    when none of the identities opens it."""
    return open_document(_document(file, raw), identities)


def open_document(document: Document, identities: Sequence[pyrage.x25519.Identity]) -> Opened:
    """`open_file` for a file already parsed (the load parses every file once, cached by content)."""
    _document_shape(document)
    file, raw = document.file, document.raw
    metadata = _metadata(document)
    data_key = _data_key(file, metadata, identities)
    values: dict[tuple[str | int, ...], Any] = {}
    ciphertexts: dict[tuple[str, str, bytes], str] = {}
    digest = hashlib.sha512()
    if metadata.mac_only_encrypted:
        digest.update(MAC_ONLY_ENCRYPTED_INITIALIZATION)
    problems = Problems()
    for path, where, value in _leaves(document.data, (), ()):
        if not path or path[0] == METADATA_KEY:
            continue
        encrypted = metadata.encrypts(path)
        plain: Any = value
        if encrypted and isinstance(value, str) and value:
            try:
                plain, kind, plaintext = _decrypt(value, data_key, _additional_data(path))
            except _Undecryptable as error:
                problems.append(Problem(document.position(where), f"`{'.'.join(path)}` {error}", _TAMPERED))
                continue
            ciphertexts[(_additional_data(path), kind, plaintext)] = value
        elif encrypted and value not in ("", None):
            problems.append(
                Problem(
                    document.position(where), f"`{'.'.join(path)}` is not encrypted in an encrypted file", _TAMPERED
                )
            )
            continue
        if value is not None and (encrypted or not metadata.mac_only_encrypted):
            digest.update(_mac_bytes(plain))
        values[where] = plain
    problems.raise_if_any()
    computed = digest.hexdigest().upper()
    try:
        recorded, _kind, _plain = _decrypt(metadata.mac, data_key, _rfc3339(metadata.lastmodified))
    except _Undecryptable:
        at_mac = document.position((METADATA_KEY, "mac"))
        raise InputError([Problem(at_mac, "the MAC cannot be decrypted", _TAMPERED)]) from None
    if recorded != computed:
        raise InputError(
            [Problem(document.position((METADATA_KEY, "mac")), "the values do not match the file's MAC", _TAMPERED)]
        )
    return Opened(file, _plain_tree(document.data, values), data_key, metadata, raw, ciphertexts)


_TAMPERED = (
    "the file was changed without its key (by hand, or by a merge): take it back from git, "
    "or open it with `dockyard secrets edit` and set the value again"
)


class _Undecryptable(Exception):
    pass


def _document(file: str, raw: bytes) -> Document:
    return parse(file, raw)


def _document_shape(parsed: Document) -> None:
    file = parsed.file
    if not isinstance(parsed.data, dict):
        raise InputError([Problem(Position(file, 1, 1), "a secrets file is a mapping of keys to values")])
    if not isinstance(parsed.data.get(METADATA_KEY), dict):
        raise InputError(
            [
                Problem(
                    Position(file, 1, 1),
                    "not an encrypted file: it has no `sops:` section",
                    "a secrets file is written by `dockyard secrets set/edit` (or `sops`), never by hand",
                )
            ]
        )


def _metadata(document: Document) -> Metadata:
    section: dict[str, Any] = document.data[METADATA_KEY]

    def text(key: str) -> str | None:
        value = section.get(key)
        if value is not None and not isinstance(value, str):
            raise InputError([Problem(document.position((METADATA_KEY, key)), f"`sops.{key}` must be a string")])
        return value

    for unsupported in ("unencrypted_comment_regex", "encrypted_comment_regex"):
        if section.get(unsupported):
            raise InputError(
                [
                    Problem(
                        document.position((METADATA_KEY, unsupported)),
                        f"`sops.{unsupported}` is not supported (Dockyard never keeps comments in secrets files)",
                        "re-encrypt the file without it",
                    )
                ]
            )
    stanzas = []
    groups = section.get("key_groups") or []
    if isinstance(groups, list) and len(groups) > 1:
        raise InputError(
            [
                Problem(
                    document.position((METADATA_KEY, "key_groups")),
                    "more than one sops key group (a data key split with Shamir's scheme) is not supported",
                    "decrypt with `sops`, or re-encrypt to age recipients in one group",
                )
            ]
        )
    pgp_found = []
    holders: list[tuple[tuple[str | int, ...], Any]] = [((METADATA_KEY,), section)]
    holders += [((METADATA_KEY, "key_groups", i), g) for i, g in enumerate(groups if isinstance(groups, list) else [])]
    for holder, held in holders:
        place = (*holder, "pgp")
        source = held.get("pgp") if isinstance(held, dict) else None
        for index, stanza in enumerate(source if isinstance(source, list) else []):
            if not (isinstance(stanza, dict) and all(isinstance(stanza.get(k), str) for k in ("fp", "enc"))):
                where = document.position((*place, index))
                raise InputError(
                    [Problem(where, "a PGP recipient needs its `fp` and its `enc` (the data key)", _TAMPERED)]
                )
            pgp_found.append(PgpStanza(stanza["fp"], stanza["enc"], str(stanza.get("created_at") or "")))
    sources = [section.get("age") or []] + [g.get("age") or [] for g in groups if isinstance(g, dict)]
    for source in sources:
        for stanza in source if isinstance(source, list) else []:
            if (
                isinstance(stanza, dict)
                and isinstance(stanza.get("recipient"), str)
                and isinstance(stanza.get("enc"), str)
            ):
                stanzas.append(AgeStanza(stanza["recipient"], stanza["enc"]))
    known = {
        "age",
        "pgp",
        "lastmodified",
        "mac",
        "version",
        "unencrypted_suffix",
        "encrypted_suffix",
        "unencrypted_regex",
        "encrypted_regex",
        "mac_only_encrypted",
    }
    rules = [key for key in ENCRYPTION_RULES if section.get(key)]
    if len(rules) > 1:
        raise InputError(
            [
                Problem(
                    document.position((METADATA_KEY, rules[1])),
                    f"`sops.{rules[0]}` and `sops.{rules[1]}` together: sops allows one rule for what is encrypted",
                    _TAMPERED,
                )
            ]
        )
    lastmodified, mac = text("lastmodified"), text("mac")
    if not lastmodified or not mac:
        missing = "mac" if not mac else "lastmodified"
        raise InputError(
            [
                Problem(
                    document.position((METADATA_KEY,), key=True), f"the `sops:` section has no `{missing}`", _TAMPERED
                )
            ]
        )
    return Metadata(
        age=tuple(stanzas),
        lastmodified=lastmodified,
        mac=mac,
        version=text("version") or FORMAT_VERSION,
        unencrypted_suffix=text("unencrypted_suffix") if rules else DEFAULT_UNENCRYPTED_SUFFIX,
        encrypted_suffix=text("encrypted_suffix"),
        unencrypted_regex=text("unencrypted_regex"),
        encrypted_regex=text("encrypted_regex"),
        mac_only_encrypted=section.get("mac_only_encrypted") is True,
        pgp=tuple(pgp_found),
        others={k: v for k, v in section.items() if k not in known},
    )


def _data_key(file: str, metadata: Metadata, identities: Sequence[pyrage.x25519.Identity]) -> bytes:
    if not metadata.age and not metadata.pgp:
        raise SecretsLocked(f"{file}: it is encrypted to no age or PGP recipient (only to keys of other kinds)")
    for stanza in metadata.age:
        try:
            key: bytes = pyrage.decrypt(stanza.enc.encode(), list(identities))
        except pyrage.DecryptError:
            continue
        if len(key) == 32:
            return key
    for pgp_stanza in metadata.pgp[:MAX_PGP_TRIED]:  # age first: no gpg process when an age key opens it
        opened = pgp.decrypt(pgp_stanza.enc)
        if opened is not None and len(opened) == 32:
            return opened
    recipients = ", ".join([*(s.recipient for s in metadata.age), *(f"PGP {s.fp}" for s in metadata.pgp)])
    kinds = "age keys" + (" or PGP keys (gpg)" if metadata.pgp else "")
    missing = (
        "; gpg is not installed, so its PGP keys could not be tried" if metadata.pgp and not pgp.available() else ""
    )
    raise SecretsLocked(f"{file}: none of the {kinds} at hand opens it (it is encrypted to {recipients}){missing}")


def _leaves(node: Any, path: Path_, where: tuple[str | int, ...]) -> Iterator[tuple[Path_, tuple[str | int, ...], Any]]:
    """(key path as sops sees it, path into the document, value) of every leaf in document order.
    Sequence items share their parent's key path (sops does not add indexes)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, str(key)), (*where, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, path, (*where, index))
    else:
        yield path, where, node


def _plain_tree(node: Any, flat: dict[tuple[str | int, ...], Any], where: tuple[str | int, ...] = ()) -> Any:
    if isinstance(node, dict):
        return {k: _plain_tree(v, flat, (*where, k)) for k, v in node.items() if not (not where and k == METADATA_KEY)}
    if isinstance(node, list):
        return [_plain_tree(v, flat, (*where, i)) for i, v in enumerate(node)]
    return flat[where]


def _decrypt(text: str, key: bytes, additional: str) -> tuple[Leaf, str, bytes]:
    match = _ENCRYPTED.match(text)
    if match is None:
        raise _Undecryptable("is not encrypted in an encrypted file")
    try:
        data, iv, tag = (base64.b64decode(match.group(i), validate=True) for i in (1, 2, 3))
    except ValueError:
        raise _Undecryptable("is not an encrypted value (bad base64)") from None
    kind = match.group(4)
    if kind not in _TYPES:
        raise _Undecryptable(f"has a type Dockyard does not read ({kind})")
    if len(iv) == 0 or len(tag) != TAG_BYTES:
        raise _Undecryptable("is not an encrypted value (bad IV or tag)")
    try:
        plaintext = AESGCM(key).decrypt(iv, data + tag, additional.encode())
    except Exception:  # cryptography's InvalidTag (and nothing else can come from a bad input here)
        raise _Undecryptable("does not decrypt with the file's data key under its key path") from None
    try:
        return _typed(plaintext.decode(), kind), kind, plaintext
    except ValueError:
        raise _Undecryptable(f"does not hold a {kind}") from None


def _typed(text: str, kind: str) -> Leaf:
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "bool":
        if text in ("True", "true", "TRUE", "1", "t", "T"):
            return True
        if text in ("False", "false", "FALSE", "0", "f", "F"):
            return False
        raise ValueError(text)
    return text


def _additional_data(path: Path_) -> str:
    return ":".join(path) + ":"


def _mac_bytes(value: Leaf) -> bytes:
    """A value as sops feeds it to the MAC (Go's formatting: True/False, floats without exponent)."""
    if isinstance(value, bool):
        return b"True" if value else b"False"
    if isinstance(value, float):
        return _go_float(value).encode()
    return str(value).encode()


def _go_float(value: float) -> str:
    """strconv.FormatFloat(value, 'f', -1, 64): the shortest digits that read back, never an exponent."""
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "-0" if text == "-0" else text


def _rfc3339(text: str) -> str:
    """`lastmodified` as sops formats it for the MAC's additional data (Go's time.RFC3339)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    offset = moment.utcoffset()
    if offset is None or offset.total_seconds() == 0:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + moment.strftime("%z")[:3] + ":" + moment.strftime("%z")[3:]


# ---------------------------------------------------------------------------------------------
# Writing


def seal(
    values: dict[str, Any],
    data_key: bytes,
    metadata: Metadata,
    previous: Opened | None = None,
    now: datetime | None = None,
) -> bytes:
    """The encrypted file for `values` (a mapping of str keys to mappings, lists and leaves).
    Every value that `previous` held at the same key path keeps its ciphertext; when nothing
    changed at all, `previous`'s bytes are returned as they are."""
    unchanged = previous is not None and same(previous.values, values) and previous.data_key == data_key
    if (
        previous is not None
        and unchanged
        and (previous.metadata.age, previous.metadata.pgp) == (metadata.age, metadata.pgp)
    ):
        return previous.raw
    reuse = previous.ciphertexts if previous is not None and previous.data_key == data_key else {}
    digest = hashlib.sha512()
    if metadata.mac_only_encrypted:
        digest.update(MAC_ONLY_ENCRYPTED_INITIALIZATION)

    def encrypt(node: Any, path: Path_) -> Any:
        if isinstance(node, dict):
            return {str(k): encrypt(v, (*path, str(k))) for k, v in node.items()}
        if isinstance(node, list):
            return [encrypt(v, path) for v in node]
        if node is None:
            return None
        if not isinstance(node, (str, int, float, bool)):
            raise TypeError(f"a secret value must be a string, number or boolean, not {type(node).__name__}")
        if isinstance(node, float) and not math.isfinite(node):
            raise ValueError(f"`{'.'.join(path)}` is {node}, which sops cannot read back: quote it")
        if isinstance(node, int) and not isinstance(node, bool) and not INT64[0] <= node <= INT64[1]:
            raise ValueError(f"`{'.'.join(path)}` is an integer beyond 64 bits, which sops cannot read: quote it")
        encrypted = metadata.encrypts(path)
        if encrypted or not metadata.mac_only_encrypted:
            digest.update(_mac_bytes(node))
        if not encrypted or node == "":
            return node
        return _encrypt(node, data_key, _additional_data(path), reuse)

    tree = encrypt(values, ())
    if METADATA_KEY in tree:
        raise ValueError("`sops` is the metadata's key: a secret cannot be named so")
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    lastmodified = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    mac = _encrypt(digest.hexdigest().upper(), data_key, lastmodified, {})
    sealed = replace(metadata, lastmodified=lastmodified, mac=mac)
    tree[METADATA_KEY] = _metadata_tree(sealed)
    return _dump(tree)


def same(one: Any, other: Any) -> bool:
    """Equal values of the same types (Python's `1 == True == 1.0` would hide a change of type)."""
    if type(one) is not type(other):
        return False
    if isinstance(one, dict):
        return list(one) == list(other) and all(same(one[k], other[k]) for k in one)
    if isinstance(one, list):
        return len(one) == len(other) and all(same(a, b) for a, b in zip(one, other, strict=True))
    return bool(one == other)


def leaf_paths(node: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """(key path as sops sees it, value) of every leaf of plain values (sequence items share their
    parent's path)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaf_paths(value, (*path, str(key)))
    elif isinstance(node, list):
        for value in node:
            yield from leaf_paths(value, path)
    else:
        yield path, node


def _encrypt(value: Leaf, key: bytes, additional: str, reuse: dict[tuple[str, str, bytes], str]) -> str:
    kind, plaintext = _kind_and_bytes(value)
    kept = reuse.get((additional, kind, plaintext))
    if kept is not None:
        return kept
    iv = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(iv, plaintext, additional.encode())
    data, tag = sealed[:-TAG_BYTES], sealed[-TAG_BYTES:]
    b64 = base64.b64encode
    return f"ENC[AES256_GCM,data:{b64(data).decode()},iv:{b64(iv).decode()},tag:{b64(tag).decode()},type:{kind}]"


def _kind_and_bytes(value: Leaf) -> tuple[str, bytes]:
    if isinstance(value, bool):
        return "bool", b"True" if value else b"False"
    if isinstance(value, int):
        return "int", str(value).encode()
    if isinstance(value, float):
        return "float", _go_float(value).encode()
    return "str", value.encode()


def _metadata_tree(metadata: Metadata) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    tree.update(metadata.others)
    tree["age"] = [{"recipient": s.recipient, "enc": LiteralScalarString(s.enc)} for s in metadata.age]
    tree["lastmodified"] = metadata.lastmodified
    tree["mac"] = metadata.mac
    if metadata.pgp:
        tree["pgp"] = [  # a stanza read without its time gets the file's (sops cannot read an empty one)
            {"created_at": s.created_at or metadata.lastmodified, "enc": LiteralScalarString(s.enc), "fp": s.fp}
            for s in metadata.pgp
        ]
    for key in ("unencrypted_suffix", "encrypted_suffix", "unencrypted_regex", "encrypted_regex"):
        if getattr(metadata, key):
            tree[key] = getattr(metadata, key)
    if metadata.mac_only_encrypted:
        tree["mac_only_encrypted"] = True
    tree["version"] = metadata.version
    return tree


def _dump(tree: dict[str, Any]) -> bytes:
    yaml = YAML(typ="rt")
    yaml.indent(mapping=4, sequence=6, offset=4)
    yaml.width = 4096
    stream = io.StringIO()
    yaml.dump(tree, stream)
    return stream.getvalue().encode()
