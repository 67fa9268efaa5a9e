"""The example shop on the dev-fast profile, with its real pinned upstream charts (Gateway API,
Envoy Gateway, Prometheus Operator CRDs, CloudNativePG), applied to the local control plane: stages in
order, every CRD established before a custom resource of it, lifecycle tasks run, and a second
apply that writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lightkube import Client
from lightkube.resources.core_v1 import Secret

from dockyard.localcluster import control_plane
from tests.cluster.commands import dockyard, writes_during
from tests.helpers import copy_example

STAGE_OF_NAMESPACE = {  # where each stage's objects live (services' Databases sit beside the shared cluster)
    "dockyard-gateway": "platform-networking",
    "cnpg-system": "platform-services",
    "dockyard-databases": "platform-services",
    "shop": "services",
}


def _created(events: list[dict]) -> list[tuple[str, str, str]]:
    """(resource, namespace, name) of every object created, in the order the API server saw them."""
    found = []
    for event in events:
        ref = event.get("objectRef", {})
        if event["verb"] in ("create", "patch") and event["responseStatus"]["code"] in (200, 201):
            found.append((ref.get("resource", ""), ref.get("namespace", ""), ref.get("name", "")))
    return found


def test_the_dev_fast_shop_applies_in_stage_order_and_then_writes_nothing(
    tmp_path: Path, local_cluster: control_plane.Running, api: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_example(tmp_path)
    first: dict = {}
    events = writes_during(
        local_cluster,
        lambda: first.update(r=dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes")),
    )
    assert first["r"].code == 0, first["r"].err
    created = _created(events)
    position = {key: index for index, key in enumerate(created)}

    crds = {name: i for (resource, _ns, name), i in position.items() if resource == "customresourcedefinitions"}
    custom = [
        (r, ns, n)
        for (r, ns, n) in position
        if r in ("httproutes", "gateways", "clusters", "databases", "servicemonitors")
    ]
    assert len(custom) >= 5
    for resource, namespace, name in custom:
        crd = next(c for c in crds if c.startswith(resource + "."))
        assert crds[crd] < position[(resource, namespace, name)], f"{resource} {name} before its CRD"

    namespaces = [i for (r, _ns, n), i in position.items() if r == "namespaces" and n != "dockyard-system"]
    last_namespace = max(namespaces)  # dockyard-system holds the inventory, written last
    stages: dict[str, list[int]] = {}
    for (resource, namespace, _name), index in position.items():
        if namespace in STAGE_OF_NAMESPACE and resource not in ("namespaces", "secrets"):  # tasks write Secrets
            stage = "services" if resource == "databases" else STAGE_OF_NAMESPACE[namespace]
            stages.setdefault(stage, []).append(index)
    assert last_namespace < min(stages["platform-networking"])
    assert max(stages["platform-networking"]) < min(stages["platform-services"])
    assert max(stages["platform-services"]) < min(stages["services"])

    # CloudNativePG's admission webhooks take effect only once its operator's stage is healthy
    webhooks = [i for (r, _ns, n), i in position.items() if r.endswith("webhookconfigurations") and "cnpg" in n]
    operator = position[("deployments", "cnpg-system", "cnpg-controller-manager")]
    assert len(webhooks) == 2 and min(webhooks) > operator
    edge = [i for (r, _ns, n), i in position.items() if r.endswith("webhookconfigurations") and "envoy" in n]
    assert len(edge) == 1 and edge[0] > position[("deployments", "dockyard-gateway", "envoy-gateway")]

    role = api.get(Secret, "platform-postgres-role-orders", namespace="dockyard-databases")
    service = api.get(Secret, "orders-db-postgres", namespace="shop")
    assert role.type == "kubernetes.io/basic-auth"
    assert role.data["password"] == service.data["password"]
    assert "task postgres-role orders-db: dockyard-databases/platform-postgres-role-orders created" in first["r"].err

    again: dict = {}
    writes = writes_during(
        local_cluster,
        lambda: again.update(r=dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes")),
    )
    assert again["r"].code == 0, again["r"].err
    assert writes == []
    assert "platform-postgres-role-orders unchanged, shop/orders-db-postgres unchanged" in again["r"].err
    assert again["r"].out.endswith("applied: 0 written, 0 pruned, 104 unchanged, 4 tasks run\n")
    planned = dockyard(capsys, local_cluster, "plan", str(repo), "-c", "local", "--output", "json")
    assert planned.code == 0, planned.err
    document = json.loads(planned.out)
    assert document["changes"] and all(c["action"] == "unchanged" for c in document["changes"])
    assert document["tasks"] == [
        {"task": "ensure-secret", "name": "payments-oidc", "source": "services/payments/score.yaml"},
        {"task": "ensure-secret", "name": "worker-oidc", "source": "services/worker/score.yaml"},
        {"task": "ensure-secret", "name": "worker-queue-redis", "source": "services/worker/score.yaml"},
        {"task": "postgres-role", "name": "orders-db", "source": "services/orders/score.yaml"},
    ]
