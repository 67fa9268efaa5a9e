"""Where a platform answers: the address of every route on its gateway, for people to open.

Read from the rendered HTTPRoutes (the platform's UIs at `<name>.<domain>` and the services' own
routes), served as https where the profile has certificates. `up` prints them; the local control
plane runs no containers, so they answer on a real cluster only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dockyard.render.bundle import Rendered
from dockyard.render.provisioners.route import served_scheme


@dataclass(frozen=True, order=True)
class Address:
    url: str
    route: str
    """`namespace/name` of the HTTPRoute that serves it."""


def addresses(objects: Iterable[Rendered], profile: str) -> list[Address]:
    """Each host and path of every HTTPRoute (a regular expression shown as `/`), sorted by URL."""
    scheme = served_scheme(profile)
    found: set[Address] = set()
    for item in objects:
        if item.kind != "HTTPRoute":
            continue
        spec = item.manifest.get("spec") or {}
        paths = sorted({prefix for rule in spec.get("rules") or [{}] for prefix in _prefixes(rule)})
        route = f"{item.manifest['metadata'].get('namespace', '')}/{item.name}"
        for host in spec.get("hostnames") or []:
            found.update(Address(f"{scheme}://{host}{path}", route) for path in paths)
    return sorted(found)


def _prefixes(rule: dict[str, Any]) -> set[str]:
    """Where a rule begins to match: each path prefix or exact path; `/` for a rule with no matches
    or a match without a path (Gateway API's default is the prefix `/`)."""
    found = set()
    for match in rule.get("matches") or [{}]:
        path = match.get("path") or {}
        value = path.get("value") or "/"
        found.add(value if path.get("type", "PathPrefix") in ("PathPrefix", "Exact") else "/")
    return found
