"""The form's other ports: beside the port it listens on and its metrics port, ports by name, each
the container's port, the number it is published on and its protocol."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from dockyard import actions
from dockyard.render import services
from tests.helpers import git

ORDERS = {
    "name": "orders",
    "team": "shop",
    "image": "ghcr.io/dockyard-examples/orders:1.4.2",
    "port": "8080",
    "health_path": "/readyz",
}
SCORE = "services/orders/score.yaml"


def _ports(repo: Path) -> dict[str, dict[str, object]]:
    return yaml.safe_load((repo / SCORE).read_text())["service"]["ports"]


def _rendered(repo: Path, kind: str) -> dict:  # type: ignore[type-arg]
    platform = actions.platform_for(actions.load_repo(repo), "local")
    return next(o.manifest for o in services.render(platform).objects if o.kind == kind and o.name == "orders")


def test_another_port_is_published_beside_the_first_and_the_metrics_port(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    client = signed_in("editor")
    assert 'name="port_name" value=""' in client.get("/services/orders/edit").text  # metrics is its own field
    grpc = {"name": "grpc", "port": 9000}
    added = client.put("/api/services/orders", json={**ORDERS, "ports": [grpc]})
    assert added.status_code == 200, added.text
    assert _ports(repo) == {"http": {"port": 80, "targetPort": 8080}, "metrics": {"port": 9090}, "grpc": {"port": 9000}}
    service = _rendered(repo, "Service")
    assert {"name": "grpc", "port": 9000, "targetPort": 9000, "protocol": "TCP"} in [
        {k: p.get(k) for k in ("name", "port", "targetPort", "protocol")} for p in service["spec"]["ports"]
    ]
    page = client.get("/services/orders/edit").text
    assert 'name="port_name" value="grpc"' in page and 'name="port_name" value="metrics"' not in page

    moved = client.put("/api/services/orders", json={**ORDERS, "ports": [{**grpc, "published": 90, "protocol": "UDP"}]})
    assert moved.status_code == 200, moved.text
    assert _ports(repo)["grpc"] == {"port": 90, "targetPort": 9000, "protocol": "UDP"}
    back = client.put("/api/services/orders", json={**ORDERS, "ports": [grpc]})
    assert back.status_code == 200, back.text
    assert _ports(repo)["grpc"] == {"port": 9000}

    kept = client.put("/api/services/orders", json={**ORDERS, "replicas": 3})  # not named: as they are
    assert kept.status_code == 200, kept.text
    assert "grpc" in _ports(repo)
    removed = client.put("/api/services/orders", json={**ORDERS, "replicas": 3, "ports": []})
    assert removed.status_code == 200, removed.text
    assert list(_ports(repo)) == ["http", "metrics"]
    assert git(repo, "status", "--porcelain") == ""


def test_the_page_posts_one_row_per_port(signed_in: Callable[..., TestClient], repo: Path) -> None:
    client = signed_in("editor")
    page = client.get("/services/orders/edit").text
    base = page.split('name="base" value="')[1].split('"')[0]
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    rows = {
        "port_name": ["admin", ""],
        "port_number": ["8081", ""],
        "port_published": ["", ""],
        "port_protocol": ["TCP", "TCP"],
    }
    posted = {**ORDERS, **rows, "metrics_port": "9090", "base": base, "csrf": csrf}
    answer = client.post("/services/orders", data=posted, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert _ports(repo)["admin"] == {"port": 8081}


@pytest.mark.parametrize(
    ("ports", "extra", "message"),
    [
        ([{"name": "grpc-internal-api", "port": 9000}], {}, "`grpc-internal-api` is not a port's name"),
        ([{"name": "9000", "port": 9000}], {}, "`9000` is not a port's name"),
        ([{"name": "a--b", "port": 9000}], {}, "`a--b` is not a port's name"),
        ([{"name": "grpc", "port": 70000}], {}, "port `grpc`: give the port the container listens on (1-65535)"),
        ([{"name": "grpc", "port": True}], {}, "port `grpc`: give the port the container listens on (1-65535)"),
        ([{"name": "grpc", "port": 9000, "published": "x"}], {}, "port `grpc`: the number it is published on"),
        ([{"name": "grpc", "port": 9000, "protocol": "SCTP"}], {}, "port `grpc`: its protocol is TCP or UDP"),
        ([{"name": "aa", "port": 1}, {"name": "aa", "port": 2}], {}, "`aa` names two ports"),
        (
            [{"name": "aa", "port": 9000}, {"name": "bb", "port": 9000, "published": 9001}],
            {},
            "two ports listen on 9000/TCP in the container",
        ),
        (
            [{"name": "alt", "port": 8080, "published": 81}],
            {},
            "port `alt`: the container listens on 8080 for its first",
        ),
        ([{"name": "aa", "port": 1}, {"name": "bb", "port": 1}], {}, "two ports are published on 1/TCP"),
        ([{"name": "g", "port": 9000}], {}, "`g` is not a port's name: 2 to 15"),
        ([{"name": "grpc", "port": "²"}], {}, "port `grpc`: give the port the container listens on (1-65535)"),
        ([{"name": "grpc", "port": 9000, "published": "³"}], {}, "port `grpc`: the number it is published on"),
        ([{"name": "http", "port": 9000}], {}, "`http` is the name of the port it listens on"),
        ([{"name": "metrics", "port": 9000}], {}, "`metrics` is the name of its metrics port"),
        ([{"name": "grpc", "port": 9000}], {"runs": "when-started", "port": "", "health_path": ""}, "a job runs"),
        ([{"name": "grpc", "port": 9000}], {"port": ""}, "give the port it listens on first"),
    ],
)
def test_what_cannot_be_another_port_is_said_at_the_field(
    signed_in: Callable[..., TestClient], repo: Path, ports: object, extra: dict[str, object], message: str
) -> None:
    answer = signed_in("editor").put("/api/services/orders", json={**ORDERS, **extra, "ports": ports})
    assert answer.status_code == 422, answer.text
    (said,) = answer.json()["errors"]["ports"]
    assert said.startswith(message), said
    assert git(repo, "status", "--porcelain") == ""


def test_a_port_published_on_the_first_ports_number_is_refused_at_the_ports(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    answer = signed_in("editor").post("/api/drafts", json={**ORDERS, "ports": [{"name": "web", "port": 80}]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["errors"]["ports"] == [
        "services/orders/score.yaml:32:13: port `web` is published on 80/TCP like port `http`: a Service's ports must "
        "differ (publish one of them on another number (`port`; the container's stays in `targetPort`))"
    ]


def test_one_number_for_tcp_and_udp_is_two_ports(signed_in: Callable[..., TestClient], repo: Path) -> None:
    dns = [{"name": "dns", "port": 53}, {"name": "dns-udp", "port": 53, "protocol": "UDP"}]
    answer = signed_in("editor").put("/api/services/orders", json={**ORDERS, "ports": dns})
    assert answer.status_code == 200, answer.text
    assert _ports(repo)["dns-udp"] == {"port": 53, "protocol": "UDP"}


def test_the_first_port_emptied_while_others_remain_is_refused(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    client = signed_in("editor")
    added = client.put("/api/services/orders", json={**ORDERS, "ports": [{"name": "grpc", "port": 9000}]})
    assert added.status_code == 200, added.text
    emptied = client.put("/api/services/orders", json={**ORDERS, "port": "", "metrics_port": "", "health_path": ""})
    assert emptied.status_code == 422, emptied.text
    assert emptied.json()["errors"]["port"] == [
        "the service has other ports (grpc): remove them too, or keep the port it listens on"
    ]


def test_the_metrics_port_never_takes_another_port_over(signed_in: Callable[..., TestClient], repo: Path) -> None:
    client = signed_in("editor")
    grpc = [{"name": "grpc", "port": 9000}]
    taken = client.put("/api/services/orders", json={**ORDERS, "metrics_port": 9000, "ports": grpc})
    assert taken.status_code == 422, taken.text
    assert taken.json()["errors"]["metrics_port"] == [
        "the other port `grpc` listens on 9000 already: give the metrics port its own number, or remove that port"
    ]
    reused = client.put(
        "/api/services/orders", json={**ORDERS, "metrics_port": "", "ports": [{"name": "metrics", "port": 9100}]}
    )
    assert reused.status_code == 200, reused.text  # the metrics port goes, a port of that name takes its place
    assert _ports(repo)["metrics"] == {"port": 9100}
    assert "metrics" not in (repo / "services/orders/dockyard.yaml").read_text()


def test_clearing_the_metrics_port_keeps_a_port_the_form_did_not_make(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    settings = repo / "services/orders/dockyard.yaml"
    (repo / SCORE).write_text(
        (repo / SCORE).read_text().replace("    metrics:\n      port: 9090", "    admin:\n      port: 9090")
    )
    settings.write_text(settings.read_text().replace("port: metrics", "port: admin"))
    git(repo, "commit", "-qam", "an admin port by hand, scraped")
    client = signed_in("editor")
    assert 'name="metrics_port" value="9090"' in client.get("/services/orders/edit").text
    cleared = client.put("/api/services/orders", json={**ORDERS, "metrics_port": ""})
    assert cleared.status_code == 200, cleared.text
    assert _ports(repo)["admin"] == {"port": 9090}  # now one of its other ports
    assert 'name="port_name" value="admin"' in client.get("/services/orders/edit").text


def test_the_metrics_port_never_takes_a_port_over_when_the_request_leaves_them_out(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    client = signed_in("editor")
    added = client.put("/api/services/orders", json={**ORDERS, "ports": [{"name": "grpc", "port": 9000}]})
    assert added.status_code == 200, added.text
    taken = client.put("/api/services/orders", json={**ORDERS, "metrics_port": 9000})
    assert taken.status_code == 422, taken.text
    assert taken.json()["errors"]["metrics_port"] == [
        "the other port `grpc` listens on 9000 already: give the metrics port its own number, or remove that port"
    ]
