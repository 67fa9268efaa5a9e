"""Every HTTPRoute attaches: its parent Gateway exists with a listener that admits the route's
namespace, kind and hostnames; its backends are Services with the ports it names. Each backend is
also a wire, from the gateway's pods to the backend's, for the network check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dockyard.check.findings import Finding
from dockyard.check.wiring.addresses import Wire
from dockyard.check.wiring.facts import Facts, Pod
from dockyard.render.bundle import TEAM_STAGES, Rendered
from dockyard.render.object_id import ObjectId

RULE = "wiring-route"
COMPONENT_LABEL = "dockyard.dev/component"


def check_routes(facts: Facts) -> tuple[list[Finding], list[Wire]]:
    findings: list[Finding] = []
    wires: list[Wire] = []
    platform_hosts = {
        str(host): route
        for route in facts.routes
        if route.stage not in TEAM_STAGES
        for host in (route.manifest.get("spec") or {}).get("hostnames") or []
    }
    for route in facts.routes:
        spec = route.manifest.get("spec") or {}
        namespace = route.namespace or ""
        for index, host in enumerate(spec.get("hostnames") or []):
            owner = platform_hosts.get(str(host))
            if owner is not None and route.stage in TEAM_STAGES:
                findings.append(
                    _finding(
                        route,
                        f"spec.hostnames[{index}]",
                        f"routes host {host}, which is the platform's (HTTPRoute {owner.namespace}/{owner.name}): "
                        "its paths would take that host's requests, and its visitors' cookies, past the platform's "
                        "checks",
                    )
                )
        pods: list[Pod] = []
        for index, parent in enumerate(spec.get("parentRefs") or []):
            problem, found = _attach(facts, route, parent, spec.get("hostnames") or [])
            if problem:
                findings.append(_finding(route, f"spec.parentRefs[{index}]", problem))
            pods += found
        for r_index, rule in enumerate(spec.get("rules") or []):
            for b_index, backend in enumerate(rule.get("backendRefs") or []):
                if backend.get("kind", "Service") != "Service" or backend.get("group", "") != "":
                    continue
                where = f"spec.rules[{r_index}].backendRefs[{b_index}]"
                target_ns = backend.get("namespace", namespace)
                service = facts.services.get((target_ns, backend.get("name", "")))
                if service is None:
                    findings.append(
                        _finding(
                            route, where, f"sends to Service {target_ns}/{backend.get('name')}, which nothing creates"
                        )
                    )
                    continue
                port = backend.get("port")
                if service.ports is not None and port not in service.ports:
                    ports = ", ".join(str(p) for p in sorted(service.ports)) or "none"
                    findings.append(
                        _finding(
                            route, where, f"sends to port {port} of Service {target_ns}/{service.name} (ports: {ports})"
                        )
                    )
                    continue
                if not granted(facts, "gateway.networking.k8s.io", "HTTPRoute", namespace, target_ns, service.name):
                    findings.append(
                        _finding(
                            route,
                            where,
                            f"sends to Service {target_ns}/{service.name} of another namespace, and no ReferenceGrant "
                            f"of {target_ns} lets HTTPRoutes of {namespace} use it (the gateway refuses the backend)",
                        )
                    )
                    continue
                written = f"{service.name}.{target_ns}.svc:{port}"
                wires += [Wire(pod, service, int(port), written, startup=False) for pod in pods]
    return findings, wires


def gateway_pods(facts: Facts, route: Rendered) -> list[Pod]:
    """The pods of the gateways `route` attaches to."""
    spec = route.manifest.get("spec") or {}
    return [
        pod
        for parent in spec.get("parentRefs") or []
        for pod in _attach(facts, route, parent, spec.get("hostnames") or [])[1]
    ]


def granted(facts: Facts, group: str, kind: str, namespace: str, target_namespace: str, service: str) -> bool:
    """Whether objects of `kind` in `namespace` may send to Service `service` of `target_namespace`
    (the same namespace, or a ReferenceGrant there that allows it)."""
    if namespace == target_namespace:
        return True
    for grant in facts.grants.get(target_namespace, []):
        spec = grant.manifest.get("spec") or {}
        origin = any(
            f.get("group") == group and f.get("kind") == kind and f.get("namespace") == namespace
            for f in spec.get("from") or []
        )
        target = any(
            t.get("group", "") == "" and t.get("kind") == "Service" and t.get("name") in (None, service)
            for t in spec.get("to") or []
        )
        if origin and target:
            return True
    return False


def _finding(route: Rendered, path: str, message: str) -> Finding:
    return Finding(route.source.position, str(ObjectId.of(route.manifest)), path, RULE, message)


def _attach(
    facts: Facts, route: Rendered, parent: Mapping[str, Any], hostnames: list[str]
) -> tuple[str | None, list[Pod]]:
    """Why the route does not attach to `parent` (None: it does), and the pods of that gateway."""
    if parent.get("kind", "Gateway") != "Gateway":
        return None, []
    namespace = parent.get("namespace", route.namespace or "")
    gateway = facts.gateways.get((namespace, parent.get("name", "")))
    if gateway is None:
        return f"attaches to Gateway {namespace}/{parent.get('name')}, which nothing on this cluster creates", []
    listeners = (gateway.manifest.get("spec") or {}).get("listeners") or []
    section = parent.get("sectionName")
    candidates = [item for item in listeners if section is None or item.get("name") == section]
    if not candidates:
        names = ", ".join(str(item.get("name")) for item in listeners) or "none"
        return f"names listener `{section}` of Gateway {namespace}/{gateway.name}, which has listeners {names}", []
    reasons = [refusal(facts, route, gateway, listener, hostnames) for listener in candidates]
    if all(reasons):
        return f"no listener of Gateway {namespace}/{gateway.name} admits it: {'; '.join(r for r in reasons if r)}", []
    component = (gateway.manifest["metadata"].get("labels") or {}).get(COMPONENT_LABEL)
    pods = [
        p
        for p in facts.pods_in(namespace)
        if (p.owner.manifest["metadata"].get("labels") or {}).get(COMPONENT_LABEL) == component
    ]
    return None, pods


def refusal(
    facts: Facts, route: Rendered, gateway: Rendered, listener: Mapping[str, Any], hostnames: list[str]
) -> str | None:
    name = listener.get("name")
    if listener.get("protocol") not in ("HTTP", "HTTPS"):
        return f"listener {name} speaks {listener.get('protocol')}"
    allowed = listener.get("allowedRoutes") or {}
    kinds = [k.get("kind") for k in allowed.get("kinds") or []]
    if kinds and "HTTPRoute" not in kinds:
        return f"listener {name} takes {', '.join(map(str, kinds))} only"
    origin = (allowed.get("namespaces") or {}).get("from", "Same")
    route_ns = route.namespace or ""
    if origin == "Same" and route_ns != gateway.namespace:
        return f"listener {name} admits routes of namespace {gateway.namespace} only"
    if origin == "Selector":
        selector = (allowed.get("namespaces") or {}).get("selector") or {}
        if not selects(selector, facts.namespaces.get(route_ns, {})):
            return f"listener {name} admits routes of namespaces its selector matches, and {route_ns} does not"
    host = listener.get("hostname")
    if host and hostnames and not any(host_matches(host, h) for h in hostnames):
        return f"listener {name} serves {host}, not {', '.join(hostnames)}"
    return None


def host_matches(listener: str, route: str) -> bool:
    if listener.startswith("*."):
        return route.endswith(listener[1:]) or (route.startswith("*.") and route.endswith(listener[1:]))
    return listener == route


def selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A label selector (matchLabels and matchExpressions) against `labels`."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True
