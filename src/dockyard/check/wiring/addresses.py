"""In-cluster addresses (`<service>.<namespace>.svc[.cluster.local][:port]`) written anywhere in
the render: each must name a Service that will exist, on a port it has. Each address a pod uses
(in its containers, or in a ConfigMap it mounts or reads) is also a wire, for the network check."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from dockyard.check.findings import Finding, Severity
from dockyard.check.wiring.facts import Facts, Pod, ServiceInfo
from dockyard.check.wiring.placed import finding
from dockyard.render.bundle import Rendered
from dockyard.render.components.catalog import CATALOG

HOST_TEXT = "abcdefghijklmnopqrstuvwxyz0123456789-."
HOST_CHARACTERS = frozenset(HOST_TEXT)
MAX_HOST = 253
"""The longest DNS name: a host is never read further back than this."""
SCHEME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+.-")
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
RULE = "wiring-address"
UNINSTALLED = {
    namespace: tuple(sorted(c.name for c in CATALOG.values() if c.namespace == namespace))
    for namespace in {c.namespace for c in CATALOG.values()}
}
"""The built-in components by namespace: an address into one of these namespaces that the render
does not make names a component this cluster does not install."""


@dataclass(frozen=True)
class Wire:
    """A pod that connects to a Service on one of its ports."""

    source: Pod
    service: ServiceInfo
    port: int
    written: str
    """The address as the render has it (for messages)."""
    startup: bool = True
    """Whether the source may need it to start (an address it is configured with); a gateway's route
    to a backend is not."""
    reported_by: Rendered | None = None
    """The object a finding about it names, when not the source's owner (a ServiceMonitor for a scrape)."""
    texts: tuple[str, ...] = ()
    """How the value that makes it may be written in that object, most precise first (see placed.py)."""
    whole: bool = False
    """Whether that value is exactly one of `texts` (a short address)."""
    by_name: bool = False
    """Whether the source finds the Service by its DNS name (an address it is configured with; a
    gateway or Prometheus finds endpoints through the API instead)."""
    certain: bool = True
    """False: the pod may never connect (a URL of the platform's hosts may be one it only shows
    to browsers), so a refusal is a warning."""


def addresses(text: str) -> Iterator[tuple[str, str, int | None]]:
    """(service name, namespace, port or None) of every in-cluster address in `text` (an object's
    JSON text, see Facts.body_text), found with str.find: only the text around each `.svc` is
    looked at in Python."""
    index = text.find(".svc")
    while index != -1:
        found = _address_at(text, index)
        if found is not None:
            yield found
        index = text.find(".svc", index + 4)


def _address_at(text: str, index: int) -> tuple[str, str, int | None] | None:
    end = index + 4
    if text.startswith(".cluster.local", end):
        end += len(".cluster.local")
    if end < len(text) and text[end] in HOST_CHARACTERS:
        return None  # `.svc` inside a longer name (`x.svc.example.com`, `a.svcfoo`)
    before = text[max(0, index - MAX_HOST) : index]
    start = index - (len(before) - len(before.rstrip(HOST_TEXT)))  # the host's characters, counted in C
    labels = text[start:index].strip(".").split(".")
    if len(labels) < 2 or not all(labels[-2:]):
        return None
    port: int | None = None
    if end < len(text) and text[end] == ":":
        digits = end + 1
        while digits < len(text) and text[digits].isdigit() and digits - end <= 5:
            digits += 1
        port = int(text[end + 1 : digits]) if digits > end + 1 else None
    if port is None and text.startswith("://", start - 3):
        scheme_start = start - 3
        while scheme_start > 0 and text[scheme_start - 1] in SCHEME_CHARACTERS:
            scheme_start -= 1
        port = DEFAULT_PORTS.get(text[scheme_start : start - 3])
    return labels[-2], labels[-1], port


SHORT = re.compile(
    r"(?:(?P<scheme>[a-z][a-z0-9+.-]*)://)?(?:[^@/\s]*@)?"
    r"(?P<name>[a-z][-a-z0-9]{0,61}[a-z0-9]|[a-z])(?:\.(?P<namespace>[a-z0-9][-a-z0-9]{0,61}[a-z0-9]))?"
    r"(?::(?P<port>[0-9]{1,5}))?(?:/\S*)?"
)
"""A whole value that is a short in-cluster address: `<service>:<port>` or `scheme://<service>` in
the pod's own namespace (a single label is one: the pod's DNS search path), or
`<service>.<namespace>[:port]` for a namespace of the render."""
NOT_SERVICES = frozenset({"localhost"})


def short_addresses(facts: Facts, pod: Pod) -> Iterator[tuple[str, str, int | None, str]]:
    """(service, namespace, port, as written) of each short address in a pod's variables and arguments."""
    for container in pod.containers:
        values = [e.get("value") for e in container.get("env") or []]
        values += [*(container.get("command") or []), *(container.get("args") or [])]
        for value in values:
            if not isinstance(value, str) or len(value) > 300 or (":" not in value and "." not in value):
                continue  # a short address has a port, a scheme or a namespace
            match = SHORT.fullmatch(value)
            if match is None or match["name"] in NOT_SERVICES:
                continue
            port = int(match["port"]) if match["port"] else None
            if match["namespace"]:
                if match["namespace"] == "svc" or not facts.namespace_known(match["namespace"]):
                    continue
                namespace = match["namespace"]
            elif port is None and not match["scheme"]:
                continue  # a plain word
            else:
                namespace = pod.namespace
            if port is None and match["scheme"]:
                port = DEFAULT_PORTS.get(match["scheme"])
            yield match["name"], namespace, port, value


def check_addresses(facts: Facts) -> tuple[list[Finding], list[Wire]]:
    findings: dict[Finding, None] = {}
    wires: list[Wire] = []
    readers = configmap_readers(facts)
    for pod in facts.pods:
        for name, namespace, port, written in short_addresses(facts, pod):
            found = _resolve(facts, pod.owner, name, namespace, port, written, whole=True)
            if isinstance(found, Finding):
                findings[found] = None
            elif found is not None:
                if port is None and found.ports is not None and len(found.ports) == 1:
                    port = next(iter(found.ports))
                if port is not None:
                    wires.append(Wire(pod, found, port, written, texts=(written,), whole=True, by_name=True))
    for rendered in facts.with_text():
        if rendered.kind == "Secret":
            continue
        users: list[Pod] | None = None
        for name, namespace, port in addresses(facts.body_text(rendered)):
            written = f"{name}.{namespace}.svc" + (f":{port}" if port else "")
            found = _resolve(facts, rendered, name, namespace, port, written)
            if isinstance(found, Finding):
                findings[found] = None
                continue
            if found is not None and port is None and found.ports is not None and len(found.ports) == 1:
                port = next(iter(found.ports))
            if found is not None and port is not None:
                users = users_of(facts, rendered, readers) if users is None else users
                texts = needles(name, namespace, port)
                wires += [Wire(pod, found, port, written, texts=texts, by_name=True) for pod in users]
    return list(findings), wires


def _resolve(
    facts: Facts, rendered: Rendered, name: str, namespace: str, port: int | None, written: str, *, whole: bool = False
) -> ServiceInfo | Finding | None:
    """The Service an address names; a finding placed at the value that holds it (the whole value
    with `whole`, a short address; else the text up to `.svc`)."""
    text = (written,) if whole else needles(name, namespace, port)
    if not facts.namespace_known(namespace):
        components = UNINSTALLED.get(namespace)
        if components:  # a built-in component's namespace: the cluster does not install it
            message = (
                f"`{written}` names Service {namespace}/{name}, in the namespace of the platform's "
                f"{_listed(components)}, which this cluster does not install: nothing answers there"
            )
            hint = (
                "install it (a profile with its feature, or `components.<name>.enabled: true` in a layer), "
                "or leave the address out on this cluster"
            )
            return finding(rendered, RULE, message, text=text, whole=whole, hint=hint, severity=Severity.WARN)
        return None  # a namespace the render knows nothing of: not Dockyard's to judge
    service = facts.services.get((namespace, name))
    if service is None:
        known = facts.service_names(namespace)
        return finding(
            rendered,
            RULE,
            f"`{written}` names Service {namespace}/{name}, which nothing on this cluster creates"
            + (f" (Services there: {', '.join(known[:8])})" if known else f" (namespace {namespace} has no Services)"),
            text=text,
            whole=whole,
        )
    if port is not None and service.ports is not None and port not in service.ports:
        ports = ", ".join(str(p) for p in sorted(service.ports)) or "none"
        plural = "ports" if len(service.ports) > 1 else "port"
        return finding(
            rendered,
            RULE,
            f"`{written}` names port {port}, but Service {namespace}/{name} has {plural} {ports}",
            text=text,
            whole=whole,
        )
    return service


def _listed(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def needles(name: str, namespace: str, port: int | None) -> tuple[str, ...]:
    """How a long address may be written, most precise first."""
    host = f"{name}.{namespace}.svc"
    return (f"{host}:{port}", f"{host}.cluster.local:{port}", host) if port else (host,)


def configmap_readers(facts: Facts) -> dict[tuple[str, str], list[Pod]]:
    readers: dict[tuple[str, str], list[Pod]] = {}
    for pod in facts.pods:
        names = set()
        for volume in pod.spec.get("volumes") or []:
            if "configMap" in volume:
                names.add(volume["configMap"].get("name"))
            for source in (volume.get("projected") or {}).get("sources") or []:
                if "configMap" in source:
                    names.add(source["configMap"].get("name"))
        for container in pod.containers:
            for item in container.get("envFrom") or []:
                if "configMapRef" in item:
                    names.add(item["configMapRef"].get("name"))
        for name in names:
            readers.setdefault((pod.namespace, name), []).append(pod)
    return readers


def users_of(facts: Facts, rendered: Rendered, readers: dict[tuple[str, str], list[Pod]]) -> list[Pod]:
    """The pods that connect to what `rendered` names: its own pod, or the pods that read it."""
    if rendered.kind == "ConfigMap":
        return readers.get((rendered.namespace or "", rendered.name), [])
    return facts.pods_of(rendered)
