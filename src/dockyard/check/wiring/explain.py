"""`dockyard check --explain-wire FROM TO`: the path a request takes through the render, hop by
hop, and what admits or refuses it at each: the address in the caller's configuration, the
Service and the pods behind it, the mesh (HBONE, the waypoint and the policies it enforces), both
sides' NetworkPolicies; from the edge (`FROM` is `gateway`), the route, the Gateway listener that
admits it and the SecurityPolicy that checks its requests.

The hops are judged exactly as the wiring check judges them (the same facts and rules), so an
explanation that ends in `refused` names a finding of `dockyard check`, or the missing address."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from dockyard.check.wiring.addresses import Wire, check_addresses
from dockyard.check.wiring.facts import Facts, Pod, ServiceInfo, facts_of
from dockyard.check.wiring.network import DNS, DNS_PORT, HBONE, Endpoint, ambient, judge, policy_indexes, targets
from dockyard.check.wiring.placed import place
from dockyard.check.wiring.policies import backend_refs, policies_on
from dockyard.check.wiring.routes import COMPONENT_LABEL, host_matches, refusal, selects
from dockyard.errors import UsageError
from dockyard.render.bundle import Bundle, Rendered
from dockyard.render.object_id import ObjectId

EDGE = "gateway"


@dataclass(frozen=True)
class Hop:
    step: str
    passes: bool
    text: str


@dataclass(frozen=True)
class WirePath:
    title: str
    hops: tuple[Hop, ...]

    @property
    def connects(self) -> bool:
        return all(hop.passes for hop in self.hops)

    def lines(self) -> list[str]:
        shown = [f"{self.title}"]
        shown += [f"  {'ok' if hop.passes else 'NO':<3}{hop.step:<9}{hop.text}" for hop in self.hops]
        shown.append("  connects" if self.connects else "  refused")
        return shown


def explain_wire(bundle: Bundle, source: str, target: str) -> list[WirePath]:
    facts = facts_of(bundle)
    if source == EDGE:
        return _from_edge(facts, target)
    if target.startswith(("http://", "https://")):
        raise UsageError(f"a URL is explained from `{EDGE}` (the edge), not from `{source}`")
    pods = _workload(facts, source)
    service, port = _service(facts, target)
    wires = [
        w
        for w in check_addresses(facts)[1]
        if w.source in pods and w.service == service and (port is None or w.port == port)
    ]
    if wires:
        seen: dict[tuple[int, str], Wire] = {}
        for wire in wires:
            seen.setdefault((wire.port, wire.written), wire)
        return [_inside(facts, wire, None) for wire in seen.values()]
    ports = [port] if port is not None else sorted(service.ports or ())
    owner = pods[0].owner
    missing = Hop(
        "address",
        False,
        f"the configuration of {_name(owner)} (variables, arguments, ConfigMaps it reads) names no address of "
        f"Service {service.namespace}/{service.name}" + (f" on port {port}" if port is not None else ""),
    )
    written = f"{service.name}.{service.namespace}.svc"
    return [_inside(facts, Wire(pods[0], service, p, f"{written}:{p}"), missing) for p in ports]


def _inside(facts: Facts, wire: Wire, missing: Hop | None) -> WirePath:
    service = wire.service
    title = f"{_name(wire.source.owner)} -> Service {service.namespace}/{service.name} port {wire.port}"
    where = place(wire.source.owner, wire.texts, whole=wire.whole).position
    first = missing or Hop("address", True, f"`{wire.written}` in {_name(wire.source.owner)} ({where})")
    source = Endpoint(wire.source.namespace, wire.source.labels, wire.source)
    allowed, why = judge(facts, policy_indexes(facts), source, DNS, DNS_PORT, "Egress", "UDP")
    name = f"{service.name}.{service.namespace}.svc"
    dns = Hop("dns", allowed, f"{name} from kube-system's kube-dns (UDP {DNS_PORT}): {why}")
    return WirePath(title, (first, dns, *_to_pods(facts, wire, source)))


def _to_pods(facts: Facts, wire: Wire, source: Endpoint, *, direct: bool = False) -> list[Hop]:
    """The hops from the Service to its pods; `direct`: the sender sends to the pods' addresses
    itself (the edge gateway does), so no waypoint is on the path."""
    service = wire.service
    found = targets(facts, wire)
    if not found:
        return [Hop("service", False, f"Service {service.namespace}/{service.name} selects no pods of the render")]
    hops: list[Hop] = []
    target, pod_port = found[0]
    owner = f"pods of {_name(target.pod.owner)}" if target.pod else "pods made at run time"
    hops.append(
        Hop("service", True, f"Service {service.namespace}/{service.name} port {wire.port} -> {owner}, port {pod_port}")
    )
    port = pod_port
    waypoint = _waypoint(facts, service)
    if ambient(facts, source.namespace) and ambient(facts, target.namespace):
        port = HBONE
        hops.append(Hop("mesh", True, f"both namespaces are in the ambient mesh: HBONE on port {HBONE}"))
        if direct and waypoint:
            hops.append(Hop("waypoint", True, "not on this path: the sender sends to the pods' addresses"))
        else:
            hops += waypoint
        hops += _pods_admit(facts, target, source, through_waypoint=bool(waypoint) and not direct)
    elif ambient(facts, target.namespace) and waypoint:
        hops.append(Hop("mesh", True, "the sender is outside the mesh: its requests do not pass the waypoint"))
        hops += _pods_admit(facts, target, source, through_waypoint=False)
    indexes = policy_indexes(facts)
    allowed, why = judge(facts, indexes, source, target, port, "Egress")
    hops.append(Hop("egress", allowed, why))
    allowed, why = judge(facts, indexes, target, source, port, "Ingress")
    hops.append(Hop("ingress", allowed, why))
    return hops


def _pods_admit(facts: Facts, target: Endpoint, source: Endpoint, *, through_waypoint: bool) -> list[Hop]:
    """What the target pods' own (L4, selector) AuthorizationPolicies say about the sender: the
    waypoint by its identity, or the sender's namespace."""
    policies = [
        o
        for o in facts.of_kind("AuthorizationPolicy")
        if o.namespace == target.namespace
        and "selector" in (o.manifest.get("spec") or {})
        and selects(o.manifest["spec"]["selector"], target.labels)
    ]
    if not policies:
        return []
    sender = "the waypoint" if through_waypoint else f"namespace {source.namespace}"
    for policy in policies:
        for rule in policy.manifest["spec"].get("rules") or []:
            for entry in rule.get("from") or []:
                origin = entry.get("source") or {}
                principals = origin.get("principals") or []
                if through_waypoint and any(p.endswith(f"/ns/{target.namespace}/sa/waypoint") for p in principals):
                    return [Hop("pods", True, f"AuthorizationPolicy {policy.namespace}/{policy.name} admits {sender}")]
                if not through_waypoint and source.namespace in (origin.get("namespaces") or []):
                    return [Hop("pods", True, f"AuthorizationPolicy {policy.namespace}/{policy.name} admits {sender}")]
    names = ", ".join(f"{p.namespace}/{p.name}" for p in policies)
    return [Hop("pods", False, f"the pods' AuthorizationPolicies ({names}) do not admit {sender}")]


def _waypoint(facts: Facts, service: ServiceInfo) -> list[Hop]:
    labels = service.origin.manifest["metadata"].get("labels") or {} if service.origin else {}
    name = labels.get("istio.io/use-waypoint") or facts.namespaces.get(service.namespace, {}).get(
        "istio.io/use-waypoint"
    )
    if not name:
        return []
    if (service.namespace, name) not in facts.gateways:
        return [Hop("waypoint", False, f"waypoint {service.namespace}/{name} is named, and nothing creates it")]
    enforced = [
        f"{o.kind} {o.namespace}/{o.name}"
        for o in facts.bundle.objects
        if o.api_version.startswith("security.istio.io/")
        and o.namespace == service.namespace
        and any(
            ref.get("kind") == "Service" and ref.get("name") == service.name
            for ref in (o.manifest.get("spec") or {}).get("targetRefs") or []
        )
    ]
    checks = f"; it enforces {', '.join(sorted(enforced))}" if enforced else "; no policy targets this Service"
    return [Hop("waypoint", True, f"through waypoint {service.namespace}/{name}{checks}")]


def _from_edge(facts: Facts, target: str) -> list[WirePath]:
    if target.startswith(("http://", "https://")):
        return _url(facts, target)
    service, port = _service(facts, target)
    paths = []
    for route in facts.routes:
        for rule in (route.manifest.get("spec") or {}).get("rules") or []:
            for backend in rule.get("backendRefs") or []:
                if (backend.get("namespace", route.namespace), backend.get("name")) != (
                    service.namespace,
                    service.name,
                ) or (port is not None and backend.get("port") != port):
                    continue
                paths.append(_edge_path(facts, route, rule, backend, None))
    if not paths:
        raise UsageError(
            f"no HTTPRoute sends to Service {service.namespace}/{service.name}"
            + (f" port {port}" if port is not None else "")
            + ": nothing outside the cluster reaches it through the gateway"
        )
    return paths


def _url(facts: Facts, url: str) -> list[WirePath]:
    parts = urlsplit(url)
    host, path = parts.hostname or "", parts.path or "/"
    best: tuple[int, Rendered, Mapping[str, Any]] | None = None
    for route in facts.routes:
        spec = route.manifest.get("spec") or {}
        if not any(host_matches(h, host) for h in spec.get("hostnames") or ["*"]):
            continue
        for rule in spec.get("rules") or []:
            for match in rule.get("matches") or [{"path": {"type": "PathPrefix", "value": "/"}}]:
                length = _path_match(match.get("path") or {"type": "PathPrefix", "value": "/"}, path)
                if length is not None and (best is None or length > best[0]):
                    best = (length, route, rule)
    if best is None:
        raise UsageError(f"no HTTPRoute on this cluster serves host {host} at {path}")
    _length, route, rule = best
    backends = [b for b in rule.get("backendRefs") or [] if b.get("kind", "Service") == "Service"]
    if not backends:
        raise UsageError(f"HTTPRoute {route.namespace}/{route.name} serves {url} and sends it to no Service")
    return [_edge_path(facts, route, rule, backend, parts.scheme) for backend in backends]


def _path_match(path: Mapping[str, Any], wanted: str) -> int | None:
    """How specific a route's path match is for `wanted` (Gateway API: longest prefix wins), or None."""
    value = str(path.get("value", "/"))
    if path.get("type", "PathPrefix") == "Exact":
        return len(value) + 1 if wanted == value else None
    prefix = value.rstrip("/")
    if wanted == prefix or wanted.startswith(prefix + "/") or prefix == "":
        return len(prefix)
    return None


def _edge_path(
    facts: Facts, route: Rendered, rule: Mapping[str, Any], backend: Mapping[str, Any], scheme: str | None
) -> WirePath:
    spec = route.manifest.get("spec") or {}
    hosts = spec.get("hostnames") or ["*"]
    namespace = backend.get("namespace", route.namespace or "")
    service = facts.services.get((namespace, backend.get("name", "")))
    title = f"{EDGE} -> HTTPRoute {route.namespace}/{route.name} -> Service {namespace}/{backend.get('name')}"
    hops = [_listener(facts, route, hosts, scheme)]
    paths = [str((m.get("path") or {}).get("value", "/")) for m in rule.get("matches") or []] or ["/"]
    hops.append(Hop("route", True, f"hosts {', '.join(hosts)}, paths {', '.join(paths)} ({route.source})"))
    hops.append(_edge_policy(facts, route))
    if service is None or backend.get("port") not in (service.ports or ()):
        hops.append(
            Hop(
                "service", False, f"Service {namespace}/{backend.get('name')} port {backend.get('port')} does not exist"
            )
        )
        return WirePath(title, tuple(hops))
    gateway = _gateway_pods(facts, route)
    if gateway is None:
        return WirePath(title, tuple(hops))
    wire = Wire(gateway, service, int(backend["port"]), f"{service.name}.{namespace}.svc:{backend['port']}")
    source = Endpoint(gateway.namespace, gateway.labels, gateway)
    return WirePath(title, (*hops, *_to_pods(facts, wire, source, direct=True)))


def _listener(facts: Facts, route: Rendered, hosts: list[str], scheme: str | None) -> Hop:
    admitted: list[str] = []
    refused: list[str] = []
    for parent in (route.manifest.get("spec") or {}).get("parentRefs") or []:
        key = (parent.get("namespace", route.namespace or ""), parent.get("name", ""))
        gateway = facts.gateways.get(key)
        if gateway is None:
            refused.append(f"Gateway {key[0]}/{key[1]} does not exist")
            continue
        for listener in (gateway.manifest.get("spec") or {}).get("listeners") or []:
            if parent.get("sectionName") not in (None, listener.get("name")):
                continue
            if scheme and listener.get("protocol") != scheme.upper():
                protocol = f"{listener.get('protocol')} {listener.get('port')}"
                refused.append(f"{gateway.namespace}/{gateway.name} {listener.get('name')} is {protocol}")
                continue
            why = refusal(facts, route, gateway, listener, hosts)
            protocol = f"{listener.get('protocol')} {listener.get('port')}"
            where = f"{gateway.namespace}/{gateway.name} {listener.get('name')} ({protocol})"
            (refused if why else admitted).append(why or where)
    if admitted:
        return Hop("listener", True, f"admitted by listener {', '.join(admitted)}")
    wanted = f" for {scheme}" if scheme else ""
    return Hop("listener", False, f"no listener{wanted} admits the route: {'; '.join(refused) or 'none'}")


def _edge_policy(facts: Facts, route: Rendered) -> Hop:
    found = list(policies_on(facts, route))
    if not found:
        return Hop("policy", True, "no SecurityPolicy: every request the route matches reaches the Service")
    described = []
    for policy in found:
        spec = policy.manifest.get("spec") or {}
        parts = []
        for kind in ("http", "grpc"):
            for _path, ref in backend_refs((spec.get("extAuth") or {}).get(kind) or {}, ""):
                where = f"{ref.get('namespace') or policy.namespace}/{ref.get('name')}"
                parts.append(f"each request goes first to Service {where} (external authorization: a 200 passes)")
        if spec.get("jwt") or spec.get("authorization"):
            authorization = spec.get("authorization") or {}
            rules = len(authorization.get("rules") or [])
            jwt = "tokens checked" if spec.get("jwt") else "no token check"
            parts.append(f"{jwt}, {rules} rules, else {authorization.get('defaultAction', 'Allow')}")
        described.append(f"SecurityPolicy {policy.namespace}/{policy.name}: {'; '.join(parts) or 'nothing checked'}")
    return Hop("policy", True, "; ".join(described))


def _gateway_pods(facts: Facts, route: Rendered) -> Pod | None:
    for parent in (route.manifest.get("spec") or {}).get("parentRefs") or []:
        gateway = facts.gateways.get((parent.get("namespace", route.namespace or ""), parent.get("name", "")))
        if gateway is None:
            continue
        component = (gateway.manifest["metadata"].get("labels") or {}).get(COMPONENT_LABEL)
        for pod in facts.pods_in(gateway.namespace or ""):
            if (pod.owner.manifest["metadata"].get("labels") or {}).get(COMPONENT_LABEL) == component:
                return pod
    return None


def _workload(facts: Facts, wanted: str) -> list[Pod]:
    namespace, _, name = wanted.rpartition("/")
    pods = [p for p in facts.pods if p.owner.name == name and (not namespace or p.namespace == namespace)]
    where = sorted({p.namespace for p in pods})
    if not pods:
        names = sorted({p.owner.name for p in facts.pods if p.owner.kind != "Job"})
        raise UsageError(
            f"no workload named `{wanted}` in the render for this cluster (workloads: {', '.join(names[:12])}"
            + (", ..." if len(names) > 12 else "")
            + f"; or `{EDGE}` for the edge)"
        )
    if len(where) > 1:
        raise UsageError(f"`{wanted}` names workloads in {', '.join(where)}: write NAMESPACE/NAME")
    return pods


def _service(facts: Facts, wanted: str) -> tuple[ServiceInfo, int | None]:
    text, _, port_text = wanted.partition(":")
    if port_text and not port_text.isdigit():
        raise UsageError(f"`{wanted}`: the port after `:` must be a number")
    namespace, _, name = text.rpartition("/")
    found = [s for (ns, n), s in sorted(facts.services.items()) if n == name and (not namespace or ns == namespace)]
    if not found:
        raise UsageError(f"no Service named `{text}` in the render for this cluster")
    if len(found) > 1:
        where = ", ".join(s.namespace for s in found)
        raise UsageError(f"`{text}` names Services in {where}: write NAMESPACE/NAME")
    port = int(port_text) if port_text else None
    service = found[0]
    if port is not None and service.ports is not None and port not in service.ports:
        raise UsageError(
            f"Service {service.namespace}/{service.name} has no port {port} "
            f"(ports: {', '.join(map(str, sorted(service.ports)))})"
        )
    return service, port


def _name(rendered: Rendered) -> str:
    return str(ObjectId.of(rendered.manifest))
