"""Write a Bundle: one file per object in a stable tree, or one stream.

Tree: `<DIR>/<stage index>-<stage>/<namespace or _cluster>/<kind>-<name>.<yaml|json>`. Files
from an earlier render that the new one does not produce are removed, so the tree always equals
the render; anything else in DIR is left alone.
"""

from __future__ import annotations

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
    previous = set(json.loads(marker.read_text())) if marker.exists() else set()
    written = []
    for rendered in bundle.objects:
        relative = relative_path(rendered, fmt)
        path = directory / relative
        text = to_json(rendered.manifest) if fmt == "json" else to_yaml([rendered.manifest])
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        written.append(relative)
    for stale in sorted(previous - set(written)):
        (directory / stale).unlink(missing_ok=True)
        for parent in (directory / stale).parents:
            if parent == directory or any(parent.iterdir()):
                break
            parent.rmdir()
    marker.write_text(json.dumps(sorted(written), indent=0) + "\n")
    return written


def stream(bundle: Bundle, fmt: str) -> str:
    manifests = [r.manifest for r in bundle.objects]
    if fmt == "json":
        return json.dumps({"apiVersion": "v1", "kind": "List", "items": manifests}, indent=2, ensure_ascii=False) + "\n"
    return to_yaml(manifests)
