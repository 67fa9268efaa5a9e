"""Where a platform answers: the address of every route on its gateway, for people to open.

Read from the rendered HTTPRoutes (the platform's UIs at `<name>.<domain>` and the services' own
routes), served as https where the profile has certificates. `up` prints them; the local control
plane runs no containers, so they answer on a real cluster only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dockyard.render.bundle import Rendered
from dockyard.render.provisioners.route import served_scheme


@dataclass(frozen=True, order=True)
class Address:
    url: str
    route: str
    """`namespace/name` of the HTTPRoute that serves it."""


def addresses(objects: Iterable[Rendered], profile: str) -> list[Address]:
    """Each host and path prefix of every HTTPRoute, sorted by URL."""
    scheme = served_scheme(profile)
    found: set[Address] = set()
    for item in objects:
        if item.kind != "HTTPRoute":
            continue
        spec = item.manifest.get("spec") or {}
        paths = sorted(
            {
                str(match["path"]["value"])
                for rule in spec.get("rules") or []
                for match in rule.get("matches") or []
                if (match.get("path") or {}).get("type", "PathPrefix") == "PathPrefix" and match["path"].get("value")
            }
        ) or ["/"]
        route = f"{item.manifest['metadata'].get('namespace', '')}/{item.name}"
        for host in spec.get("hostnames") or []:
            found.update(Address(f"{scheme}://{host}{path}", route) for path in paths)
    return sorted(found)
