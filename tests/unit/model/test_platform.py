from __future__ import annotations

from pathlib import Path

from dockyard.load.layers import effective
from dockyard.load.repo import load
from dockyard.model.platform import build_platform
from tests.helpers import EXAMPLES, copy_example, replace


def test_the_shop_on_prod_eu() -> None:
    repo = load(EXAMPLES / "shop")
    platform = build_platform(repo, effective(repo, "prod-eu"))
    assert (platform.name, platform.domain, platform.profile) == ("shop", "eu.shop.example.com", "complete")
    assert (platform.cluster.environment, platform.cluster.kubernetes_version) == ("prod", "1.35")
    assert [s.name for s in platform.services] == ["orders", "payments", "web", "worker"]
    orders = platform.service("orders")
    assert (orders.settings.namespace, orders.settings.replicas) == ("shop", 3)
    assert [(p.name, p.port, p.target_port) for p in orders.ports] == [("http", 80, 8080), ("metrics", 9090, 9090)]
    assert [(r.id, r.type) for r in orders.resources] == [("api", "api"), ("db", "postgres"), ("public", "route")]
    assert platform.service("worker").ports == ()


def test_namespace_is_explicit_else_team_else_service_name(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    replace(root, "platform.yaml", "  team: shop\n", "")
    replace(root, "services/web/dockyard.yaml", "replicas: 2", "replicas: 2\nnamespace: storefront")
    replace(root, "services/orders/dockyard.yaml", "kind: ServiceSettings", "kind: ServiceSettings\nteam: backend")
    repo = load(root)
    platform = build_platform(repo, effective(repo, "local"))
    namespaces = {s.name: s.settings.namespace for s in platform.services}
    assert namespaces == {"orders": "backend", "payments": "payments", "web": "storefront", "worker": "worker"}
