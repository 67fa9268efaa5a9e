"""Rule contract-enforced where only the edge checks tokens: who inside the cluster can call the
API is read from the NetworkPolicies of both sides, on small renders built for each case."""

from __future__ import annotations

from typing import Any

from dockyard.check.contracts import check_contracts
from dockyard.check.wiring.facts import facts_of
from dockyard.render.bundle import Bundle, Exposure, Rendered, Source, obj

HERE = Source("services/api/score.yaml")
EDGE = Exposure("api", "team", 2, ("the edge gateway",), False, HERE)


def _workload(name: str, namespace: str = "team") -> list[dict[str, Any]]:
    labels = {"app": name}
    pod = {"containers": [{"name": "main", "image": "registry.example.org/x:1", "ports": [{"containerPort": 8080}]}]}
    spec = {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": pod}}
    service = {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]}
    return [
        obj("apps/v1", "Deployment", name, namespace, spec=spec),
        obj("v1", "Service", name, namespace, spec=service),
    ]


def _policy(name: str, ingress: list[dict[str, Any]], egress: list[dict[str, Any]] | None = None) -> dict:
    spec: dict[str, Any] = {
        "podSelector": {"matchLabels": {"app": name}},
        "policyTypes": ["Ingress"],
        "ingress": ingress,
    }
    if egress is not None:
        spec["policyTypes"].append("Egress")
        spec["egress"] = egress
    return obj("networking.k8s.io/v1", "NetworkPolicy", name, "team", spec=spec)


def _from(namespace: str, app: str | None = None) -> dict[str, Any]:
    peer: dict[str, Any] = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}
    if app:
        peer["podSelector"] = {"matchLabels": {"app": app}}
    return {"from": [peer], "ports": [{"protocol": "TCP", "port": 8080}]}


def _messages(*manifests: dict) -> list[str]:
    namespaces = sorted({m["metadata"]["namespace"] for m in manifests})
    objects = [Rendered(obj("v1", "Namespace", n, None), "namespaces", HERE) for n in namespaces]
    objects += [Rendered(m, "services", HERE) for m in manifests]
    bundle = Bundle.of(objects, exposures=[EDGE])
    return [f"{f.severity} {f.message}" for f in check_contracts(facts_of(bundle), "full")]


def _callers(message: str) -> str:
    return message.split("the NetworkPolicies let ", 1)[1].split(" call it;", 1)[0]


def test_only_the_gateway_admitted_is_no_finding() -> None:
    api = _policy("api", [_from("dockyard-gateway")])
    assert _messages(*_workload("api"), *_workload("web"), *_workload("edge", "dockyard-gateway"), api) == []


def test_a_service_the_policy_admits_is_named_and_a_deny() -> None:
    api = _policy("api", [_from("dockyard-gateway"), _from("team", "web")])
    (message,) = _messages(*_workload("api"), *_workload("web"), *_workload("batch"), api)
    assert message.startswith("deny 2 operations of its contract need a token: the edge gateway checks requests")
    assert _callers(message) == "Deployment team/web"


def test_a_caller_whose_own_egress_refuses_is_not_named() -> None:
    api = _policy("api", [_from("dockyard-gateway"), _from("team", "web")])
    web = _policy("web", [], egress=[])  # web may send nowhere
    assert _messages(*_workload("api"), *_workload("web"), api, web) == []


def test_an_api_without_a_network_policy_is_open_to_any_pod() -> None:
    (message,) = _messages(*_workload("api"))
    assert _callers(message) == "any pod in the cluster"


def test_a_rule_without_peers_admits_any_pod() -> None:
    api = _policy("api", [{"ports": [{"protocol": "TCP", "port": 8080}]}])
    (message,) = _messages(*_workload("api"), api)
    assert _callers(message) == "any pod in the cluster"


def test_a_policy_on_another_port_admits_no_caller() -> None:
    other = {"from": [{"namespaceSelector": {}}], "ports": [{"protocol": "TCP", "port": 9090}]}
    api = _policy("api", [_from("dockyard-gateway"), other])
    assert _messages(*_workload("api"), *_workload("web"), api) == []
