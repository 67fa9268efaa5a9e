"""The console's pages and JSON API over a real git repo: the catalog, a service's page, a service
added and changed as commits in the signed-in person's name, errors at their field, and nothing
written when anything is wrong."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from tests.helpers import git
from tests.unit.console.conftest import csrf_of

NEW = {
    "new": "true",
    "name": "billing",
    "team": "shop",
    "image": "ghcr.io/acme/billing:1.0",
    "port": "8080",
    "variables": "LOG_LEVEL=info",
    "database": "on",
    "route_host": "billing",
    "route_path": "/",
    "health_path": "/healthz",
}


def _errors(html: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="field-error" id="error-([a-z_]+)"[^>]*>([^<]+)</p>', html))


def test_the_catalog_lists_every_service_with_its_routes_and_resources(signed_in: Callable[..., TestClient]) -> None:
    client = signed_in("viewer")
    page = client.get("/")
    assert page.status_code == 200
    assert re.findall(r'<a href="/services/([a-z-]+)">', page.text) == ["orders", "payments", "web", "worker"]
    assert '<a href="http://api.shop.localtest.me/orders">api.shop.localtest.me/orders</a>' in page.text
    found = client.get("/?q=orders").text
    assert re.findall(r'<a href="/services/([a-z-]+)">', found) == ["orders"]
    listed = client.get("/api/services").json()
    orders = next(s for s in listed["services"] if s["name"] == "orders")
    assert orders["team"] == "shop"
    assert orders["urls"] == ["http://api.shop.localtest.me/orders"]
    assert {r["type"] for r in orders["resources"]} == {"api", "postgres", "route"}
    assert orders["contract"]["readable"] is True
    assert any(not op["open"] and op["scopes"] for op in orders["contract"]["operations"])


def test_a_service_page_shows_values_with_the_line_that_set_them_and_its_history(
    signed_in: Callable[..., TestClient],
) -> None:
    client = signed_in("viewer")
    page = client.get("/services/orders")
    assert page.status_code == 200
    row = '<code>services.orders.team</code></td><td><code>"shop"</code></td><td><code>platform.yaml:10:9</code>'
    assert row in page.text
    assert "kind: Deployment" in page.text
    assert "the example" in page.text  # the commit that made it
    graph = page.text[page.text.index('<svg class="graph"') : page.text.index("</svg>")]
    assert re.findall(r'<a href="/services/([a-z]+)">', graph) == ["payments", "web", "worker"]  # its callers
    assert "<script" not in graph and "style=" not in graph
    detail = client.get("/api/services/orders").json()
    assert {"key": "services.orders.team", "value": "shop"}.items() <= next(
        v for v in detail["values"] if v["key"] == "services.orders.team"
    ).items()
    assert client.get("/services/nope").status_code == 404
    assert client.get("/api/services/nope").json() == {"error": "no service `nope` in the repo for cluster local"}


def test_adding_a_service_commits_it_in_the_persons_name(signed_in: Callable[..., TestClient], repo: Path) -> None:
    client = signed_in("editor")
    draft = client.post("/drafts", data=NEW)
    assert "The pipeline finds nothing wrong: 2 files would change." in draft.text
    assert "Preview: the objects it renders for cluster local" in draft.text
    assert "kind: Deployment" in draft.text and "name: billing" in draft.text
    saved = client.post("/services", data={**NEW, "csrf": csrf_of(client, "/add")}, follow_redirects=False)
    assert saved.status_code == 303
    commit = saved.headers["location"].split("committed=")[1]
    assert git(repo, "log", "-1", "--format=%H|%an <%ae>|%cn|%s").strip() == (
        f"{commit}|Ada Lovelace <ada@example.com>|Dockyard console|Add service billing (from the Dockyard console)"
    )
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == [
        "services/billing/dockyard.yaml",
        "services/billing/score.yaml",
    ]
    assert git(repo, "status", "--porcelain") == ""
    score = (repo / "services/billing/score.yaml").read_text()
    assert "      DB_PASSWORD: ${resources.db.password}\n" in score
    assert client.get("/services/billing").status_code == 200  # the catalog follows the commit
    assert "billing" in [s["name"] for s in client.get("/api/services").json()["services"]]


def test_a_change_keeps_the_files_as_written_but_for_what_the_form_changed(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    client = signed_in("editor")
    form = client.get("/services/orders/edit")
    assert form.status_code == 200
    shown = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.text))
    assert shown["image"] == "ghcr.io/dockyard-examples/orders:1.4.2"
    fields = {k: shown[k] for k in ("name", "image", "port", "route_host", "route_path", "health_path")}
    fields |= {"new": "false", "team": "shop", "database": "on", "variables": "", "csrf": shown["csrf"]}
    fields["image"] = "ghcr.io/dockyard-examples/orders:1.5.0"
    saved = client.post("/services/orders", data=fields, follow_redirects=False)
    assert saved.status_code == 303, _errors(saved.text)
    diff = git(repo, "show", "--format=", "--unified=0", "HEAD")
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == [
        "-    image: ghcr.io/dockyard-examples/orders:1.4.2",
        "+    image: ghcr.io/dockyard-examples/orders:1.5.0",
    ]


def test_problems_are_shown_at_their_field_and_nothing_is_written(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    client = signed_in("editor")
    head = git(repo, "rev-parse", "HEAD")
    cases = {
        "port": ({"port": "99999"}, "must be between 1 and 65535"),
        "variables": ({"variables": "1BAD=x"}, "`1BAD` is not a variable name (letters, digits and _)"),
        "route_host": ({"route_host": "Bad Host!"}, "params.host `Bad Host!` is not a DNS host name"),
        "name": ({"name": "orders"}, "a service `orders` exists already; choose another name"),
        "health_path": ({"health_path": ""}, "container main has no readiness or liveness probe [probes]"),
    }
    for field, (change, message) in cases.items():
        errors = _errors(client.post("/drafts", data={**NEW, **change}).text)
        assert list(errors) == [field], (field, errors)
        assert message in errors[field]
        saved = client.post("/services", data={**NEW, **change}, follow_redirects=False)
        assert saved.status_code == 422
        assert message in _errors(saved.text)[field]
    reference = _errors(client.post("/drafts", data={**NEW, "variables": "X=${resources.nope.host}"}).text)
    assert reference["variables"].startswith("services/billing/score.yaml:")
    assert "no resource `nope` in this workload" in reference["variables"]
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain") == ""


def test_the_json_api_does_what_the_pages_do(signed_in: Callable[..., TestClient], repo: Path) -> None:
    client = signed_in("editor")
    body = {**NEW, "database": True, "variables": {"LOG_LEVEL": "info"}}
    checked = client.post("/api/drafts", json={**body, "port": 0}).json()
    assert checked == {"ok": False, "errors": {"port": ["must be between 1 and 65535"]}, "files": []}
    created = client.post("/api/services", json=body)
    assert created.status_code == 201
    assert created.json()["commit"] == git(repo, "rev-parse", "HEAD").strip()
    changed = client.put("/api/services/billing", json={**body, "image": "ghcr.io/acme/billing:1.1"})
    assert changed.status_code == 200, changed.text
    assert "image: ghcr.io/acme/billing:1.1" in (repo / "services/billing/score.yaml").read_text()
    refused = client.put("/api/services/billing", json={**body, "route_host": "Bad Host!"})
    assert refused.status_code == 422
    assert list(refused.json()["errors"]) == ["route_host"]
    assert client.get("/api/me").json() == {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "admin": False,
        "teams": {"shop": "editor"},
    }
    described = client.get("/api/openapi.json").json()
    assert {"/api/services", "/api/services/{name}", "/api/drafts", "/api/me"} <= set(described["paths"])


def test_a_path_with_uncommitted_changes_is_never_committed_over(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    client = signed_in("editor")
    score = repo / "services/orders/score.yaml"
    score.write_text(score.read_text() + "# a change of someone's, not committed\n")
    body = {**NEW, "name": "orders", "new": False, "database": True, "variables": {}, "route_host": "api"}
    body |= {"route_path": "/orders", "image": "ghcr.io/dockyard-examples/orders:1.5.0", "health_path": "/readyz"}
    refused = client.put("/api/services/orders", json=body)
    assert refused.status_code == 409
    assert refused.json()["errors"][""] == [
        "services/orders/score.yaml changed in the repo's working tree and is not committed; commit or discard "
        "that change first, so that the console's commit holds only what the form changed"
    ]
    assert score.read_text().endswith("# a change of someone's, not committed\n")
    assert git(repo, "log", "--format=%s") == "the example\n"


def test_a_draft_is_judged_beside_the_services_it_calls_not_theirs(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    score = repo / "services/orders/score.yaml"
    score.write_text(score.read_text() + "  notify:\n    type: service\n    params:\n      name: payments\n")
    git(repo, "commit", "-qam", "orders calls payments")
    client = signed_in("editor")
    shown = dict(re.findall(r'name="(\w+)" value="([^"]*)"', client.get("/services/web/edit").text))
    fields = {k: shown[k] for k in ("name", "image", "port", "route_host", "route_path", "health_path")}
    fields |= {"new": "false", "team": "shop", "image": "nginx:1.29"}
    checked = client.post("/drafts", data=fields)  # web calls orders, which calls payments
    assert "The pipeline finds nothing wrong" in checked.text, _errors(checked.text)


def test_a_cluster_that_cannot_be_read_is_shown_as_such_and_never_waited_for(
    signed_in: Callable[..., TestClient],
) -> None:
    client = signed_in("viewer")
    assert client.get("/api/services").json()["services"][0]["status"] in ("…", "unknown")  # never blocks
    deadline = time.monotonic() + 10
    while (listed := client.get("/api/services").json())["cluster_error"] is None:
        assert time.monotonic() < deadline, "the background reading never happened"
        time.sleep(0.1)
    assert listed["cluster_error"].startswith("cannot use ")
    assert {s["status"] for s in listed["services"]} == {"unknown"}
    assert "The cluster cannot be read: cannot use " in client.get("/").text
    plan = client.post("/api/services/orders/plan")  # no cluster (and with Python alone, no helm): a sentence
    assert plan.status_code == 502
    assert plan.json()["error"].startswith(("cannot use ", "charts.lock:")) and "Traceback" not in plan.text


def test_a_job_is_added_like_a_service_and_rendered_as_a_cron_job(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    client = signed_in("editor")
    job = {"name": "crm-sync", "team": "shop", "image": "ghcr.io/acme/crm:2.3", "database": True}
    job |= {"runs": "on-schedule", "schedule": "every night"}
    refused = client.post("/api/drafts", json={**job, "new": True}).json()
    assert list(refused["errors"]) == ["schedule"]
    assert refused["errors"]["schedule"][0].endswith(
        "`job.schedule` must be a cron schedule of five fields (`0 3 * * *`: 03:00 every day) "
        'or @hourly, @daily, @weekly, @monthly, @yearly; got string "every night"'
    )
    assert client.post("/api/drafts", json={**job, "schedule": "", "new": True}).json()["errors"] == {
        "schedule": ["give a cron schedule, e.g. `0 3 * * *` (03:00 every day)"]
    }
    created = client.post("/api/services", json={**job, "schedule": "0 3 * * *"})
    assert created.status_code == 201, created.text
    assert (repo / "services/crm-sync/dockyard.yaml").read_text().endswith("job:\n  schedule: 0 3 * * *\n")
    page = client.get("/services/crm-sync").text
    assert "kind: CronJob" in page and "kind: Deployment" not in page
    assert [j["name"] for j in client.get("/api/jobs").json()["jobs"]] == ["crm-sync"]
    assert "runs on schedule 0 3 * * *" in client.get("/jobs").text
    changed = client.put("/api/services/crm-sync", json={**job, "runs": "when-started", "schedule": ""})
    assert changed.status_code == 200, changed.text
    assert (repo / "services/crm-sync/dockyard.yaml").read_text().endswith("job: {}\n")


def test_a_service_links_to_what_the_platforms_grafana_has_of_it(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    from urllib.parse import parse_qs, urlsplit

    from dockyard import actions
    from dockyard.console.catalog import catalog
    from dockyard.console.links import observability
    from dockyard.render.services import render as render_services

    page = signed_in("viewer").get("/services/orders").text
    assert "<dt>Look at it</dt><dd>the platform installs no Grafana</dd>" in page  # local switches it off
    platform = actions.platform_for(actions.load_repo(repo), "prod-eu")  # complete: all three, over https
    orders = next(c for c in catalog(platform, render_services(platform)) if c.name == "orders")
    found = dict(observability(platform, orders))
    assert list(found) == ["Dashboard", "Logs", "Traces", "Metrics"]
    assert found["Dashboard"] == "https://grafana.eu.shop.example.com/d/dockyard-shop-orders"  # its ConfigMap's uid
    logs = urlsplit(found["Logs"])
    assert (logs.scheme, logs.netloc, logs.path) == ("https", "grafana.eu.shop.example.com", "/explore")
    pane = json.loads(parse_qs(logs.query)["panes"][0])["a"]
    assert pane["queries"][0]["expr"] == '{service_name="orders"}'
    assert pane["queries"][0]["datasource"] == {"type": "loki", "uid": "loki"}


def test_a_bucket_is_ticked_like_a_database(signed_in: Callable[..., TestClient], repo: Path) -> None:
    client = signed_in("editor")
    body = {**NEW, "database": False, "route_host": "", "bucket": True, "variables": {}, "port": 8080}
    created = client.post("/api/services", json=body)
    assert created.status_code == 201, created.text
    score = (repo / "services/billing/score.yaml").read_text()
    assert "  files:\n    type: s3\n" in score
    assert "      AWS_SECRET_ACCESS_KEY: ${resources.files.secret_access_key}\n" in score
    shown = dict(re.findall(r'name="(\w+)" value="([^"]*)"', client.get("/services/billing/edit").text))
    assert 'name="bucket" checked' in client.get("/services/billing/edit").text
    assert shown["name"] == "billing"


def test_where_the_platform_says_so_a_change_is_a_branch_pushed_for_review(
    signed_in: Callable[..., TestClient], repo: Path, tmp_path: Path
) -> None:
    from dockyard.console.gitrepo import review_url

    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    with (repo / "platform.yaml").open("a") as platform:
        platform.write("console:\n  changes: branch\n  remote: origin\n")
    git(repo, "commit", "-qam", "changes go through review")
    head = git(repo, "rev-parse", "HEAD")
    client = signed_in("editor")
    created = client.post("/api/services", json={**NEW, "database": True, "variables": {}})
    assert created.status_code == 201, created.text
    answer = created.json()
    assert answer["branch"].startswith("console/billing-") and answer["pushed_to"] == "origin"
    assert answer["review"] is None  # a remote on no known forge: the branch name is enough
    assert git(repo, "rev-parse", "HEAD") == head and not (repo / "services/billing").exists()
    assert git(repo, "status", "--porcelain") == ""  # the working tree and the checked-out branch untouched
    pushed = git(remote, "log", "-1", "--format=%H|%an|%cn", answer["branch"]).strip()
    assert pushed == f"{answer['commit']}|Ada Lovelace|Dockyard console"
    assert git(remote, "show", "--name-only", "--format=", answer["branch"]).split() == [
        "services/billing/dockyard.yaml",
        "services/billing/score.yaml",
    ]
    page = client.post("/services", data={**NEW, "name": "ledger", "csrf": client.headers["X-CSRF-Token"]})
    assert "Your change is on branch <code>console/ledger-" in page.text and "pushed to origin" in page.text
    assert review_url("git@github.com:acme/platform.git", "console/x-1") == (
        "https://github.com/acme/platform/compare/console/x-1?expand=1"
    )
    assert review_url("https://gitlab.example.org/acme/platform", "console/x-1") == (
        "https://gitlab.example.org/acme/platform/-/merge_requests/new?merge_request%5Bsource_branch%5D=console/x-1"
    )


def test_a_draft_with_problems_is_not_planned_and_without_a_cluster_the_plan_says_why(
    signed_in: Callable[..., TestClient],
) -> None:
    client = signed_in()
    broken = client.post("/api/drafts/plan", json={"name": "billing", "team": "shop", "image": "", "new": True})
    assert broken.status_code == 422
    assert broken.json()["errors"]["image"] == ["give the container image, e.g. ghcr.io/acme/orders:1.4.2"]
    page = client.post("/drafts/plan", data={"name": "billing", "team": "shop", "image": "", "new": "true"})
    assert "The plan could not be made: the form has 1 problem(s); fix them first (image: give the container" in (
        " ".join(page.text.split())
    )
    good = {"name": "billing", "team": "shop", "image": "ghcr.io/acme/billing:1.0", "port": 8080}
    unreachable = client.post("/api/drafts/plan", json={**good, "health_path": "/healthz", "new": True})
    assert unreachable.status_code == 502, unreachable.text  # no cluster here (and, with Python alone, no helm)
    reason = unreachable.json()["error"]
    assert "kubeconfig" in reason or "helm is not installed" in reason, reason


def test_the_catalog_names_who_answers_for_a_service(signed_in: Callable[..., TestClient], repo: Path) -> None:
    with (repo / "services" / "orders" / "dockyard.yaml").open("a") as settings:
        settings.write("owner: orders-oncall\n")
    client = signed_in("viewer")
    services = {s["name"]: s for s in client.get("/api/services").json()["services"]}
    assert services["orders"]["owner"] == "orders-oncall"  # its settings' `owner`
    assert services["web"]["owner"] is None
    assert "shop <small>(orders-oncall)</small>" in client.get("/").text
    assert "team shop · owner orders-oncall · namespace shop" in client.get("/services/orders").text


def test_a_console_without_plans_says_where_plans_are_made(repo: Path, tmp_path: Path) -> None:
    from dockyard.console.app import create_app
    from dockyard.console.state import Console
    from dockyard.console.web import Settings
    from tests.unit.console.conftest import sign_in

    console = Console(repo, "local", recheck=0.0, kubeconfig=tmp_path / "none", plans=False)
    client = sign_in(
        TestClient(create_app(console, Settings(dev_login=True, secure_cookies=False)), "http://127.0.0.1")
    )
    answer = client.post("/api/services/orders/plan")
    assert answer.status_code == 502
    assert answer.json()["error"] == (
        "this console does not plan against the cluster (in the cluster it may read, not dry-run what applying "
        "writes): run `dockyard plan`, or see the sync controller's status"
    )
