"""Metrics scrapes are wires too: each ServiceMonitor makes every Prometheus the render installs
connect to the pods behind the Services it selects, on the ports its endpoints name. The network
check then holds the NetworkPolicies of both sides to them (a default-deny namespace that admits no
scrape would leave its services' metrics silently missing).

Prometheus' own pods are made by its operator at run time: they are known here by the labels the
operator gives them, in the Prometheus object's namespace. Every ServiceMonitor is assumed
selected (the platform's Prometheus selects all of them).

A ServiceMonitor that names a port none of the Services it selects has scrapes nothing, silently
(rule wiring-scrape); so does one that selects no Service in namespaces whose Services are all
known here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dockyard.check.findings import Finding
from dockyard.check.wiring.addresses import Wire
from dockyard.check.wiring.facts import Facts, Pod, ServiceInfo
from dockyard.check.wiring.placed import finding
from dockyard.check.wiring.routes import selects
from dockyard.render.bundle import Rendered

GROUP = "monitoring.coreos.com/"
RULE = "wiring-scrape"


def check_scrapes(facts: Facts) -> list[Finding]:
    findings = []
    for monitor in facts.of_kind("ServiceMonitor"):
        if not _ours(monitor):
            continue
        namespaces = _namespaces(facts, monitor)
        selected = list(_selected(facts, monitor, namespaces))
        endpoints = (monitor.manifest.get("spec") or {}).get("endpoints") or []
        if not selected:
            unknown = [ns for ns in namespaces if ns not in facts.namespaces or _made_at_run_time(facts, ns)]
            if not unknown and namespaces:
                where = ", ".join(sorted(namespaces))
                message = f"selects no Service in {where}: it scrapes nothing"
                findings.append(finding(monitor, RULE, message, path="spec.selector"))
            continue
        ports = {str(port.get("name")) for service in selected for port in _ports(service)}
        for index, endpoint in enumerate(endpoints):
            name = endpoint.get("port")
            if name and name not in ports:
                services = ", ".join(f"{s.namespace}/{s.name}" for s in selected[:4])
                message = (
                    f"scrapes port `{name}`, which none of the Services it selects has ({services}: ports "
                    f"{', '.join(sorted(ports)) or 'none'}): it scrapes nothing there"
                )
                hint = "name one of those ports, or turn the port on in the chart's values (`components.<name>.values`)"
                findings.append(finding(monitor, RULE, message, path=f"spec.endpoints[{index}].port", hint=hint))
    return findings


def _ports(service: ServiceInfo) -> list[dict[str, Any]]:
    spec = (service.origin.manifest.get("spec") or {}) if service.origin is not None else {}
    return list(spec.get("ports") or [])


def _made_at_run_time(facts: Facts, namespace: str) -> bool:
    return any(facts.services[(namespace, n)].origin is None for n in facts.service_names(namespace))


def scrape_wires(facts: Facts) -> list[Wire]:
    scrapers = [_scraper(r) for r in facts.of_kind("Prometheus") if _ours(r)]
    if not scrapers:
        return []
    wires = []
    for monitor in facts.of_kind("ServiceMonitor"):
        if not _ours(monitor):
            continue
        for service, port in _targets(facts, monitor):
            written = f"{service.name}.{service.namespace}.svc:{port} (metrics scrape)"
            wires += [Wire(scraper, service, port, written, startup=False, reported_by=monitor) for scraper in scrapers]
    return wires


def _ours(rendered: Rendered) -> bool:
    return rendered.api_version.startswith(GROUP)


def _scraper(prometheus: Rendered) -> Pod:
    """The pods the Prometheus Operator runs for `prometheus`, as its labels name them."""
    labels = {"app.kubernetes.io/name": "prometheus", "prometheus": prometheus.name}
    return Pod(prometheus, prometheus.namespace or "", labels, {}, "")


def _namespaces(facts: Facts, monitor: Rendered) -> set[str]:
    chosen = (monitor.manifest.get("spec") or {}).get("namespaceSelector") or {}
    if chosen.get("any"):
        return {ns for ns, _name in facts.services}
    return set(chosen.get("matchNames") or [monitor.namespace or ""])


def _selected(facts: Facts, monitor: Rendered, namespaces: set[str]) -> Iterator[ServiceInfo]:
    """The Services of the render `monitor` selects (by namespace: never every Service for every monitor)."""
    selector = (monitor.manifest.get("spec") or {}).get("selector") or {}
    for namespace in sorted(namespaces):
        for name in facts.service_names(namespace):
            service = facts.services[(namespace, name)]
            if service.origin is not None and selects(
                selector, service.origin.manifest["metadata"].get("labels") or {}
            ):
                yield service


def _targets(facts: Facts, monitor: Rendered) -> Iterator[tuple[ServiceInfo, int]]:
    spec: dict[str, Any] = monitor.manifest.get("spec") or {}
    wanted = {e.get("port") for e in spec.get("endpoints") or [] if e.get("port")}
    for service in _selected(facts, monitor, _namespaces(facts, monitor)):
        assert service.origin is not None
        for entry in (service.origin.manifest.get("spec") or {}).get("ports") or []:
            if entry.get("name") in wanted and isinstance(entry.get("port"), int):
                yield service, entry["port"]
