"""The form's other ports: beside the port the service listens on (published as its first port) and
its metrics port, more ports by name, each the container's port, the number it is published on
in the cluster and its protocol (a gRPC port beside HTTP, a UDP port)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap

from dockyard.console import settings_form
from dockyard.console.rows import parse_rows, posted_rows
from dockyard.errors import printable

ROW_FIELDS = ("port_name", "port_number", "port_published", "port_protocol")
"""The page's fields, posted once per port (the API takes `ports`, a list of objects)."""
NAME = re.compile(r"[a-z0-9][-a-z0-9]{0,13}[a-z0-9]")
"""A port's name as Kubernetes and Score take one: 2 to 15 lower-case letters, digits and dashes."""
NUMBER = re.compile(r"[0-9]{1,5}")
PROTOCOLS = ("TCP", "UDP")


@dataclass(frozen=True)
class PortForm:
    name: str
    port: int
    """The container's port."""
    published: int
    """The number the service publishes it on in the cluster."""
    protocol: str = "TCP"

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "port": self.port, "published": self.published, "protocol": self.protocol}


def rows(posted: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The page's ports as the API's objects (a row left empty is none); None when the page posted
    none (the request does not name the other ports)."""
    found = posted_rows(posted, ROW_FIELDS)
    if found is None:
        return None
    return [
        {"name": name, "port": port, "published": published, "protocol": protocol or "TCP"}
        for name, port, published, protocol in ([value.strip() for value in row] for row in found)
        if name or port or published
    ]


def parse(raw: Any) -> tuple[tuple[PortForm, ...] | None, list[str]]:
    """The other ports a request names (a list of objects with name, port, published and protocol),
    and what is wrong with them; None when it names none."""
    return parse_rows(raw, ("port", "ports"), ("name", "port", "published", "protocol"), _port, _clash)


def _clash(port: PortForm, before: list[PortForm]) -> str | None:
    if any(p.name == port.name for p in before):
        return f"`{port.name}` names two ports: give each its own name"
    if any((p.published, p.protocol) == (port.published, port.protocol) for p in before):
        return f"two ports are published on {port.published}/{port.protocol}: give each its own number"
    if any((p.port, p.protocol) == (port.port, port.protocol) for p in before):
        return f"two ports listen on {port.port}/{port.protocol} in the container: give each its own port"
    return None


def _port(item: Mapping[str, Any]) -> PortForm | str:
    """The port `item` names, or what is wrong with it."""
    name = item.get("name")
    if name in (None, ""):
        return "a port has no name: give it one (2 to 15 lower-case letters, digits and dashes)"
    if not isinstance(name, str) or not NAME.fullmatch(name) or "--" in name or not re.search("[a-z]", name):
        return (
            f"`{printable(str(name)[:63])}` is not a port's name: 2 to 15 lower-case letters, digits and dashes, "
            "with a letter, starting and ending with a letter or digit"
        )
    port = _number(item.get("port"))
    if port is None:
        return f"port `{name}`: give the port the container listens on (1-65535)"
    published = _number(item.get("published")) if item.get("published") not in (None, "") else port
    if published is None:
        return f"port `{name}`: the number it is published on is a whole number from 1 to 65535 (empty: its own)"
    protocol = item.get("protocol")
    protocol = "TCP" if protocol in (None, "") else protocol
    if protocol not in PROTOCOLS:
        return f"port `{name}`: its protocol is TCP or UDP"
    return PortForm(name, port, published, protocol)


def _number(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str) and NUMBER.fullmatch(raw.strip()):
        raw = int(raw.strip())
    return raw if isinstance(raw, int) and 1 <= raw <= 65535 else None


def present(ports: Any, skipped: tuple[str | None, ...]) -> dict[str, Mapping[str, Any]]:
    """The service's ports the form shows as other ports, by name: all but the first and `skipped`
    (the metrics port's own), each with a port number."""
    if not isinstance(ports, dict):
        return {}
    first = next(iter(ports), None)
    return {
        str(name): entry
        for name, entry in ports.items()
        if name != first and name not in skipped and isinstance(entry, dict) and isinstance(entry.get("port"), int)
    }


def shown(ports: Any, skipped: tuple[str | None, ...]) -> list[dict[str, Any]]:
    """The rows the edit form starts from."""
    return [
        {
            "name": name,
            "port": entry.get("targetPort", entry["port"]),
            "published": entry["port"],
            "protocol": entry.get("protocol") or "TCP",
        }
        for name, entry in present(ports, skipped).items()
    ]


def write(ports: CommentedMap, wanted: tuple[PortForm, ...] | None, skipped: tuple[str | None, ...]) -> None:
    """The other ports after the form: those no longer named removed (the comment lines after each
    kept), the others changed in place, new ones added after them; with `wanted` None, as they are."""
    if wanted is None:
        return
    before = present(ports, skipped)
    named = {port.name for port in wanted}
    for name in [name for name in before if name not in named]:
        settings_form.write(ports, (name,), None)
    for port in wanted:
        entry = ports.get(port.name)
        if isinstance(entry, CommentedMap) and port == _as_shown(port.name, entry):
            continue  # as written (a `targetPort` equal to `port` stays)
        if not isinstance(entry, CommentedMap):
            ports[port.name] = entry = CommentedMap(port=port.published)
        elif entry.get("port") != port.published:
            entry["port"] = port.published
        if port.port != port.published:
            if entry.get("targetPort") != port.port:
                entry["targetPort"] = port.port
        elif "targetPort" in entry:
            settings_form.write(entry, ("targetPort",), None)
        if port.protocol != (entry.get("protocol") or "TCP"):
            if port.protocol == "TCP":
                settings_form.write(entry, ("protocol",), None)
            else:
                entry["protocol"] = port.protocol


def _as_shown(name: str, entry: Mapping[str, Any]) -> PortForm:
    return PortForm(name, entry.get("targetPort", entry["port"]), entry["port"], entry.get("protocol") or "TCP")


def taken_by_form(wanted: tuple[PortForm, ...] | None, ports: Any, skipped: tuple[str | None, ...]) -> str | None:
    """A name the form's other ports would take that is the first port's or a skipped one's."""
    first = next(iter(ports), None) if isinstance(ports, dict) else None
    for port in wanted or ():
        if port.name == first or port.name in skipped:
            return port.name
    return None
