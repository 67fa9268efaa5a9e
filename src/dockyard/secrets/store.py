"""The platform repo's secrets files, one per layer, and the changes people make to them.

    secrets/platform.yaml               every cluster
    secrets/<environment>.yaml          the clusters of one environment
    secrets/<cluster>.yaml              one cluster
    services/<name>/secrets.yaml        one service

Each is a SOPS file (sopsfile.py) encrypted to the recipients `.sops.yaml` names for its path
(rules.py). Every change keeps the data key and the ciphertext of every value it does not touch,
so a review sees which keys changed; `rotate` (and removing a recipient) makes a new data key.
Files are only ever written inside the repo, never through a symlink.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard.atomic import write_atomic
from dockyard.errors import DockyardError, InputError, Position, Problem, UsageError
from dockyard.load import confined
from dockyard.load.yamlsafe import MAX_FILE_BYTES, parse
from dockyard.secrets import keys, pgp, rules, sopsfile
from dockyard.secrets.sopsfile import Opened

PLATFORM_FILE = "secrets/platform.yaml"
_LAYER_FILE = re.compile(
    r"^(secrets/[a-z0-9]([-a-z0-9]*[a-z0-9])?|services/[a-z0-9]([-a-z0-9]*[a-z0-9])?/secrets)\.yaml$"
)
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_][-A-Za-z0-9_]*(\.[A-Za-z0-9_][-A-Za-z0-9_]*)*$")
"""A secret's key: dotted names (`db.password`), each of letters, digits, `-` and `_`."""


class SecretsError(DockyardError):
    """A secrets file cannot be opened (no key at hand), or a change to one cannot be made."""


@dataclass(frozen=True)
class SecretsFile:
    root: Path
    relative: str


def layer_file(root: Path, relative: str) -> SecretsFile:
    """`relative` as a secrets file of the layout; UsageError for any other path."""
    relative = relative.strip("/")
    if not _LAYER_FILE.match(relative):
        raise UsageError(
            f"{relative}: not a secrets file: use secrets/platform.yaml, secrets/<environment>.yaml, "
            "secrets/<cluster>.yaml or services/<name>/secrets.yaml"
        )
    return SecretsFile(root, relative)


def files(root: Path) -> list[SecretsFile]:
    """Every secrets file of the layout in the repo, by path."""
    found = []
    folder = root / "secrets"
    if folder.is_dir() and not folder.is_symlink():
        found += [f"secrets/{p.name}" for p in folder.iterdir() if p.suffix == ".yaml"]
    services = root / "services"
    if services.is_dir() and not services.is_symlink():
        found += [f"services/{d.name}/secrets.yaml" for d in services.iterdir() if (d / "secrets.yaml").exists()]
    return [SecretsFile(root, r) for r in sorted(found) if _LAYER_FILE.match(r)]


def read_raw(file: SecretsFile) -> bytes | None:
    """The file's bytes, or None when it does not exist yet; refused when it leaves the repo."""
    try:
        resolved = confined.resolve_inside(file.root, file.relative, f"`{file.relative}`")
        return confined.read_regular(resolved, MAX_FILE_BYTES, f"`{file.relative}`")
    except confined.Refused as refused:
        if refused.missing:
            return None
        raise InputError([Problem(Position(file.relative, 1, 1), str(refused), refused.hint)]) from None


def open_secrets(file: SecretsFile, identities: keys.Identities) -> Opened | None:
    """The decrypted file (None when it does not exist)."""
    raw = read_raw(file)
    if raw is None:
        return None
    try:
        return sopsfile.open_file(file.relative, raw, identities.keys)
    except sopsfile.SecretsLocked as locked:
        raise SecretsError(
            f"{locked}; looked for age keys in {', '.join(identities.looked)}"
            + ("; PGP keys are gpg's (GNUPGHOME, else ~/.gnupg)" if "PGP" in str(locked) else ""),
        ) from None


def recipients_for(file: SecretsFile) -> list[str]:
    """The age recipients `.sops.yaml` names for `file` (what a new file is encrypted to)."""
    rule = rules.rule_for(rules.read_rules(file.root), file.relative)
    if rule is None or not rule.recipients:
        raise SecretsError(
            f"{file.relative}: no rule in {rules.CONFIG_FILE} names age or PGP recipients for it; "
            "run `dockyard secrets init` (or add a rule)"
        )
    bad = [r for r in rule.recipients if not keys.valid_recipient(r)]
    if bad:
        raise SecretsError(f"{rules.CONFIG_FILE}: not an age recipient or a PGP fingerprint: {bad[0]}")
    return list(rule.recipients)


def recipients_of(opened: Opened) -> list[str]:
    """The recipients a file is encrypted to now: age public keys, then PGP fingerprints."""
    return [stanza.recipient for stanza in opened.metadata.age] + [
        pgp.key_id(stanza.fp) or stanza.fp for stanza in opened.metadata.pgp
    ]


@dataclass(frozen=True)
class Sealed:
    """A secrets file's new bytes, computed (and every check passed) before anything is written."""

    file: SecretsFile
    raw: bytes
    changed: bool


def seal_file(
    file: SecretsFile,
    values: dict[str, Any],
    previous: Opened | None,
    *,
    recipients: list[str] | None = None,
    new_key: bool = False,
) -> Sealed:
    """`values` sealed for `file`. An existing file keeps its recipients unless `recipients` are
    given (who reads a file never changes as a side effect of setting a value); a new file is
    encrypted to those its rule names. `new_key`: a new data key (rotate, or a recipient removed)."""
    if previous is not None and previous.metadata.key_groups:
        raise SecretsError(
            f"{file.relative}: it uses sops key groups, which Dockyard does not write; change it with sops"
        )
    if previous is None:
        rule = rules.rule_for(rules.read_rules(file.root), file.relative)
        if rule is not None and rule.others:
            raise SecretsError(
                f"{file.relative}: its rule in {rules.CONFIG_FILE} also sets {', '.join(rule.others)}, which Dockyard "
                "does not apply; create the file with sops, then change it with Dockyard"
            )
    if recipients is None:
        recipients = recipients_of(previous) if previous is not None else recipients_for(file)
    if not recipients:
        raise SecretsError(f"{file.relative}: no age or PGP recipient would be able to read it")
    ages, fingerprints = rules.split(recipients)
    if previous is not None and not new_key:
        data_key = previous.data_key
        known = {s.recipient: s for s in previous.metadata.age}
        stanzas = tuple(known[r] for r in ages if r in known)
        stanzas += sopsfile.age_stanzas(data_key, [r for r in ages if r not in known])
        known_pgp = {pgp.key_id(s.fp) or s.fp: s for s in previous.metadata.pgp}
        pgp_stanzas = tuple(known_pgp[f] for f in fingerprints if f in known_pgp)
        pgp_stanzas += _pgp_stanzas(file, data_key, [f for f in fingerprints if f not in known_pgp])
        metadata = dataclasses.replace(previous.metadata, age=stanzas, pgp=pgp_stanzas)
    else:
        if previous is not None and previous.metadata.others:
            kinds = ", ".join(sorted(previous.metadata.others))
            raise SecretsError(
                f"{file.relative}: its data key is also encrypted to keys Dockyard cannot encrypt to ({kinds}); "
                "rotate it with `sops rotate`"
            )
        data_key = sopsfile.new_data_key()
        metadata = sopsfile.Metadata(
            age=sopsfile.age_stanzas(data_key, ages),
            lastmodified="",
            mac="",
            pgp=_pgp_stanzas(file, data_key, fingerprints),
        )
    _refuse_cleartext(file, values, metadata)
    try:
        sealed = sopsfile.seal(values, data_key, metadata, previous if not new_key else None)
    except ValueError as error:
        raise UsageError(f"{file.relative}: {error}") from None
    return Sealed(file, sealed, previous is None or sealed != previous.raw)


def _pgp_stanzas(file: SecretsFile, data_key: bytes, fingerprints: list[str]) -> tuple[sopsfile.PgpStanza, ...]:
    try:
        return sopsfile.pgp_stanzas(data_key, fingerprints)
    except pgp.PgpError as error:
        raise SecretsError(f"{file.relative}: {error}") from None


def write(sealed: Sealed) -> None:
    """Write a sealed file inside the repo (never through a symlinked directory)."""
    if not sealed.changed:
        return
    file = sealed.file
    target = confined.resolve_inside(file.root, str(Path(file.relative).parent), f"`{file.relative}`")
    target.mkdir(parents=True, exist_ok=True)
    write_atomic(target / Path(file.relative).name, sealed.raw)


def save(file: SecretsFile, values: dict[str, Any], previous: Opened | None, *, new_key: bool = False) -> bool:
    """Seal and write one file; False when its bytes did not change."""
    sealed = seal_file(file, values, previous, new_key=new_key)
    write(sealed)
    return sealed.changed


def _refuse_cleartext(file: SecretsFile, values: dict[str, Any], metadata: sopsfile.Metadata) -> None:
    """Every value Dockyard writes is encrypted: a key the file's rules leave in clear (sops'
    `_unencrypted` suffix, an `encrypted_regex` it does not match) cannot hold one."""
    for path, value in sopsfile.leaf_paths(values):
        if value not in ("", None) and not metadata.encrypts(path):
            raise UsageError(
                f"{file.relative}: `{'.'.join(path)}` would be written in clear (the file's sops rules leave "
                "that key unencrypted); name the secret otherwise"
            )


def flatten(values: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, value) of every leaf; a list is one value."""
    if isinstance(values, dict):
        for key, value in values.items():
            yield from flatten(value, f"{prefix}{key}.")
    else:
        yield prefix[:-1], values


def with_value(values: dict[str, Any], key: str, value: str) -> dict[str, Any]:
    """A copy of `values` with `key` (dotted) set to `value`."""
    _check_key(key)
    parts = key.split(".")
    result: dict[str, Any] = _copy(values)
    node = result
    for index, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            raise UsageError(f"`{'.'.join(parts[: index + 1])}` holds a value, not keys: cannot set `{key}` under it")
        node = child
    if isinstance(node.get(parts[-1]), dict):
        raise UsageError(f"`{key}` holds keys, not a value: set one of them, or unset `{key}` first")
    node[parts[-1]] = value
    return result


def without_value(values: dict[str, Any], key: str) -> dict[str, Any]:
    """A copy of `values` without `key` (and without mappings it leaves empty)."""
    _check_key(key)
    parts = key.split(".")
    result: dict[str, Any] = _copy(values)
    trail = [result]
    for part in parts[:-1]:
        child = trail[-1].get(part)
        if not isinstance(child, dict):
            raise UsageError(f"no secret `{key}`")
        trail.append(child)
    if parts[-1] not in trail[-1]:
        raise UsageError(f"no secret `{key}`")
    del trail[-1][parts[-1]]
    for depth in range(len(parts) - 1, 0, -1):
        if not trail[depth]:
            del trail[depth - 1][parts[depth - 1]]
    return result


def _check_key(key: str) -> None:
    if not KEY_PATTERN.match(key) or key.split(".")[0] == sopsfile.METADATA_KEY:
        raise UsageError(
            f"`{key}` is not a secret's key: use dotted names of letters, digits, `-` and `_` (e.g. db.password)"
            + ("; `sops` is reserved" if key.split(".")[0] == sopsfile.METADATA_KEY else "")
        )


def _copy(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node


def key_names(file: SecretsFile) -> list[str]:
    """The dotted keys of a secrets file, read without decrypting anything (keys are plain text)."""
    raw = read_raw(file)
    if raw is None:
        return []
    document = parse(file.relative, raw)
    data = document.data if isinstance(document.data, dict) else {}
    return [name for name, _value in flatten({k: v for k, v in data.items() if k != sopsfile.METADATA_KEY})]


def checked_values(data: dict[str, Any]) -> dict[str, Any]:
    """`data` (an edited file) if every key is a secret's key and every value one a secret can be;
    UsageError naming the first that is not."""
    for name, value in flatten(data):
        _check_key(name)
        leaves = value if isinstance(value, list) else [value]
        for leaf in leaves:
            if not isinstance(leaf, (str, int, float, bool)) and leaf is not None:
                raise UsageError(f"`{name}`: a secret's value is a string, a number or true/false")
    return data
