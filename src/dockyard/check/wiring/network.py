"""Every wire (a pod connecting to a Service's pods on a port) is allowed by the NetworkPolicies of
both sides: the source's egress and the destination's ingress, evaluated as Kubernetes does (a
pod selected by any policy of a direction is isolated in it; then some rule of those policies
must admit the peer and the port). Between two namespaces in the ambient mesh the traffic is
HBONE on port 15008, so that is the port both sides must allow. A pod that finds a Service by its
name must also reach the cluster's DNS (kube-system's kube-dns pods, UDP 53) first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dockyard.check.findings import Finding, Severity
from dockyard.check.wiring.addresses import Wire
from dockyard.check.wiring.facts import Facts, Pod
from dockyard.check.wiring.placed import finding
from dockyard.check.wiring.routes import selects
from dockyard.render.bundle import TEAM_STAGES, Rendered

RULE = "wiring-network"
DNS_PORT = 53
HBONE = 15008
AMBIENT = ("istio.io/dataplane-mode", "ambient")


@dataclass(frozen=True)
class Endpoint:
    namespace: str
    labels: Mapping[str, str]
    pod: Pod | None
    """None: a pod a controller makes at run time (labels known, ports by number only)."""


class Policies:
    """A namespace's NetworkPolicies, found for a pod through an index of their selectors' labels."""

    def __init__(self, policies: list[Rendered]) -> None:
        self.everyone: list[Rendered] = []
        self.by_label: dict[tuple[str, str], list[Rendered]] = {}
        for policy in policies:
            selector = (policy.manifest.get("spec") or {}).get("podSelector") or {}
            labels = selector.get("matchLabels") or {}
            if labels and not selector.get("matchExpressions"):
                key, value = next(iter(labels.items()))
                self.by_label.setdefault((key, str(value)), []).append(policy)
            else:
                self.everyone.append(policy)

        self._isolating: dict[tuple[int, str], tuple[Mapping[str, str], list[Rendered]]] = {}

    def candidates(self, labels: Mapping[str, str]) -> list[Rendered]:
        found = list(self.everyone)
        for key, value in labels.items():
            found += self.by_label.get((key, str(value)), [])
        return found

    def isolating(self, endpoint: Endpoint, direction: str) -> list[Rendered]:
        """The policies that select the endpoint's pods for `direction` (once per set of labels:
        the gateway's proxies or Prometheus are the subject of a thousand wires). The entry holds
        the labels themselves, so no other mapping can take their id while it exists."""
        key = (id(endpoint.labels), direction)
        known = self._isolating.get(key)
        if known is None:
            found = [p for p in self.candidates(endpoint.labels) if _isolates(p, endpoint, direction)]
            known = self._isolating[key] = (endpoint.labels, found)
        return known[1]


DNS = Endpoint("kube-system", {"k8s-app": "kube-dns"}, None)
"""The cluster's DNS, as every distribution labels its pods (CoreDNS keeps the label)."""


def check_network(facts: Facts, wires: list[Wire]) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[tuple[int, str, int]] = set()
    resolving: set[int] = set()
    indexes = policy_indexes(facts)
    for wire in wires:
        if wire.by_name and id(wire.source.owner) not in resolving:
            resolving.add(id(wire.source.owner))
            source = Endpoint(wire.source.namespace, wire.source.labels, wire.source)
            allowed, blocked = judge(facts, indexes, source, DNS, DNS_PORT, "Egress", "UDP")
            if not allowed:
                message = f"finds `{wire.written}` by its name, but {blocked}: it cannot resolve any Service name"
                hint = (
                    f"a NetworkPolicy of {source.namespace} must admit egress to kube-system pods "
                    "(k8s-app=kube-dns) on UDP and TCP 53, as the allow-dns policy of Dockyard's team namespaces does"
                )
                found = finding(wire.source.owner, RULE, message, text=wire.texts, whole=wire.whole, hint=hint)
                findings.append(found)
        key = (id(wire.source.owner), f"{wire.service.namespace}/{wire.service.name}", wire.port)
        if key in seen:
            continue
        seen.add(key)
        source = Endpoint(wire.source.namespace, wire.source.labels, wire.source)
        for target, port in targets(facts, wire):
            if ambient(facts, source.namespace) and ambient(facts, target.namespace):
                port = HBONE
            sends, blocked = judge(facts, indexes, source, target, port, "Egress")
            receives = True
            if sends:
                receives, blocked = judge(facts, indexes, target, source, port, "Ingress")
            if not (sends and receives):
                if not sends:
                    side, direction = source, f"egress to {target.namespace} pods {_labels(target.labels)}"
                else:
                    side, direction = target, f"ingress from {source.namespace} pods {_labels(source.labels)}"
                hint = f"a NetworkPolicy of {side.namespace} selecting those pods must admit {direction} on TCP {port}"
                if owner_is_service(wire.source.owner):
                    hint += "; name the Service through a resource (`type: service`) and Dockyard writes both rules"
                owner = wire.reported_by or wire.source.owner
                if wire.certain:
                    message = f"connects to `{wire.written}` (pods on port {port}), but {blocked}"
                else:
                    message = (
                        f"holds `{wire.written}`, served by the {wire.service.name}; if its pods call it (not "
                        f"only show it to browsers), they connect there (pods on port {port}), but {blocked}"
                    )
                severity = Severity.DENY if wire.certain else Severity.WARN
                findings.append(
                    finding(owner, RULE, message, text=wire.texts, whole=wire.whole, hint=hint, severity=severity)
                )
                break
    return findings


def targets(facts: Facts, wire: Wire) -> list[tuple[Endpoint, int]]:
    service = wire.service
    target_port = service.target_ports.get(wire.port, wire.port)
    pods = facts.pods_selected(service.namespace, service.selector)
    if not pods:
        if service.selector and isinstance(target_port, int):  # pods a controller makes, by their labels
            return [(Endpoint(service.namespace, service.selector, None), target_port)]
        return []
    found = []
    for pod in pods:
        number = pod.container_port(target_port)
        if number is not None:
            found.append((Endpoint(pod.namespace, pod.labels, pod), number))
    return found


def judge(
    facts: Facts,
    indexes: dict[str, Policies],
    subject: Endpoint,
    peer: Endpoint,
    port: int,
    direction: str,
    protocol: str = "TCP",
) -> tuple[bool, str]:
    """Whether `subject`'s policies let traffic with `peer` on `port` in `direction`, and why: the
    policy and rule that admit it, that no policy isolates the pods, or what refuses it."""
    isolating = indexes[subject.namespace].isolating(subject, direction) if subject.namespace in indexes else []
    if not isolating:
        return True, f"no NetworkPolicy of {subject.namespace} limits the {direction.lower()} of these pods"
    field, peers_field = ("egress", "to") if direction == "Egress" else ("ingress", "from")
    for policy in isolating:
        for number, rule in enumerate((policy.manifest.get("spec") or {}).get(field) or []):
            peers = rule.get(peers_field)
            if peers and not any(_peer_matches(facts, policy, entry, peer) for entry in peers):
                continue
            destination = peer if direction == "Egress" else subject
            if _port_allowed(rule.get("ports"), port, destination, protocol):
                return True, f"NetworkPolicy {subject.namespace}/{policy.name} admits it ({field}[{number}])"
    names = ", ".join(sorted(p.name for p in isolating))
    side = "sending" if direction == "Egress" else "receiving"
    return False, (
        f"the NetworkPolicies of {subject.namespace} selecting the {side} pods ({names}) allow no {direction.lower()} "
        f"on {protocol} {port} {'to' if direction == 'Egress' else 'from'} {peer.namespace} pods {_labels(peer.labels)}"
    )


def owner_is_service(rendered: Rendered) -> bool:
    """Whether a team's service (its Score file) made the object."""
    return rendered.stage in TEAM_STAGES


def ingress_candidates(facts: Facts, indexes: dict[str, Policies], subject: Endpoint) -> list[Pod] | None:
    """The rendered pods some ingress rule of `subject`'s isolating NetworkPolicies names by its
    selectors (to be judged one by one); None when a rule admits every peer or no policy isolates
    the pods (then anyone may connect)."""
    isolating = indexes[subject.namespace].isolating(subject, "Ingress") if subject.namespace in indexes else []
    if not isolating:
        return None
    found: dict[int, Pod] = {}
    for policy in isolating:
        for rule in (policy.manifest.get("spec") or {}).get("ingress") or []:
            peers = rule.get("from")
            if not peers:
                return None
            for entry in peers:
                if "ipBlock" in entry:
                    continue
                if "namespaceSelector" in entry:
                    names = [n for n, labels in facts.namespaces.items() if selects(entry["namespaceSelector"], labels)]
                else:
                    names = [policy.namespace or ""]
                pod_selector = entry.get("podSelector") or {}
                plain = pod_selector.get("matchLabels") if not pod_selector.get("matchExpressions") else None
                for name in names:
                    pods = facts.pods_selected(name, plain) if plain else facts.pods_in(name)
                    found.update((id(pod), pod) for pod in pods)
    return list(found.values())


def policy_indexes(facts: Facts) -> dict[str, Policies]:
    return {namespace: Policies(policies) for namespace, policies in facts.policies.items()}


def ambient(facts: Facts, namespace: str) -> bool:
    return facts.namespaces.get(namespace, {}).get(AMBIENT[0]) == AMBIENT[1]


def _isolates(policy: Rendered, endpoint: Endpoint, direction: str) -> bool:
    spec = policy.manifest.get("spec") or {}
    types = spec.get("policyTypes") or (["Ingress", "Egress"] if "egress" in spec else ["Ingress"])
    return direction in types and selects(spec.get("podSelector") or {}, endpoint.labels)


def _peer_matches(facts: Facts, policy: Rendered, entry: Mapping[str, Any], peer: Endpoint) -> bool:
    if "ipBlock" in entry:
        return False  # pod traffic is judged by pod and namespace selectors
    if "namespaceSelector" in entry:
        if not selects(entry["namespaceSelector"], facts.namespace_labels(peer.namespace)):
            return False
    elif peer.namespace != policy.namespace:
        return False
    return selects(entry.get("podSelector") or {}, peer.labels)


def _port_allowed(
    ports: list[Mapping[str, Any]] | None, port: int, destination: Endpoint, protocol: str = "TCP"
) -> bool:
    if not ports:
        return True
    for entry in ports:
        if entry.get("protocol", "TCP") != protocol:
            continue
        wanted = entry.get("port")
        if wanted is None:
            return True
        if isinstance(wanted, str):
            wanted = destination.pod.container_port(wanted) if destination.pod else None
        if wanted is None:
            continue
        if wanted == port or (entry.get("endPort") and wanted <= port <= entry["endPort"]):
            return True
    return False


def _labels(labels: Mapping[str, str]) -> str:
    shown = ", ".join(f"{k}={v}" for k, v in sorted(labels.items())[:3])
    return f"({shown})" if shown else "(any)"
