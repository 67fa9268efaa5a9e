"""Write a Bundle: one file per object in a stable tree, or one stream.

Tree: `<DIR>/<stage index>-<stage>/<namespace or _cluster>/<kind>-<name>.<yaml|json>`. Files
from an earlier render that the new one does not produce are removed, so the tree always equals
the render; anything else in DIR is left alone.

`DIR/.dockyard-render` records each file with a hash of the object it holds and the file's size
and modification time (as git's index does), so a render after a small change serialises and
writes only the objects that changed, and a file edited by hand is written again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from dockyard.render.bundle import STAGES, Bundle, Rendered, to_json, to_yaml

MARKER = ".dockyard-render"


def relative_path(rendered: Rendered, fmt: str) -> str:
    stage = f"{STAGES.index(rendered.stage) + 1}-{rendered.stage}"
    return f"{stage}/{rendered.namespace or '_cluster'}/{rendered.kind.lower()}-{rendered.name}.{fmt}"


def write_tree(bundle: Bundle, directory: Path, fmt: str) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    marker = directory / MARKER
    previous = _read_marker(marker)
    written: dict[str, list[object]] = {}
    for rendered in bundle.objects:
        relative = relative_path(rendered, fmt)
        path = directory / relative
        digest = hashlib.sha256(json.dumps(rendered.manifest, sort_keys=False).encode()).hexdigest()
        if previous.get(relative, [None])[0] == digest and _stat(path) == previous[relative][1:]:
            written[relative] = previous[relative]
            continue
        text = to_json(rendered.manifest) if fmt == "json" else to_yaml([rendered.manifest])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written[relative] = [digest, *_stat(path)]
    for stale in sorted(set(previous) - set(written)):
        (directory / stale).unlink(missing_ok=True)
        for parent in (directory / stale).parents:
            if parent == directory or any(parent.iterdir()):
                break
            parent.rmdir()
    marker.write_text(json.dumps(dict(sorted(written.items())), indent=0) + "\n")
    return list(written)


def _stat(path: Path) -> list[object]:
    try:
        info = path.stat()
    except OSError:
        return [None, None]
    return [info.st_size, info.st_mtime_ns]


def _read_marker(marker: Path) -> dict[str, list[object]]:
    try:
        recorded = json.loads(marker.read_text())
    except (OSError, ValueError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


def stream(bundle: Bundle, fmt: str) -> str:
    manifests = [r.manifest for r in bundle.objects]
    if fmt == "json":
        return json.dumps({"apiVersion": "v1", "kind": "List", "items": manifests}, indent=2, ensure_ascii=False) + "\n"
    return to_yaml(manifests)
