"""Team namespaces: the Namespace, a default-deny NetworkPolicy, and DNS egress for every pod."""

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
    return [namespace, deny, dns]
