"""The addresses `up` prints: every route on the platform gateway, with the scheme it is served on."""

from __future__ import annotations

from dockyard import actions
from dockyard.render.addresses import Address, addresses
from dockyard.render.bundle import Rendered, Source, Stage
from dockyard.render.components.gateway import edge_route
from dockyard.render.platform import Part
from tests.helpers import EXAMPLES


def _services(cluster: str) -> tuple[str, list[Rendered]]:
    platform = actions.platform_for(actions.load_repo(EXAMPLES / "shop", print), cluster)
    return platform.profile, list(actions.render_for(platform, Part.SERVICES).objects)


def test_each_service_route_is_an_address_served_as_the_profile_serves_it() -> None:
    assert addresses(_services("local")[1], "dev-fast") == [
        Address("http://api.shop.localtest.me/orders", "shop/orders-public"),
        Address("http://www.shop.localtest.me/", "shop/web-public"),
    ]
    profile, objects = _services("prod-eu")
    assert profile == "complete"
    assert [a.url for a in addresses(objects, profile)] == [
        "https://api.eu.shop.example.com/orders",
        "https://www.eu.shop.example.com/",
    ]


def test_a_platform_ui_and_a_route_of_several_prefixes_give_one_address_each() -> None:
    platform = actions.platform_for(actions.load_repo(EXAMPLES / "shop", print), "prod-eu")
    grafana = edge_route(platform, "grafana", "observability", "grafana", 80)
    api = edge_route(platform, "api", "team", "api", 8080)
    api["spec"]["rules"] = [
        {"matches": [{"path": {"type": "PathPrefix", "value": prefix}} for prefix in ("/v2", "/v1")]},
        {"matches": [{"path": {"type": "Exact", "value": "/health"}}]},
    ]
    objects = [Rendered(manifest, Stage.PLATFORM_SERVICES, Source("platform.yaml")) for manifest in (grafana, api)]
    assert addresses(objects, "complete") == [
        Address("https://api.eu.shop.example.com/health", "team/api"),
        Address("https://api.eu.shop.example.com/v1", "team/api"),
        Address("https://api.eu.shop.example.com/v2", "team/api"),
        Address("https://grafana.eu.shop.example.com/", "observability/grafana"),
    ]


def test_a_rule_without_matches_or_paths_answers_at_the_root() -> None:
    platform = actions.platform_for(actions.load_repo(EXAMPLES / "shop", print), "prod-eu")
    signed_in = edge_route(platform, "prometheus", "monitoring", "prometheus", 9090)
    signed_in["spec"]["rules"] = [  # as a route behind the sign-in: its callback, then everything else
        {"matches": [{"path": {"type": "PathPrefix", "value": "/oauth2"}}]},
        {"backendRefs": [{"name": "prometheus", "port": 9090}]},
    ]
    by_header = edge_route(platform, "hooks", "team", "hooks", 80)
    by_header["spec"]["rules"] = [{"matches": [{"headers": [{"name": "X-Hook", "value": "1"}]}]}]
    objects = [Rendered(m, Stage.PLATFORM_SERVICES, Source("platform.yaml")) for m in (signed_in, by_header)]
    assert [a.url for a in addresses(objects, "complete")] == [
        "https://hooks.eu.shop.example.com/",
        "https://prometheus.eu.shop.example.com/",
        "https://prometheus.eu.shop.example.com/oauth2",
    ]
