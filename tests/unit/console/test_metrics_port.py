"""The form's metrics port: the container port Prometheus scrapes, by its number. It becomes
`metrics.port` in dockyard.yaml, naming the service's main port when they are the same, else a
port of its own; emptied, the setting and that port go; a request that does not name it changes
neither."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dockyard import actions
from dockyard.console.form import CannotEdit, current_fields, draft, parse_fields
from dockyard.render import services
from tests.helpers import git

EDIT = {
    "name": "orders",
    "team": "shop",
    "image": "ghcr.io/dockyard-examples/shop-orders:1.4.2",
    "port": "8080",
    "health_path": "/healthz",
}
SETTINGS = "services/orders/dockyard.yaml"
SCORE = "services/orders/score.yaml"


def _ports(repo: Path) -> str:
    text = (repo / SCORE).read_text()
    return text[text.index("\nservice:\n") + 1 : text.index("\nresources:\n") + 1]  # top-level keys


def test_the_metrics_port_becomes_a_port_of_its_own_or_names_the_main_one(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    client = signed_in("editor")
    assert 'name="metrics_port" value="9090"' in client.get("/services/orders/edit").text
    assert client.put("/api/services/orders", json=EDIT).status_code == 200  # what the form shows, as it shows it
    before = (repo / SCORE).read_text(), (repo / SETTINGS).read_text()
    same = client.put("/api/services/orders", json={**EDIT, "metrics_port": 9090})
    assert same.status_code == 422 and same.json()["errors"][""] == [
        "nothing changed: the service's files already say this"
    ]
    assert ((repo / SCORE).read_text(), (repo / SETTINGS).read_text()) == before

    moved = client.put("/api/services/orders", json={**EDIT, "metrics_port": 9100})
    assert moved.status_code == 200, moved.text
    assert _ports(repo) == (
        "service:\n  ports:\n    http:\n      port: 80\n      targetPort: 8080\n    metrics:\n      port: 9090\n"
        "      targetPort: 9100\n"
    )  # its published port kept, the container's changed
    assert (repo / SETTINGS).read_text().endswith("metrics:\n  port: metrics\n")

    shared = client.put("/api/services/orders", json={**EDIT, "metrics_port": "8080"})
    assert shared.status_code == 200, shared.text
    assert _ports(repo) == "service:\n  ports:\n    http:\n      port: 80\n      targetPort: 8080\n"
    assert (repo / SETTINGS).read_text().endswith("metrics:\n  port: http\n")
    assert 'name="metrics_port" value="8080"' in client.get("/services/orders/edit").text

    own = client.put("/api/services/orders", json={**EDIT, "metrics_port": 9090})
    assert own.status_code == 200, own.text
    assert _ports(repo).endswith("    metrics:\n      port: 9090\n")
    assert (repo / SETTINGS).read_text().endswith("metrics:\n  port: metrics\n")

    unnamed = client.put("/api/services/orders", json={**EDIT, "replicas": 3})  # no metrics_port: as the files say
    assert unnamed.status_code == 200, unnamed.text
    assert _ports(repo).endswith("    metrics:\n      port: 9090\n")

    emptied = client.put("/api/services/orders", json={**EDIT, "metrics_port": ""})
    assert emptied.status_code == 200, emptied.text
    assert _ports(repo) == "service:\n  ports:\n    http:\n      port: 80\n      targetPort: 8080\n"
    assert "metrics" not in (repo / SETTINGS).read_text()
    assert git(repo, "status", "--porcelain") == ""


def test_a_new_service_with_a_metrics_port_is_scraped(signed_in: Callable[..., TestClient], repo: Path) -> None:
    client = signed_in("editor")
    new = {"name": "billing", "team": "shop", "image": "ghcr.io/acme/billing:1.0", "port": 8080, "health_path": "/ok"}
    new |= {"metrics_port": 9090}
    checked = client.post("/api/drafts", json={**new, "new": True})
    assert checked.status_code == 200 and checked.json()["errors"] == {}, checked.text
    created = client.post("/api/services", json=new)
    assert created.status_code == 201, created.text
    score = (repo / "services/billing/score.yaml").read_text()
    assert "  ports:\n    http:\n      port: 80\n      targetPort: 8080\n    metrics:\n      port: 9090\n" in score
    assert (repo / "services/billing/dockyard.yaml").read_text().endswith("metrics:\n  port: metrics\n")
    bundle = services.render(actions.platform_for(actions.load_repo(repo), "local"))
    monitors = [o.manifest for o in bundle.objects if o.kind == "ServiceMonitor" and o.name == "billing"]
    assert [endpoint["port"] for o in monitors for endpoint in o["spec"]["endpoints"]] == ["metrics"]


def test_a_metrics_port_needs_the_service_port_and_a_job_has_none(signed_in: Callable[..., TestClient]) -> None:
    client = signed_in("editor")
    alone = client.post("/api/drafts", json={**EDIT, "port": "", "health_path": "", "metrics_port": 9090})
    assert alone.json()["errors"]["metrics_port"] == [
        "a service's metrics are scraped through its port: give the port it listens on"
    ]
    job = {**EDIT, "port": "", "health_path": "", "runs": "when-started", "metrics_port": 9090}
    assert client.post("/api/drafts", json=job).json()["errors"]["metrics_port"] == [
        "a job runs to completion and has no metrics port: clear it, or run always"
    ]
    wrong = client.post("/api/drafts", json={**EDIT, "metrics_port": 70000})
    assert wrong.json()["errors"]["metrics_port"] == ["must be between 1 and 65535"]


ORDERS = Path(__file__).resolve().parents[3] / "examples" / "shop" / "services" / "orders"


def _draft(score: str, settings: str, **fields: object) -> tuple[str, str]:
    form, errors = parse_fields({**EDIT, **fields})
    assert errors == []
    files = draft(form, {"score.yaml": score.encode(), "dockyard.yaml": settings.encode()}, "shop").files
    return files["services/orders/score.yaml"].decode(), files["services/orders/dockyard.yaml"].decode()


def test_removing_the_metrics_port_keeps_the_comment_lines_after_it() -> None:
    score = (ORDERS / "score.yaml").read_text().replace("\nresources:\n", "\n# what it needs\nresources:\n")
    settings = (ORDERS / "dockyard.yaml").read_text() + "# who answers for it\nowner: orders-oncall\n"
    new_score, new_settings = _draft(score, settings, metrics_port="")
    assert "    metrics:\n      port: 9090\n" not in new_score and "\n# what it needs\nresources:\n" in new_score
    assert new_settings.endswith("contract: openapi.yaml\n# who answers for it\nowner: orders-oncall\n")


def test_a_port_of_its_own_never_shares_a_published_number() -> None:
    score = (ORDERS / "score.yaml").read_text().replace("    metrics:\n      port: 9090\n", "")
    settings = (ORDERS / "dockyard.yaml").read_text().replace("metrics:\n  port: metrics\n", "")
    new_score, new_settings = _draft(score, settings, metrics_port=80)  # 80 is the http port's published number
    assert "    metrics:\n      port: 9090\n      targetPort: 80\n" in new_score
    assert new_settings.endswith("metrics:\n  port: metrics\n")
    serving = score.replace("      targetPort: 8080\n", "      targetPort: 8080\n    grpc:\n      port: 9090\n")
    with pytest.raises(CannotEdit) as taken:  # another port serves it: never taken over (its rows would lose it)
        _draft(serving, settings, metrics_port=9090)
    assert taken.value.field == "metrics_port"
    assert str(taken.value) == (
        "the other port `grpc` listens on 9090 already: give the metrics port its own number, or remove that port"
    )


def test_a_port_named_metrics_that_is_not_scraped_is_left_alone() -> None:
    score = (ORDERS / "score.yaml").read_text().replace("port: 9090\n", "port: 9090\n      targetPort: 9091\n")
    settings = (ORDERS / "dockyard.yaml").read_text().replace("metrics:\n  port: metrics\n", "")
    new_score, new_settings = _draft(score, settings, metrics_port=9200)
    assert "    metrics:\n      port: 9090\n      targetPort: 9091\n    metrics-2:\n      port: 9200\n" in new_score
    assert new_settings.endswith("metrics:\n  port: metrics-2\n")


def test_what_the_form_did_not_show_it_does_not_remove() -> None:
    """A name of no port (validate reports it at the field) is shown as no port; saving the form
    with the field left as shown keeps it for the person to see what is wrong."""
    score = (ORDERS / "score.yaml").read_text()
    settings = (ORDERS / "dockyard.yaml").read_text().replace("port: metrics", "port: prom")
    assert (
        current_fields("orders", {"score.yaml": score.encode(), "dockyard.yaml": settings.encode()})["metrics_port"]
        == ""
    )
    _new_score, new_settings = _draft(score, settings, metrics_port="", replicas="3")
    assert "metrics:\n  port: prom\n" in new_settings


def test_a_metrics_port_that_is_not_a_name_is_refused() -> None:
    settings = (ORDERS / "dockyard.yaml").read_text().replace("port: metrics", "port: [metrics]")
    with pytest.raises(CannotEdit) as refused:
        _draft((ORDERS / "score.yaml").read_text(), settings, metrics_port=9090)
    assert str(refused.value) == (
        "services/orders/dockyard.yaml: `metrics.port` is not the name of a port; the form cannot change it, "
        "change it in the file itself"
    )


def test_a_job_scrapes_nothing(signed_in: Callable[..., TestClient], repo: Path) -> None:
    client = signed_in("editor")
    web = {"name": "web", "team": "shop", "image": "ghcr.io/dockyard-examples/shop-web:2.3.0", "port": 8080}
    web |= {"health_path": "/healthz"}
    scraped = client.put("/api/services/web", json={**web, "metrics_port": 9100})
    assert scraped.status_code == 200, scraped.text
    assert "metrics:\n  port: metrics\n" in (repo / "services/web/dockyard.yaml").read_text()
    job = {k: v for k, v in web.items() if k not in ("port", "health_path")} | {"runs": "when-started"}
    made = client.put("/api/services/web", json=job)  # no metrics_port named: its ports go, and the setting
    assert made.status_code == 200, made.text
    assert "metrics" not in (repo / "services/web/dockyard.yaml").read_text()


def test_null_in_the_json_api_names_no_metrics_port(signed_in: Callable[..., TestClient], repo: Path) -> None:
    client = signed_in("editor")
    kept = client.put("/api/services/orders", json={**EDIT, "metrics_port": None, "replicas": 3})
    assert kept.status_code == 200, kept.text
    assert (repo / SETTINGS).read_text().endswith("metrics:\n  port: metrics\nreplicas: 3\n")
