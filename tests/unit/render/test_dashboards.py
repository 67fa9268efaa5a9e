"""A Grafana dashboard per service where the platform installs kube-prometheus-stack: a ConfigMap the
chart's Grafana sidecar loads (its label), panels on what the platform collects for every workload."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dockyard import actions
from dockyard.render.dashboards import service_dashboard, uid
from dockyard.render.platform import Part
from tests.helpers import copy_example


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_example(tmp_path_factory.mktemp("shop"))


def _dashboards(repo: Path, cluster: str) -> dict[str, dict]:
    platform = actions.platform_for(actions.load_repo(repo), cluster)
    bundle = actions.render_for(platform, Part.SERVICES)
    return {
        r.name: r.manifest
        for r in bundle.objects
        if r.kind == "ConfigMap" and r.manifest["metadata"]["labels"].get("grafana_dashboard") == "1"
    }


def test_every_service_gets_a_dashboard_where_grafana_is_installed_and_none_elsewhere(repo: Path) -> None:
    found = _dashboards(repo, "prod-eu")
    assert sorted(found) == ["orders-dashboard", "payments-dashboard", "web-dashboard", "worker-dashboard"]
    orders = found["orders-dashboard"]
    assert orders["metadata"]["namespace"] == "shop"
    assert orders["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "dockyard"
    dashboard = json.loads(orders["data"]["orders.json"])
    assert dashboard["uid"] == uid("shop", "orders") == "dockyard-shop-orders"
    assert [p["title"] for p in dashboard["panels"]] == [
        "Pods available of desired",
        "CPU (cores)",
        "Memory (working set)",
        "Container restarts (1 h)",
        "Scrape targets up",  # orders is scraped (`metrics.port`)
        "Logs",  # prod-eu installs Loki
    ]
    web = json.loads(found["web-dashboard"]["data"]["web.json"])
    assert "Scrape targets up" not in [p["title"] for p in web["panels"]]  # web is not scraped
    assert _dashboards(repo, "local") == {}  # dev-fast installs no Grafana


def test_the_pods_of_a_deployment_are_matched_and_never_those_of_another_with_the_same_start() -> None:
    dashboard = json.loads(service_dashboard("web", "shop", scraped=False, logs=False)["data"]["web.json"])
    cpu = dashboard["panels"][1]["targets"][0]["expr"]
    pattern = re.search(r'pod=~"([^"]+)"', cpu)
    assert pattern is not None
    anchored = re.compile(f"^(?:{pattern.group(1)})$")  # Prometheus anchors =~ at both ends
    assert anchored.match("web-7d9f8b6c5d-x2k9p")
    assert anchored.match("web-5d4b8c9f7-abcde")
    assert not anchored.match("web-admin-7d9f8b6c5d-x2k9p")
    assert not anchored.match("webshop-7d9f8b6c5d-x2k9p")
    assert [p["type"] for p in dashboard["panels"]][-1] == "timeseries"  # no logs panel without Loki


def test_a_long_uid_stays_unique_within_grafanas_limit() -> None:
    first, second = (
        uid("a-team-with-a-long-name", "a-service-named-at-length-1"),
        uid("a-team-with-a-long-name", "a-service-named-at-length-2"),
    )
    assert len(first) == len(second) == 40 and first != second


@pytest.mark.tools
def test_every_query_of_the_dashboards_is_promql_the_real_parser_reads(repo: Path, tmp_path: Path) -> None:
    """promtool (Prometheus' own parser) reads each panel's expression as a recording rule's."""
    import subprocess

    import yaml

    from tests.peers import promtool

    rules = []
    for manifest in _dashboards(repo, "prod-eu").values():
        for text in manifest["data"].values():
            for panel in json.loads(text)["panels"]:
                if panel["datasource"]["type"] == "prometheus":
                    for target in panel["targets"]:
                        rules.append({"record": f"dockyard:query_{len(rules)}", "expr": target["expr"]})
    assert len(rules) == 4 * 5 + 1  # five queries per service, and a scrape panel for orders, the one scraped
    file = tmp_path / "rules.yaml"
    file.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    checked = subprocess.run([str(promtool()), "check", "rules", str(file)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(rules)} rules found" in checked.stdout


@pytest.mark.parametrize("length", [3, 46, 47, 50, 56, 57, 58, 63])
def test_a_long_services_pods_are_matched_as_kubernetes_cuts_their_names(length: int) -> None:
    """Kubernetes names a pod `(<deployment>-<hash>-)[:58]` and 5 random characters."""
    from dockyard.render.dashboards import pod_pattern

    service = ("a" * length)[:-1] + "b"
    prefix = f"{service}-7d9f8b6c5d-"[:58]
    matched = re.compile(f"^(?:{pod_pattern(service)})$")
    assert matched.match(prefix + "x2k9p"), (service, prefix)
    other = f"{service[:-1]}c-7d9f8b6c5d-"[:58] + "x2k9p"  # another Deployment, a name alike but for its end
    if length <= 58:  # beyond, Kubernetes itself gives both the same 58 characters: no name tells them apart
        assert not matched.match(other)
