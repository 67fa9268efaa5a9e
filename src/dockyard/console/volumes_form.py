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
from dockyard.console.text import NOT_TEXT
from dockyard.errors import printable

ROW_FIELDS = ("volume_id", "volume_target", "volume_size")
"""The page's fields, posted once per disk (the API takes `volumes`, a list of objects)."""
SIZE = re.compile(r"[1-9][0-9]{0,5}(Mi|Gi|Ti)")
"""A size as people give one: a whole number of MiB, GiB or TiB."""
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
    if not any(name in posted for name in ROW_FIELDS):
        return None
    columns = [posted.get(name) or [] for name in ROW_FIELDS]
    columns = [column if isinstance(column, list) else [column] for column in columns]
    found = []
    for index in range(max(len(column) for column in columns)):
        rid, target, size = (str(c[index]).strip() if index < len(c) else "" for c in columns)
        if rid or target:
            found.append({"id": rid, "target": target, "size": size})
    return found


def parse(raw: Any) -> tuple[tuple[VolumeForm, ...] | None, list[str]]:
    """The disks a request names (a list of objects with id, target and size), and what is wrong
    with them; None when it names none."""
    if raw is None:
        return None, []
    if not isinstance(raw, list) or not all(isinstance(item, Mapping) for item in raw):
        return None, ["must be a list of disks, each with `id`, `target` and `size`"]
    problems: list[str] = []
    found: list[VolumeForm] = []
    for item in raw:
        volume = _volume(item)
        if isinstance(volume, VolumeForm) and any(v.id == volume.id for v in found):
            volume = f"`{volume.id}` names two disks: give each its own name"
        elif isinstance(volume, VolumeForm) and any(v.target == volume.target for v in found):
            volume = f"two disks are mounted at `{volume.target}`: give each its own path"
        if isinstance(volume, str):
            problems.append(volume)
        else:
            found.append(volume)
    return tuple(found), problems


def _volume(item: Mapping[str, Any]) -> VolumeForm | str:
    """The disk `item` names, or what is wrong with it."""
    unknown = sorted(set(item) - {"id", "target", "size"})
    if unknown:
        return f"a disk has no `{printable(str(unknown[0])[:63])}`: give `id`, `target` and `size`"
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
    if not target.startswith("/") or target == "/" or target.endswith("/") or posixpath.normpath(target) != target:
        return f"disk `{rid}`: `{shown}` is not a folder's path in the container: an absolute path such as /var/lib/app"
    size = DEFAULT_SIZE if size in (None, "") else size
    if not isinstance(size, str) or not SIZE.fullmatch(size.strip()):
        return f"disk `{rid}`: its size is a whole number of Mi, Gi or Ti, such as 10Gi"
    return VolumeForm(rid, target, size.strip())


def _source(rid: str) -> str:
    return "${resources." + rid + "}"


def _mounts(container: Any) -> list[tuple[Any, Mapping[str, Any]]]:
    """The container's volume entries, as (index or target, entry)."""
    volumes = container.get("volumes") if isinstance(container, dict) else None
    if isinstance(volumes, list):
        return [(index, entry) for index, entry in enumerate(volumes) if isinstance(entry, dict)]
    if isinstance(volumes, dict):
        return [(target, {"target": target, **entry}) for target, entry in volumes.items() if isinstance(entry, dict)]
    return []


def present(resources: Any, container: Any) -> dict[str, tuple[Any, str]]:
    """The service's `volume` resources the container mounts, by id: (the mount's index or key, its
    target). One mounted twice is the form's only where it is mounted once."""
    volumes = {rid for rid, r in (resources or {}).items() if isinstance(r, dict) and r.get("type") == "volume"}
    found: dict[str, tuple[Any, str]] = {}
    counts: dict[str, int] = {}
    for key, entry in _mounts(container):
        source = entry.get("source")
        for rid in volumes:
            if source == _source(rid) and isinstance(entry.get("target"), str):
                found[rid] = (key, entry["target"])
                counts[rid] = counts.get(rid, 0) + 1
    return {rid: mount for rid, mount in found.items() if counts[rid] == 1}


def shown(resources: Any, container: Any) -> list[dict[str, Any]]:
    """The rows the edit form starts from."""
    rows_ = []
    for rid, (_key, target) in present(resources, container).items():
        params = resources[rid].get("params")
        size = params.get("size") if isinstance(params, dict) else None
        rows_.append({"id": rid, "target": target, "size": str(size or DEFAULT_SIZE)})
    return rows_


def write(resources: CommentedMap, container: CommentedMap, wanted: tuple[VolumeForm, ...] | None) -> list[str]:
    """The disks after the form (their ids): those no longer named unmounted and their resource
    removed, the others' size and path changed in place (their other params and the mount's other
    keys kept), new ones added; with `wanted` None, as they are."""
    before = present(resources, container)
    if wanted is None:
        return list(before)
    for volume in wanted:
        other = resources.get(volume.id)
        if other is not None and volume.id not in before:
            raise NameTaken(
                f"`{volume.id}` is already the name of {describe(volume.id, other)}: give the disk another name"
            )
    named = {volume.id: volume for volume in wanted}
    mounts = container.get("volumes")
    gone = [rid for rid in before if rid not in named]
    for rid in sorted(gone, key=lambda r: before[r][0] if isinstance(before[r][0], int) else 0, reverse=True):
        key = before[rid][0]
        if isinstance(mounts, list):
            del mounts[key]
        else:
            settings_form.write(mounts, (key,), None)
        settings_form.write(resources, (rid,), None)
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
        _mount(container, volume, before.get(volume.id))
    if isinstance(container.get("volumes"), list | dict) and not container["volumes"]:
        settings_form.write(container, ("volumes",), None)
    return list(named)


def _mount(container: CommentedMap, volume: VolumeForm, before: tuple[Any, str] | None) -> None:
    mounts = container.get("volumes")
    if before is not None:
        key, target = before
        if target == volume.target:
            return
        if isinstance(mounts, list):
            mounts[key]["target"] = volume.target
        else:
            entry = mounts[key]
            mounts.insert(list(mounts).index(key), volume.target, entry)
            del mounts[key]
        return
    if not isinstance(mounts, list | CommentedMap):
        container["volumes"] = mounts = CommentedSeq()
    if isinstance(mounts, list):
        mounts.append(CommentedMap(source=_source(volume.id), target=volume.target))
    else:
        mounts[volume.target] = CommentedMap(source=_source(volume.id))
