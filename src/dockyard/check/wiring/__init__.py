"""The wiring check: whether the platform's parts will find each other once applied, proved over
the whole render of a cluster (components and services together) before anything is written.

    addresses   every in-cluster address names a Service that will exist, on a port it has
    references  every Secret and ConfigMap a pod reads will exist, with its key; webhooks' Services exist
    routes      every HTTPRoute attaches to a Gateway listener that admits it; its backends exist
    policies    every SecurityPolicy protects routes that exist; the Services it sends to exist
    urls        every URL handed out for the platform's hosts is routed, on a listener of its scheme
    scrapes     each ServiceMonitor's targets are wires from Prometheus; it names ports its Services have
    hosts       each URL of the platform's hosts a pod holds is a wire to the gateway's proxies (maybe: a warning)
    network     every wire (addresses, route backends, scrapes, hosts) is allowed by the NetworkPolicies of both sides
    stages      nothing waits on what a later stage applies
    pods        no duplicate names in a pod's containers, variables, ports, volumes, mounts

Relations are computed once with indexes (facts.py), never by comparing every pair of objects.
"""

from __future__ import annotations

from dockyard.check.findings import Finding
from dockyard.check.wiring.addresses import check_addresses
from dockyard.check.wiring.facts import Facts, facts_of
from dockyard.check.wiring.hosts import host_wires
from dockyard.check.wiring.network import check_network
from dockyard.check.wiring.pods import check_duplicates
from dockyard.check.wiring.policies import check_policies
from dockyard.check.wiring.references import check_references
from dockyard.check.wiring.routes import check_routes
from dockyard.check.wiring.scrapes import check_scrapes, scrape_wires
from dockyard.check.wiring.stages import check_stages
from dockyard.check.wiring.urls import check_urls
from dockyard.render.bundle import Bundle

DESCRIPTIONS = {
    "wiring-address": "Every in-cluster address names a Service that will exist, on a port it has.",
    "wiring-reference": "Every Secret and ConfigMap a pod reads will exist with the key it reads.",
    "wiring-route": "Every HTTPRoute attaches to a Gateway listener that admits it, and its backends exist.",
    "wiring-policy": "Every SecurityPolicy protects routes that exist and sends to Services that exist.",
    "wiring-url": "Every URL handed out for the platform's hosts is routed, on a listener of its scheme.",
    "wiring-scrape": "Every ServiceMonitor selects Services that have the ports it scrapes.",
    "wiring-network": "Every connection the platform makes is allowed by the NetworkPolicies of both sides.",
    "wiring-stage": "Nothing in a stage waits on what a later stage applies.",
    "wiring-duplicate": "No duplicate names in a pod's containers, variables, ports, volumes or mounts.",
}


def check_wiring(bundle: Bundle, domain: str | None = None, facts: Facts | None = None) -> list[Finding]:
    """Every finding of the wiring rules; `domain` is the platform's (its hosts' URLs must be
    served); `facts`, when the caller has them already, are the bundle's."""
    facts = facts or facts_of(bundle)
    findings, wires = check_addresses(facts)
    route_findings, route_wires = check_routes(facts)
    wires += route_wires
    findings += route_findings
    policy_findings, policy_wires = check_policies(facts)
    wires += policy_wires
    findings += policy_findings
    wires += scrape_wires(facts)
    wires += host_wires(facts)
    findings += check_scrapes(facts)
    findings += check_references(facts)
    findings += check_urls(facts, domain)
    findings += check_network(facts, wires)
    findings += check_stages(facts, wires)
    findings += check_duplicates(facts)
    return sorted(findings)
