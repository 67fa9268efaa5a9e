"""The ids the form gives a service's resources (a secret's, a disk's), and how a refusal names the
resource that already has one."""

from __future__ import annotations

import re
from typing import Any

from dockyard.errors import printable

ID = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
"""A resource id the form gives: lower-case letters, digits and dashes, starting with a letter."""
WHAT = {
    "postgres": "database",
    "redis": "cache",
    "s3": "bucket",
    "route": "route",
    "api": "API",
    "secret": "secret",
    "volume": "disk",
}
"""What the form calls a resource of each type, in a refusal."""


class NameTaken(Exception):
    """A name the form would give a resource is the id of another of the service's resources."""


def describe(rid: str, resource: Any) -> str:
    """The resource `rid` as a refusal names it: `its cache`, `the call of the service orders`."""
    kind = resource.get("type") if isinstance(resource, dict) else None
    if kind == "service":
        params = resource.get("params")
        callee = params.get("name", rid) if isinstance(params, dict) else rid
        return f"the call of the service `{printable(str(callee)[:63])}`"
    return f"its {WHAT[kind]}" if kind in WHAT else f"its resource of type `{printable(str(kind)[:63])}`"
