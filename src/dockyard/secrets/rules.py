"""Who may read the platform repo's secrets: the recipients in `.sops.yaml`, as `sops` reads it.

`.sops.yaml` at the repo's root holds `creation_rules`; the first rule whose `path_regex` matches
a file's path (relative to the repo) names its recipients: age public keys (`age`) and OpenPGP
key fingerprints (`pgp`), each a comma-separated string or a list. `dockyard secrets init` writes
one rule for every secrets file of the layout; teams may add their own above it (production's
files to fewer people, say), and the real `sops` follows the same rules when someone uses it
instead.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from dockyard.atomic import write_atomic
from dockyard.errors import InputError, Position, Problem
from dockyard.load.yamlsafe import parse
from dockyard.secrets import pgp

CONFIG_FILE = ".sops.yaml"
AGE_PREFIX = "age1"
LAYOUT_REGEX = r"^(secrets/[^/]+|services/[^/]+/secrets)\.yaml$"
"""Every secrets file of the layout: secrets/<layer>.yaml and services/<name>/secrets.yaml."""


@dataclass(frozen=True)
class Rule:
    index: int
    path_regex: str | None
    recipients: tuple[str, ...]
    """Its age recipients, then its PGP keys (fingerprints or long key ids, upper case)."""
    others: tuple[str, ...] = ()
    """What else the rule sets (kms, key_groups, encrypted_regex, ...): Dockyard applies none."""


def read_rules(root: Path) -> list[Rule]:
    """The creation rules of `root`/.sops.yaml (none when there is no such file)."""
    path = root / CONFIG_FILE
    if not path.is_file():
        return []
    document = parse(CONFIG_FILE, path.read_bytes())
    rules = document.data.get("creation_rules") if isinstance(document.data, dict) else None
    if not isinstance(rules, list):
        raise InputError([Problem(Position(CONFIG_FILE, 1, 1), "`creation_rules` must be a list of rules")])
    found = []
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            raise InputError([Problem(document.position(("creation_rules", index)), "a rule must be a mapping")])
        regex = rule.get("path_regex")
        if regex is not None:
            try:
                re.compile(regex)
            except (re.error, TypeError) as error:
                raise InputError(
                    [Problem(document.position(("creation_rules", index, "path_regex")), f"bad path_regex: {error}")]
                ) from None
        others = tuple(sorted(str(key) for key in rule if key not in ("path_regex", "age", "pgp")))
        fingerprints = tuple(pgp.key_id(f) or f for f in _recipients(rule.get("pgp")))
        found.append(Rule(index, regex, _recipients(rule.get("age")) + fingerprints, others))
    return found


def _recipients(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list):
        return tuple(str(part).strip() for part in value if str(part).strip())
    return ()


def rule_for(rules: list[Rule], relative: str) -> Rule | None:
    """The first rule whose path_regex matches `relative` (a rule without one matches every file)."""
    for rule in rules:
        if rule.path_regex is None or re.search(rule.path_regex, relative):
            return rule
    return None


def add_layout_rule(root: Path, recipients: list[str]) -> bool:
    """Add the layout's rule (last, so a team's own rules above it win) with `recipients`; False
    when a rule for exactly the layout's files is there already (it is left as it is)."""
    yaml, data = _round_trip(root)
    rules = data.setdefault("creation_rules", CommentedSeq())
    if any(isinstance(r, dict) and r.get("path_regex") == LAYOUT_REGEX for r in rules):
        return False
    rule = CommentedMap()
    rule["path_regex"] = LAYOUT_REGEX
    ages, fingerprints = split(recipients)
    if ages:
        rule["age"] = ",".join(ages)
    if fingerprints:
        rule["pgp"] = ",".join(fingerprints)
    rules.append(rule)
    _write(root, yaml, data)
    return True


def set_recipients(root: Path, index: int, recipients: list[str]) -> None:
    """Rewrite rule `index`'s age and PGP recipients (comments and every other key kept; a kind
    with no recipient left loses its key)."""
    yaml, data = _round_trip(root)
    rule = data["creation_rules"][index]
    for key, chosen in zip(("age", "pgp"), split(recipients), strict=True):
        if not chosen:
            rule.pop(key, None)
        else:
            rule[key] = ",".join(chosen) if isinstance(rule.get(key), str) or key not in rule else chosen
    _write(root, yaml, data)


def split(recipients: list[str] | tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(age recipients, PGP keys) of a list of recipients of both kinds: every age recipient starts
    with `age1`; anything else came from `pgp` (or is refused before it gets here)."""
    ages = [r for r in recipients if r.startswith(AGE_PREFIX)]
    return ages, [r for r in recipients if not r.startswith(AGE_PREFIX)]


def _round_trip(root: Path) -> tuple[YAML, Any]:
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    path = root / CONFIG_FILE
    data = yaml.load(path.read_text()) if path.is_file() else None
    return yaml, data if data is not None else CommentedMap()


def _write(root: Path, yaml: YAML, data: Any) -> None:
    stream = io.StringIO()
    yaml.dump(data, stream)
    write_atomic(root / CONFIG_FILE, stream.getvalue().encode())
