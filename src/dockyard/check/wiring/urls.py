"""Every URL the render hands out for the platform's own hosts (a service's variables, a
component's settings, an issuer, a redirect) is served: some HTTPRoute has its host and attaches
to a Gateway listener of its scheme (`https` needs an HTTPS listener that admits the route).

The hosts judged are those under the platform's domain and those some route names; a URL of any
other host is someone else's to serve."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from dockyard.check.findings import Finding
from dockyard.check.wiring.facts import Facts
from dockyard.check.wiring.placed import finding
from dockyard.check.wiring.routes import refusal
from dockyard.render.bundle import Rendered

RULE = "wiring-url"
HOST = re.compile(r"[a-z0-9.-]*")
SCHEMES = {"http": "HTTP", "https": "HTTPS"}


def check_urls(facts: Facts, domain: str | None) -> list[Finding]:
    served, routed = serving(facts)
    findings: dict[Finding, None] = {}
    for rendered in facts.with_text():
        for scheme, host in urls_of(facts, rendered):
            if not _ours(host, domain, routed) or (scheme, host) in served:
                continue
            if host not in routed:
                why = f"no HTTPRoute has host {host}"
            else:
                why = f"the routes with host {host} attach to no {SCHEMES[scheme]} listener that admits them"
            message = f"hands out `{scheme}://{host}`, which nothing serves: {why}"
            hint = (
                f"route {host} (a `route` resource, or the component that serves it)"
                if host not in routed
                else f"attach a route of {host} to a {SCHEMES[scheme]} listener (https: the profile's certificates)"
            )
            findings[finding(rendered, RULE, message, text=f"{scheme}://{host}", hint=hint)] = None
    return list(findings)


def urls_of(facts: Facts, rendered: Rendered) -> tuple[tuple[str, str], ...]:
    """The URLs of an object (see `urls`), found once per check: two rules read them."""
    cache: dict[int, tuple[tuple[str, str], ...]] = facts.memo.setdefault("urls", {})
    found = cache.get(id(rendered))
    if found is None:
        found = cache[id(rendered)] = tuple(urls(facts.body_text(rendered)))
    return found


def urls(text: str) -> Iterator[tuple[str, str]]:
    """(scheme, host) of every http(s) URL in `text` (an object's JSON text, see Facts.body_text)."""
    index = text.find("://")
    while index != -1:
        scheme = "https" if text.endswith("https", 0, index) else "http" if text.endswith("http", 0, index) else None
        if scheme is not None and not text[index - len(scheme) - 1 : index - len(scheme)].isalnum():
            found = HOST.match(text, index + 3)
            host = found.group().rstrip(".") if found else ""
            if host:
                yield scheme, host
        index = text.find("://", index + 3)


@dataclass(frozen=True)
class Listening:
    """A Gateway listener that serves a host (a route with that host attaches to it)."""

    gateway: Rendered
    port: int


def serving(facts: Facts) -> tuple[dict[tuple[str, str], list[Listening]], set[str]]:
    """The listeners that serve each (scheme, host) through some route, and every host a route names."""
    known: tuple[dict[tuple[str, str], list[Listening]], set[str]] | None = facts.memo.get("serving")
    if known is None:
        known = facts.memo["serving"] = _serving(facts)
    return known


def _serving(facts: Facts) -> tuple[dict[tuple[str, str], list[Listening]], set[str]]:
    served: dict[tuple[str, str], list[Listening]] = {}
    routed: set[str] = set()
    for route in facts.routes:
        spec = route.manifest.get("spec") or {}
        hosts = [str(h) for h in spec.get("hostnames") or []]
        routed.update(hosts)
        for parent in spec.get("parentRefs") or []:
            gateway = facts.gateways.get((parent.get("namespace", route.namespace or ""), parent.get("name", "")))
            if gateway is None:
                continue
            for listener in (gateway.manifest.get("spec") or {}).get("listeners") or []:
                if parent.get("sectionName") not in (None, listener.get("name")):
                    continue
                scheme = {v: k for k, v in SCHEMES.items()}.get(str(listener.get("protocol")))
                if scheme is None or not isinstance(listener.get("port"), int):
                    continue
                for host in hosts:
                    if refusal(facts, route, gateway, listener, [host]) is None:
                        found = served.setdefault((scheme, host), [])
                        if all(f.gateway is not gateway or f.port != listener["port"] for f in found):
                            found.append(Listening(gateway, listener["port"]))
    return served, routed


def _ours(host: str, domain: str | None, routed: set[str]) -> bool:
    return host in routed or (domain is not None and (host == domain or host.endswith("." + domain)))
