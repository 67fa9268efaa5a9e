"""Metrics scrapes are wires too: each ServiceMonitor makes every Prometheus the render installs
connect to the pods behind the Services it selects, on the ports its endpoints name. The network
check then holds the NetworkPolicies of both sides to them (a default-deny namespace that admits no
scrape would leave its services' metrics silently missing).

Prometheus' own pods are made by its operator at run time: they are known here by the labels the
operator gives them, in the Prometheus object's namespace. Every ServiceMonitor is assumed
selected (the platform's Prometheus selects all of them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dockyard.check.wiring.addresses import Wire
from dockyard.check.wiring.facts import Facts, Pod, ServiceInfo
from dockyard.check.wiring.routes import selects
from dockyard.render.bundle import Rendered

GROUP = "monitoring.coreos.com/"


def scrape_wires(facts: Facts) -> list[Wire]:
    scrapers = [_scraper(r) for r in facts.bundle.objects if r.kind == "Prometheus" and _ours(r)]
    if not scrapers:
        return []
    wires = []
    for monitor in facts.bundle.objects:
        if monitor.kind != "ServiceMonitor" or not _ours(monitor):
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


def _targets(facts: Facts, monitor: Rendered) -> Iterator[tuple[ServiceInfo, int]]:
    spec: dict[str, Any] = monitor.manifest.get("spec") or {}
    chosen = spec.get("namespaceSelector") or {}
    if chosen.get("any"):
        namespaces = {ns for ns, _name in facts.services}
    else:
        namespaces = set(chosen.get("matchNames") or [monitor.namespace or ""])
    selector = spec.get("selector") or {}
    wanted = {e.get("port") for e in spec.get("endpoints") or [] if e.get("port")}
    candidates = [facts.services[(ns, name)] for ns in sorted(namespaces) for name in facts.service_names(ns)]
    for service in candidates:  # by namespace: never every Service for every monitor
        if service.origin is None:
            continue
        labels = service.origin.manifest["metadata"].get("labels") or {}
        if not selects(selector, labels):
            continue
        for entry in (service.origin.manifest.get("spec") or {}).get("ports") or []:
            if entry.get("name") in wanted and isinstance(entry.get("port"), int):
                yield service, entry["port"]
