"""The form's disks: a `volume` resource (a PersistentVolumeClaim of a size) mounted in the
service's container at a path. A volume mounted another way (a sub-path, read only, by another
container too) keeps what the form does not show."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from dockyard.console import settings_form
from dockyard.console.resource_ids import ID, NameTaken, describe
from dockyard.console.rows import parse_rows, posted_rows
from dockyard.console.text import NOT_TEXT
from dockyard.errors import printable

ROW_FIELDS = ("volume_id", "volume_target", "volume_size")
"""The page's fields, posted once per disk (the API takes `volumes`, a list of objects)."""
SIZE = re.compile(r"[0-9]{1,9}(\.[0-9]{1,6})?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?")
"""A size as Kubernetes reads a quantity of storage (10Gi, 500M, 1.5Ti)."""
DEFAULT_SIZE = "1Gi"
"""The volume provisioner's size when none is given."""


@dataclass(frozen=True)
class VolumeForm:
    id: str
    """The resource's id (the claim is `<service>-<id>`)."""
    target: str
    """Where it is mounted in the container."""
    size: str = DEFAULT_SIZE

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "target": self.target, "size": self.size}


def rows(posted: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The page's disks as the API's objects (a row left empty is none); None when the page posted
    none (the request does not name the disks)."""
    found = posted_rows(posted, ROW_FIELDS)
    if found is None:
        return None
    return [
        {"id": rid, "target": target, "size": size}
        for rid, target, size in ([value.strip() for value in row] for row in found)
        if rid or target
    ]


def parse(raw: Any) -> tuple[tuple[VolumeForm, ...] | None, list[str]]:
    """The disks a request names (a list of objects with id, target and size), and what is wrong
    with them; None when it names none."""
    return parse_rows(raw, ("disk", "disks"), ("id", "target", "size"), _volume, _clash)


def _clash(volume: VolumeForm, before: list[VolumeForm]) -> str | None:
    if any(v.id == volume.id for v in before):
        return f"`{volume.id}` names two disks: give each its own name"
    if any(v.target == volume.target for v in before):
        return f"two disks are mounted at `{volume.target}`: give each its own path"
    return None


def _volume(item: Mapping[str, Any]) -> VolumeForm | str:
    """The disk `item` names, or what is wrong with it."""
    rid, target, size = item.get("id"), item.get("target"), item.get("size")
    if rid in (None, ""):
        return "a disk has no name: give it one (lower-case letters, digits and dashes)"
    if not isinstance(rid, str) or not ID.fullmatch(rid) or len(rid) > 63:
        return (
            f"`{printable(str(rid)[:63])}` is not a disk's name: lower-case letters, digits and dashes, starting "
            "with a letter"
        )
    if not isinstance(target, str) or not target:
        return f"disk `{rid}`: give the path it is mounted at in the container, e.g. /var/lib/app"
    shown = printable(target[:200])
    if NOT_TEXT.search(target) or any(c in target for c in "\t\n\r"):
        return f"disk `{rid}`: `{shown}` holds a line end, a tab or a control character: remove it"
    if len(target) > 1024:
        return f"disk `{rid}`: `{shown}...` is longer than 1024 characters"
    if not target.startswith("/") or target == "/" or target.endswith("/") or posixpath.normpath(target) != target:
        return f"disk `{rid}`: `{shown}` is not a folder's path in the container: an absolute path such as /var/lib/app"
    size = DEFAULT_SIZE if size in (None, "") else size
    if not isinstance(size, str) or not SIZE.fullmatch(size.strip()):
        return f"disk `{rid}`: its size is a quantity of storage such as 10Gi or 500M"
    return VolumeForm(rid, target, size.strip())


def _source(rid: str) -> str:
    return "${resources." + rid + "}"


@dataclass(frozen=True)
class Mount:
    """A mount of the container: its entry (found again by this, never by a position a removal
    moves), its target and its key (an index in a list, the target in a mapping)."""

    entry: CommentedMap
    target: str
    key: Any


def mounts(container: Any) -> list[Mount]:
    """The container's volume entries (a list, or a mapping keyed by target)."""
    volumes = container.get("volumes") if isinstance(container, dict) else None
    if isinstance(volumes, list):
        entries = [
            (index, entry, entry.get("target")) for index, entry in enumerate(volumes) if isinstance(entry, dict)
        ]
    elif isinstance(volumes, dict):
        entries = [(target, entry, target) for target, entry in volumes.items()]
    else:
        return []
    return [Mount(entry, str(target), key) for key, entry, target in entries if isinstance(entry, CommentedMap)]


def present(resources: Any, container: Any, elsewhere: set[str]) -> dict[str, Mount]:
    """The service's `volume` resources the form shows, by id: those the container mounts once and
    no other container mounts (`elsewhere`: the sources other containers name)."""
    volumes = {rid for rid, r in (resources or {}).items() if isinstance(r, dict) and r.get("type") == "volume"}
    by_source: dict[str, list[Mount]] = {}
    for mount in mounts(container):
        source = mount.entry.get("source")
        if isinstance(source, str):
            by_source.setdefault(source, []).append(mount)
    return {
        rid: by_source[_source(rid)][0]
        for rid in volumes
        if len(by_source.get(_source(rid), ())) == 1 and _source(rid) not in elsewhere
    }


def sources_elsewhere(containers: Any, first: str) -> set[str]:
    """The volume sources the other containers name."""
    found: set[str] = set()
    for name, spec in (containers or {}).items() if isinstance(containers, dict) else ():
        if name != first:
            found |= {str(m.entry.get("source")) for m in mounts(spec)}
    return found


def shown(resources: Any, container: Any, elsewhere: set[str]) -> list[dict[str, Any]]:
    """The rows the edit form starts from."""
    rows_ = []
    for rid, mount in present(resources, container, elsewhere).items():
        params = resources[rid].get("params")
        size = params.get("size") if isinstance(params, dict) else None
        rows_.append({"id": rid, "target": mount.target, "size": str(size or DEFAULT_SIZE)})
    return rows_


def write(
    resources: CommentedMap, container: CommentedMap, wanted: tuple[VolumeForm, ...] | None, elsewhere: set[str]
) -> list[str]:
    """The disks after the form (their ids): those no longer named unmounted and their resource
    removed, the others' size and path changed in place (their other params and the mount's other
    keys kept), new ones added; with `wanted` None, as they are."""
    before = present(resources, container, elsewhere)
    if wanted is None:
        return list(before)
    kept = {m.target: m for m in mounts(container) if all(m.entry is not b.entry for b in before.values())}
    for volume in wanted:
        other = resources.get(volume.id)
        if other is not None and volume.id not in before:
            raise NameTaken(
                f"`{volume.id}` is already the name of {describe(volume.id, other)}: give the disk another name"
            )
        if volume.target in kept:
            source = printable(str(kept[volume.target].entry.get("source"))[:63])
            raise NameTaken(f"disk `{volume.id}`: `{source}` is mounted at `{volume.target}`: choose another folder")
    named = {volume.id: volume for volume in wanted}
    written = container.get("volumes")
    for rid in [rid for rid in before if rid not in named]:
        gone = before[rid]
        if isinstance(written, list):
            settings_form.remove_item(written, next(i for i, entry in enumerate(written) if entry is gone.entry))
        else:
            settings_form.write(written, (gone.key,), None)
        settings_form.write(resources, (rid,), None)
    moved = [
        (before[rid].entry, v.target) for rid, v in named.items() if rid in before and before[rid].target != v.target
    ]
    _move(container, moved)
    for volume in wanted:
        resource = resources.get(volume.id)
        if not isinstance(resource, CommentedMap):
            resources[volume.id] = resource = CommentedMap(type="volume")
        params = resource.get("params")
        if volume.size != DEFAULT_SIZE or (isinstance(params, dict) and "size" in params):
            if not isinstance(params, CommentedMap):
                resource["params"] = params = CommentedMap()
            if params.get("size") != volume.size:
                params["size"] = volume.size
        if volume.id not in before:
            _add(container, volume)
    if isinstance(container.get("volumes"), list | dict) and not container["volumes"]:
        settings_form.write(container, ("volumes",), None)
    return list(named)


def _move(container: CommentedMap, targets: list[tuple[CommentedMap, str]]) -> None:
    """Each mount in `targets` to its new target (in a mapping: its key renamed in place, through a
    name no target has, so two mounts may trade places)."""
    written = container.get("volumes")
    if isinstance(written, list):
        for entry, target in targets:
            entry["target"] = target
        return
    if not isinstance(written, CommentedMap):
        return
    keys = {id(entry): key for key, entry in written.items()}
    steps = [(keys[id(entry)], f"\0{index}", target) for index, (entry, target) in enumerate(targets)]
    for old, passing, _target in steps:
        _rename(written, old, passing)
    for _old, passing, target in steps:
        _rename(written, passing, target)


def _rename(mapping: CommentedMap, old: str, new: str) -> None:
    position = list(mapping).index(old)
    comments = mapping.ca.items.pop(old, None)
    entry = mapping[old]
    del mapping[old]
    mapping.insert(position, new, entry)
    if comments is not None:
        mapping.ca.items[new] = comments


def _add(container: CommentedMap, volume: VolumeForm) -> None:
    written = container.get("volumes")
    if not isinstance(written, list | CommentedMap):
        container["volumes"] = written = CommentedSeq()
    if isinstance(written, list):
        written.append(CommentedMap(source=_source(volume.id), target=volume.target))
    else:
        written[volume.target] = CommentedMap(source=_source(volume.id))
