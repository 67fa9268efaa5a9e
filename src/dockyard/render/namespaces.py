"""Team namespaces: the Namespace, a default-deny NetworkPolicy, and DNS egress for every pod; with
the mesh, what ambient mode needs through that default deny: HBONE (15008) between enrolled pods,
the kubelet's probes (which ztunnel sends from 169.254.7.127), and the waypoint's link to istiod."""

from __future__ import annotations

from typing import Any

from dockyard.render.bundle import obj


def render_namespace(name: str, team: str | None, mesh: bool) -> list[dict[str, Any]]:
    labels = {"dockyard.dev/team": team} if team else {}
    if mesh:
        labels["istio.io/dataplane-mode"] = "ambient"
    namespace = obj("v1", "Namespace", name, None)
    if labels:
        namespace["metadata"]["labels"] = dict(sorted(labels.items()))
    deny = obj(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        "default-deny",
        name,
        spec={"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    )
    dns = obj(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        "allow-dns",
        name,
        spec={
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        }
                    ],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                }
            ],
        },
    )
    return [namespace, deny, dns, *(_mesh_policies(name) if mesh else [])]


HBONE = 15008
XDS = 15012
PROBE_SOURCE = "169.254.7.127/32"
AMBIENT = {"namespaceSelector": {"matchLabels": {"istio.io/dataplane-mode": "ambient"}}}


def _mesh_policies(name: str) -> list[dict[str, Any]]:
    hbone = [{"protocol": "TCP", "port": HBONE}]
    mesh = obj(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        "allow-mesh",
        name,
        spec={
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [AMBIENT], "ports": hbone}, {"from": [{"ipBlock": {"cidr": PROBE_SOURCE}}]}],
            "egress": [{"to": [AMBIENT], "ports": hbone}],
        },
    )
    waypoint = obj(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        "allow-waypoint-control-plane",
        name,
        spec={
            "podSelector": {"matchLabels": {"gateway.networking.k8s.io/gateway-name": "waypoint"}},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}},
                            "podSelector": {"matchLabels": {"app": "istiod"}},
                        }
                    ],
                    "ports": [{"protocol": "TCP", "port": XDS}],
                }
            ],
        },
    )
    return [mesh, waypoint]
