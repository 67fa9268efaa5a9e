"""The service settings a form can change, generated from the JSON Schema of dockyard.yaml
(`load/schemas.py`, SERVICE_SETTINGS): every setting whose value is a yes/no, a number, a choice,
a text, a count or percentage, or a list of names becomes a field, with its description as help
and its bounds and choices as the field's own. A setting added to the schema is on the form
without a change here; the few the form shows in its own way (team, replicas, contract, a job's
schedule), the namespace (not a team's to choose) and maps of names (images) are left out.

A field's value is what the service's own dockyard.yaml says (empty: the layers decide). Posting
it empty removes the setting from the file; a setting a request does not name stays as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.tokens import CommentToken

from dockyard.load.schemas import SERVICE_SETTINGS

PREFIX = "setting."
"""Form fields of settings are named `setting.<dotted path>`."""
LEFT_OUT = {("team",), ("replicas",), ("contract",), ("job", "schedule"), ("namespace",), ("metrics", "port")}
"""Shown by the form in its own way (team, replicas, contract, a job's schedule, the metrics port
by its number), or not the team's
to choose: a namespace of the service's own would let an editor of one team place a service in
another team's namespace, beyond what the console lets them change (the layers set it)."""
YES = ("true", "yes", "on", "1")
NO = ("false", "no", "off", "0")


@dataclass(frozen=True)
class SettingField:
    path: tuple[str, ...]
    kind: str
    """yes-no, number, choice, text, count-or-percent or names (a list, one per line)."""
    description: str = ""
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None

    @property
    def name(self) -> str:
        return PREFIX + ".".join(self.path)

    @property
    def group(self) -> str:
        return self.path[0]

    @property
    def label(self) -> str:
        """Its words within its group (the group's name when it is the group)."""
        return " ".join(_words(part) for part in (self.path[1:] or self.path))

    @property
    def job(self) -> bool:
        return self.path[0] == "job"


def _words(name: str) -> str:
    """maxReplicas -> max replicas, targetCPUUtilizationPercentage -> target CPU utilization percentage."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name).split()
    return " ".join(word if word.isupper() and len(word) > 1 else word.lower() for word in words)


@cache
def setting_fields() -> tuple[SettingField, ...]:
    """Every setting the form shows, in the schema's order."""
    return tuple(_fields(SERVICE_SETTINGS, ()))


def _fields(schema: Mapping[str, Any], path: tuple[str, ...]) -> Iterator[SettingField]:
    for key, node in (schema.get("properties") or {}).items():
        here = (*path, key)
        if here in LEFT_OUT:
            continue
        description = str(node.get("description") or "")
        kind = node.get("type")
        if kind == "object" and "properties" in node:
            yield from _fields(node, here)
        elif kind == "boolean":
            yield SettingField(here, "yes-no", description)
        elif kind == "integer":
            yield SettingField(here, "number", description, minimum=node.get("minimum"), maximum=node.get("maximum"))
        elif "enum" in node:
            yield SettingField(here, "choice", description, tuple(str(v) for v in node["enum"]))
        elif kind == "string":
            yield SettingField(here, "text", description)
        elif {s.get("type") for s in node.get("anyOf") or ()} == {"integer", "string"}:
            yield SettingField(here, "count-or-percent", description)
        elif kind == "array" and (node.get("items") or {}).get("type") == "string":
            yield SettingField(here, "names", description)


@dataclass(frozen=True)
class Group:
    name: str
    label: str
    description: str
    fields: tuple[SettingField, ...]


@cache
def groups() -> tuple[Group, ...]:
    """The fields by their top-level setting (autoscaling, rollout, ...), for the form's sections."""
    order: dict[str, list[SettingField]] = {}
    for setting in setting_fields():
        order.setdefault(setting.group, []).append(setting)
    properties = SERVICE_SETTINGS["properties"]
    return tuple(
        Group(name, _words(name), str(properties[name].get("description") or ""), tuple(fields))
        for name, fields in order.items()
    )


@cache
def by_name() -> dict[str, SettingField]:
    return {f.name: f for f in setting_fields()}


def posted_settings(posted: Mapping[str, Any]) -> dict[str, Any]:
    """The settings a request names, by field name: the form's `setting.*` fields, or the JSON
    API's `settings` mapping (nested as in dockyard.yaml, or by dotted path)."""
    found = {k: v for k, v in posted.items() if k.startswith(PREFIX)}
    given = posted.get("settings")
    if isinstance(given, Mapping):
        found.update({PREFIX + path: value for path, value in _flat(given, "")})
    return found


def _flat(node: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, Any]]:
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and PREFIX + path not in by_name():
            yield from _flat(value, path + ".")
        else:
            yield path, value


def value_of(setting: SettingField, raw: Any) -> tuple[Any, str | None]:
    """(the value to write, None to remove the setting; or an error saying what to give)."""
    if raw is None or (isinstance(raw, str) and raw.strip() == "") or raw == []:
        return None, None
    if setting.kind == "names":
        items = raw if isinstance(raw, list) else str(raw).splitlines() if isinstance(raw, str) else None
        if items is None or not all(isinstance(item, str) for item in items):
            return None, "give names, one per line"
        return [item.strip() for item in items if item.strip()] or None, None
    if isinstance(raw, bool):
        return (raw, None) if setting.kind == "yes-no" else (None, _expected(setting))
    if not isinstance(raw, str | int) or isinstance(raw, float):
        return None, _expected(setting)
    text = str(raw).strip()
    if setting.kind == "yes-no":
        if text.lower() in YES + NO:
            return text.lower() in YES, None
        return None, _expected(setting)
    if setting.kind in ("number", "count-or-percent") and text.isascii() and text.isdigit():
        number = int(text)
        if setting.minimum is not None and number < setting.minimum:
            return None, f"must be at least {setting.minimum}"
        if setting.maximum is not None and number > setting.maximum:
            return None, f"must be at most {setting.maximum}"
        return number, None
    if setting.kind == "number":
        signed = text.removeprefix("-")
        if text.startswith("-") and signed.isascii() and signed.isdigit() and setting.minimum is not None:
            return None, f"must be at least {setting.minimum}"
        return None, _expected(setting)
    if setting.kind == "choice" and text not in setting.choices:
        return None, _expected(setting)
    return text, None  # text, and percentages: the schema judges them at their line


def _expected(setting: SettingField) -> str:
    return {
        "yes-no": "choose yes or no (or leave it to the layers)",
        "number": "must be a whole number",
        "choice": f"choose one of: {', '.join(setting.choices)}",
        "count-or-percent": "must be a count or a percentage such as 25%",
        "text": "must be text",
        "names": "give names, one per line",
    }[setting.kind]


def shown(setting: SettingField, settings: Mapping[str, Any]) -> str:
    """A setting's value in a service's dockyard.yaml, as its field shows it ("" when not set)."""
    node: Any = settings
    for key in setting.path:
        if not isinstance(node, Mapping) or key not in node:
            return ""
        node = node[key]
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    if isinstance(node, list):
        return "\n".join(str(item) for item in node)
    return str(node)


def write(settings: CommentedMap, path: tuple[str, ...], value: Any) -> None:
    """Set (or, with None, remove) the setting at `path`; a mapping left empty goes with it. The
    comment lines that followed a removed setting stay where they were (they describe what comes
    next); its own comment at the end of its line goes with it."""
    if value is None:
        following = _following_lines(settings, path)
        before = _keys_before(settings, path)
        _remove(settings, path)
        if following:
            _keep_after(settings, path, before, following)
        return
    node = settings
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, CommentedMap):
            node[key] = child = CommentedMap()
        node = child
    if node.get(path[-1]) != value:
        node[path[-1]] = CommentedSeq(value) if isinstance(value, list) else value


def _remove(node: Any, path: tuple[str, ...]) -> None:
    if not isinstance(node, CommentedMap) or path[0] not in node:
        return
    if len(path) == 1:
        del node[path[0]]
        return
    _remove(node[path[0]], path[1:])
    if isinstance(node[path[0]], CommentedMap) and not node[path[0]]:
        del node[path[0]]


def _comment_slot(node: Any, key: Any) -> tuple[Any, Any, int]:
    """Where the comment after `key`'s value holds the lines that follow it: the node, the key (or
    index) in it and the slot, down to the last entry of the deepest last mapping or block list
    under it (a flow list keeps them at its own key)."""
    while True:
        child = node[key]
        if isinstance(child, CommentedMap) and child:
            node, key = child, next(reversed(child))
        elif isinstance(child, CommentedSeq) and child and not child.fa.flow_style():
            node, key = child, len(child) - 1
        else:
            return node, key, 0 if isinstance(node, CommentedSeq) else 2


def following_lines(node: Any, key: Any, *, take: bool = False) -> str:
    """The whole comment lines after `key`'s value in `node` (not its own comment at the end of its
    line); with `take`, they are removed from there."""
    holder, at, slot = _comment_slot(node, key)
    slots = holder.ca.items.get(at)
    token = slots[slot] if slots and len(slots) > slot else None
    text = getattr(token, "value", "") or ""
    if "\n" not in text:
        return ""
    own, lines = text.split("\n", 1)
    if take and token is not None:
        token.value = own + "\n"
    return lines


def put_after(node: Any, key: Any, lines: str) -> None:
    """Comment `lines` after `key`'s value in `node`, after any already there."""
    holder, at, slot = _comment_slot(node, key)
    slots = holder.ca.items.setdefault(at, [None, None, None, None])
    token = slots[slot]
    if token is None:
        slots[slot] = CommentToken("\n" + lines, CommentMark(0), None)
    else:
        token.value = token.value + lines if token.value.endswith("\n") else token.value + "\n" + lines


def _following_lines(settings: CommentedMap, path: tuple[str, ...]) -> str:
    node: Any = settings
    for key in path[:-1]:
        if not isinstance(node, CommentedMap) or key not in node:
            return ""
        node = node[key]
    if not isinstance(node, CommentedMap) or path[-1] not in node:
        return ""
    return following_lines(node, path[-1])


def _keys_before(settings: CommentedMap, path: tuple[str, ...]) -> list[str | None]:
    """At each depth of `path`, the key just before it in its mapping (None when it is the first)."""
    found: list[str | None] = []
    node: Any = settings
    for key in path:
        if not isinstance(node, CommentedMap) or key not in node:
            break
        keys = list(node)
        at = keys.index(key)
        found.append(keys[at - 1] if at else None)
        node = node[key]
    return found


def _keep_after(settings: CommentedMap, path: tuple[str, ...], before: list[str | None], lines: str) -> None:
    """Put comment `lines` after the key that preceded the removed setting (or the mapping it was
    removed with) in the deepest mapping still there; when it was the first there, before the keys
    that follow it (higher up when none does)."""
    maps: list[CommentedMap] = [settings]
    for key in path[:-1]:
        child = maps[-1].get(key)
        if not isinstance(child, CommentedMap):
            break
        maps.append(child)
    for depth in range(min(len(maps), len(before)) - 1, -1, -1):
        previous = before[depth]
        if previous is not None and previous in maps[depth]:
            put_after(maps[depth], previous, lines)
            return
        if previous is None and maps[depth]:
            _put_first(maps[depth], lines)
            return


def remove_item(items: list[Any], index: int) -> None:
    """Remove a list's item; the comment lines that followed it stay where they were (after the item
    before it, or before the first one left)."""
    following = following_lines(items, index, take=True) if isinstance(items, CommentedSeq) else ""
    del items[index]
    if not following or not items or not isinstance(items, CommentedSeq):
        return
    if index > 0:
        put_after(items, index - 1, following)
    else:
        _put_first(items, following)


def _put_first(mapping: CommentedMap | CommentedSeq, lines: str) -> None:
    """Comment `lines` before a mapping's first key or a list's first item (after any comment
    already there)."""
    token = CommentToken(lines, CommentMark(0), None)
    if mapping.ca.comment is None:
        mapping.ca.comment = [None, [token]]
    elif mapping.ca.comment[1] is None:
        mapping.ca.comment[1] = [token]
    else:
        mapping.ca.comment[1].append(token)  # in place: the parent's key may hold the same list
