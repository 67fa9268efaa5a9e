"""The in-cluster controller follows the release the repo pins, also to a release that reads the
repo where it cannot.

A commit that moves the repo to another Dockyard (its `dockyard:` range, and
`sync.controller.version`) is one this controller may not load: its schemas may have changed.
What it still reads, from the plain files of the revision and nothing else, is where the controller
should run: `sync.controller` in platform.yaml, the cluster's environment and the cluster file
(the most specific wins, as layers do). When that names a version inside the repo's range, the
controller sets its own Deployment's image to it, and the release it names, once running,
applies the revision with the whole pipeline. Without such a version nothing changes: the attempt
fails with the repo's own message (which release to run).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from dockyard.deploy.client import Connection, ObjectError
from dockyard.errors import DockyardError
from dockyard.load.files import PLATFORM_FILE
from dockyard.render.components.controller import NAME
from dockyard.sync import exported

CONTAINER = "controller"


@dataclass(frozen=True)
class Pin:
    """Where the repo asks the controller to run: `<image>:<version>[@<digest>]`."""

    image: str
    version: str
    digest: str | None

    @property
    def reference(self) -> str:
        return f"{self.image}:{self.version}" + (f"@{self.digest}" if self.digest else "")


def pinned(root: Path, cluster: str) -> Pin | None:
    """`sync.controller`'s image, version and digest as the revision's files set them, when they
    name a version inside the repo's `dockyard` range; else None."""
    platform = exported.mapping(root / PLATFORM_FILE)
    cluster_file = exported.mapping(root / "clusters" / f"{cluster}.yaml")
    environment = cluster_file.get("environment")
    layers = [platform]
    if isinstance(environment, str) and "/" not in environment and environment not in ("", ".", ".."):
        layers.append(exported.mapping(root / "environments" / f"{environment}.yaml"))
    layers.append(cluster_file)
    settings: dict[str, Any] = {}
    for layer in layers:
        sync = layer.get("sync")
        controller = sync.get("controller") if isinstance(sync, dict) else None
        if isinstance(controller, dict):
            settings.update({k: v for k, v in controller.items() if k in ("image", "version", "digest")})
    image, version, digest = settings.get("image"), settings.get("version"), settings.get("digest")
    written = platform.get("dockyard")
    if not (isinstance(image, str) and isinstance(version, str) and isinstance(written, str)):
        return None
    try:
        if Version(version) not in SpecifierSet(written):
            return None
    except (InvalidVersion, InvalidSpecifier):
        return None
    return Pin(image, version, digest if isinstance(digest, str) else None)


def hand_over(connection: Connection, namespace: str, pin: Pin) -> bool:
    """Set the controller Deployment's image to `pin`; whether it changed (False: it already runs
    that image). Only the image changes; the pods roll over as for any image change."""
    reference = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": NAME, "namespace": namespace}}
    live = connection.get(reference)
    if live is None:
        raise DockyardError(f"cannot hand over: Deployment {namespace}/{NAME} does not exist")
    containers = live["spec"]["template"]["spec"]["containers"]
    own = next((c for c in containers if c.get("name") == CONTAINER), None)
    if own is None:
        raise DockyardError(f"cannot hand over: Deployment {namespace}/{NAME} has no container {CONTAINER}")
    if own.get("image") == pin.reference:
        return False
    changed = [{**c, "image": pin.reference} if c is own else c for c in containers]
    patched = connection.merge_patch(reference, {"spec": {"template": {"spec": {"containers": changed}}}})
    if isinstance(patched, ObjectError):
        raise DockyardError(f"cannot hand over to {pin.reference}: {patched.message}")
    return True
