"""Envoy Gateway SecurityPolicies: the routes a policy names exist (a policy that names a route by
a wrong name protects nothing, and the route stays open), and the Services it sends to (the
sign-in service of external authorization, the keys of a JWT issuer) exist, on their ports, with
the ReferenceGrant a Service of another namespace needs. Each such Service is also a wire, from
the gateway's pods, for the network check."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from dockyard.check.findings import Finding
from dockyard.check.wiring.addresses import Wire
from dockyard.check.wiring.facts import Facts, Pod
from dockyard.check.wiring.routes import gateway_pods, granted, selects
from dockyard.render.bundle import Rendered
from dockyard.render.object_id import ObjectId

RULE = "wiring-policy"
GROUP = "gateway.envoyproxy.io"


def check_policies(facts: Facts) -> tuple[list[Finding], list[Wire]]:
    findings: list[Finding] = []
    wires: list[Wire] = []
    for policy in facts.security_policies:
        spec = policy.manifest.get("spec") or {}
        routes: list[Rendered] = []
        for index, ref in enumerate(_target_refs(spec)):
            if ref.get("kind") != "HTTPRoute":
                continue
            route = facts.route(policy.namespace or "", str(ref.get("name")))
            if route is None:
                findings.append(
                    _finding(
                        policy,
                        f"spec.targetRefs[{index}]",
                        f"protects HTTPRoute {policy.namespace}/{ref.get('name')}, which nothing on this cluster "
                        "creates: the policy applies to nothing",
                    )
                )
            else:
                routes.append(route)
        routes += targeted_by_labels(facts, policy)
        pods = [pod for route in routes for pod in gateway_pods(facts, route)]
        for path, ref in backends(spec):
            if ref.get("kind", "Service") != "Service" or ref.get("group", "") != "":
                continue
            namespace = str(ref.get("namespace") or policy.namespace or "")
            service = facts.services.get((namespace, str(ref.get("name"))))
            if service is None:
                message = f"sends to Service {namespace}/{ref.get('name')}, which nothing on this cluster creates"
                findings.append(_finding(policy, path, message))
                continue
            port = ref.get("port")
            if not isinstance(port, int):
                findings.append(_finding(policy, path, f"names no port of Service {namespace}/{service.name}"))
                continue
            if service.ports is not None and port not in service.ports:
                ports = ", ".join(str(p) for p in sorted(service.ports)) or "none"
                message = f"sends to port {port} of Service {namespace}/{service.name} (ports: {ports})"
                findings.append(_finding(policy, path, message))
                continue
            if not granted(facts, GROUP, "SecurityPolicy", policy.namespace or "", namespace, service.name):
                findings.append(
                    _finding(
                        policy,
                        path,
                        f"sends to Service {namespace}/{service.name} of another namespace, and no ReferenceGrant "
                        f"of {namespace} lets SecurityPolicies of {policy.namespace} use it (Envoy Gateway refuses "
                        "the policy)",
                    )
                )
                continue
            written = f"{service.name}.{namespace}.svc:{port}"
            wires += [Wire(pod, service, port, written, startup=False) for pod in _unique(pods)]
    return findings, wires


def policies_on(facts: Facts, route: Rendered) -> Iterator[Rendered]:
    """The SecurityPolicies that apply to `route` (by name or by its labels)."""
    labels = route.manifest["metadata"].get("labels") or {}
    for policy in facts.security_policies:
        if policy.namespace != route.namespace:
            continue
        spec = policy.manifest.get("spec") or {}
        by_name = any(r.get("kind") == "HTTPRoute" and r.get("name") == route.name for r in _target_refs(spec))
        by_labels = any(s.get("kind") == "HTTPRoute" and selects(s, labels) for s in spec.get("targetSelectors") or [])
        if by_name or by_labels:
            yield policy


def targeted_by_labels(facts: Facts, policy: Rendered) -> list[Rendered]:
    written = (policy.manifest.get("spec") or {}).get("targetSelectors") or []
    selectors = [s for s in written if s.get("kind") == "HTTPRoute"]
    if not selectors:
        return []
    found: dict[int, Rendered] = {}
    for selector in selectors:
        for route in facts.routes_labelled(policy.namespace or "", selector):
            if selects(selector, route.manifest["metadata"].get("labels") or {}):
                found.setdefault(id(route), route)
    return sorted(found.values(), key=lambda route: route.name)


def backends(spec: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(path, reference) of each backend a policy sends to: external authorization (HTTP or gRPC),
    the keys of each JWT provider, an OIDC provider."""
    ext_auth = spec.get("extAuth") or {}
    for kind in ("http", "grpc"):
        service = ext_auth.get(kind) or {}
        yield from backend_refs(service, f"spec.extAuth.{kind}")
    for index, provider in enumerate((spec.get("jwt") or {}).get("providers") or []):
        yield from backend_refs(provider.get("remoteJWKS") or {}, f"spec.jwt.providers[{index}].remoteJWKS")
    yield from backend_refs((spec.get("oidc") or {}).get("provider") or {}, "spec.oidc.provider")


def backend_refs(holder: Mapping[str, Any], path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if isinstance(holder.get("backendRef"), dict):
        yield f"{path}.backendRef", holder["backendRef"]
    for index, ref in enumerate(holder.get("backendRefs") or []):
        yield f"{path}.backendRefs[{index}]", ref


def _target_refs(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    single = spec.get("targetRef")
    return [*(spec.get("targetRefs") or []), *([single] if isinstance(single, dict) else [])]


def _unique(pods: list[Pod]) -> list[Pod]:
    return list({id(p): p for p in pods}.values())


def _finding(policy: Rendered, path: str, message: str) -> Finding:
    return Finding(policy.source.position, str(ObjectId.of(policy.manifest)), path, RULE, message)
