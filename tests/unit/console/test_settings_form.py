"""The settings part of the form, generated from the JSON Schema of dockyard.yaml: each setting a
field of its kind, shown as the service's file says, written where the schema puts it (comments
and other keys kept), removed when emptied, judged by the pipeline at its field."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from dockyard.console.settings_form import _fields, setting_fields
from tests.helpers import git

EDIT = {
    "name": "orders",
    "team": "shop",
    "image": "ghcr.io/dockyard-examples/shop-orders:1.4.2",
    "port": "8080",
    "health_path": "/healthz",
}


def _error(html: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="error-{re.escape(field)}"[^>]*>([^<]*)</p>', html)
    assert found is not None, f"no error paragraph for {field}"
    return found.group(1)


def test_every_setting_of_the_schema_is_a_field_of_its_kind() -> None:
    kinds = {f.name: f.kind for f in setting_fields()}
    assert kinds["setting.autoscaling.maxReplicas"] == "number"
    assert kinds["setting.autoscaling.enabled"] == "yes-no"
    assert kinds["setting.rollout.strategy"] == "choice"
    assert kinds["setting.rollout.maxSurge"] == "count-or-percent"
    assert kinds["setting.resources.limits.memory"] == "text"
    assert kinds["setting.callers"] == "names"
    assert kinds["setting.job.concurrency"] == "choice"
    assert not {"setting.team", "setting.replicas", "setting.contract", "setting.job.schedule"} & set(kinds)
    assert "setting.namespace" not in kinds  # not a team's to choose: another team's namespace is not theirs
    grown = {
        "properties": {"tracing": {"type": "object", "properties": {"sampled": {"type": "integer", "maximum": 100}}}}
    }
    (added,) = _fields(grown, ())
    assert (added.name, added.kind, added.maximum, added.label) == ("setting.tracing.sampled", "number", 100, "sampled")


def test_settings_are_written_where_the_schema_puts_them_and_removed_when_emptied(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    client = signed_in("editor")
    settings = {"autoscaling": {"enabled": True, "maxReplicas": 5}, "owner": "payments-oncall", "callers": ["web"]}
    changed = client.put("/api/services/orders", json={**EDIT, "settings": settings})
    assert changed.status_code == 200, changed.text
    written = (repo / "services/orders/dockyard.yaml").read_text()
    assert written == (
        "# yaml-language-server: $schema=../../.dockyard/schemas/servicesettings.json\n"
        "apiVersion: dockyard.dev/v1alpha1\nkind: ServiceSettings\ncontract: openapi.yaml\nmetrics:\n  port: metrics\n"
        "autoscaling:\n  enabled: true\n  maxReplicas: 5\ncallers:\n  - web\nowner: payments-oncall\n"
    )
    page = client.get("/services/orders/edit").text
    assert 'name="setting.autoscaling.maxReplicas" value="5"' in page
    assert 'name="metrics_port" value="9090"' in page  # the form's own field: the port by its number
    assert '<option value="true" selected>yes</option>' in page
    emptied = client.put("/api/services/orders", json={**EDIT, "settings": {"autoscaling.enabled": None, "owner": ""}})
    assert emptied.status_code == 200, emptied.text
    assert (
        (repo / "services/orders/dockyard.yaml")
        .read_text()
        .endswith("metrics:\n  port: metrics\nautoscaling:\n  maxReplicas: 5\ncallers:\n  - web\n")
    )  # what the request did not name stays as written
    assert git(repo, "log", "-1", "--format=%an").strip() == "Ada Lovelace"


def test_a_setting_the_pipeline_refuses_is_shown_at_its_field_and_nothing_is_written(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    client = signed_in("editor")
    head = git(repo, "rev-parse", "HEAD")
    csrf = client.headers["X-CSRF-Token"]
    posted = {**EDIT, "csrf": csrf, "setting.resources.limits.memory": "12 pounds"}
    page = client.post("/services/orders", data=posted)  # the pipeline's judgement, at the field
    assert page.status_code == 422
    memory = _error(page.text, "setting.resources.limits.memory")
    assert html.unescape(memory) == (
        "services/orders/dockyard.yaml:9:13: `resources.limits.memory` must be a memory quantity such as 128Mi or "
        '1Gi; got string "12 pounds"'
    )
    assert 'name="setting.resources.limits.memory" value="12 pounds"' in page.text  # shown again as posted
    unread = {**posted, "setting.autoscaling.maxReplicas": "5000", "setting.job.retries": "3"}
    read = client.post("/services/orders", data=unread)
    assert _error(read.text, "setting.autoscaling.maxReplicas") == "must be at most 1000"
    retries = _error(read.text, "setting.job.retries")
    assert retries == "only a job has this setting: choose how it runs first, or clear it"
    assert git(repo, "rev-parse", "HEAD") == head and git(repo, "status", "--porcelain") == ""
    refused = client.post("/api/drafts", json={**EDIT, "settings": {"autoscaling": {"maxReplica": 3}}})
    assert refused.json()["errors"]["setting.autoscaling.maxReplica"] == [
        "`autoscaling.maxReplica` is not a setting the form can change"
    ]
    moved = client.put("/api/services/orders", json={**EDIT, "settings": {"namespace": "payments"}})
    assert moved.status_code == 422
    assert moved.json()["errors"]["setting.namespace"] == ["`namespace` is not a setting the form can change"]
    live = client.post("/drafts", data={**posted, "setting.job.retries": "", "setting.autoscaling.maxReplicas": "2"})
    assert 'id="error-setting.resources.limits.memory" hx-swap-oob="true"' in live.text
    assert "must be a memory quantity such as 128Mi or 1Gi" in live.text


NEW = {"name": "billing", "team": "shop", "image": "ghcr.io/acme/billing:1.0", "port": 8080, "health_path": "/healthz"}


def test_the_services_a_service_calls_are_ticked_and_each_brings_its_address(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    client = signed_in("editor")
    created = client.post("/api/services", json={**NEW, "calls": ["orders"]})
    assert created.status_code == 201, created.text
    score = (repo / "services/billing/score.yaml").read_text()
    assert "      ORDERS_URL: ${resources.orders.url}\n" in score
    assert "resources:\n  orders:\n    type: service\n" in score
    page = client.get("/services/billing/edit").text
    assert '<input type="checkbox" name="calls" value="orders" checked>' in page
    assert '<input type="checkbox" name="calls" value="billing"' not in page  # not itself
    assert "ORDERS_URL" not in re.search(r'<textarea name="variables"[^>]*>([^<]*)</textarea>', page).group(1)  # type: ignore[union-attr]
    kept = client.put("/api/services/billing", json={**NEW, "image": "ghcr.io/acme/billing:1.1"})  # calls not named
    assert kept.status_code == 200, kept.text
    assert "ORDERS_URL: ${resources.orders.url}" in (repo / "services/billing/score.yaml").read_text()
    csrf = client.headers["X-CSRF-Token"]
    form = {**{k: str(v) for k, v in NEW.items()}, "csrf": csrf, "calls": [""]}  # every box unticked
    unticked = client.post("/services/billing", data=form, follow_redirects=False)
    assert unticked.status_code == 303, unticked.text
    score = (repo / "services/billing/score.yaml").read_text()
    assert "orders" not in score and "ORDERS_URL" not in score
    unknown = client.post("/api/drafts", json={**NEW, "calls": ["nosuch"]})
    assert unknown.json()["errors"]["calls"] == [
        "services/billing/score.yaml:24:3: depends on service `nosuch`, which does not exist (no "
        "services/nosuch/score.yaml) (services: billing)"
    ]
    itself = client.post("/api/drafts", json={**NEW, "calls": "billing"})
    assert itself.json()["errors"]["calls"] == ["a service does not call itself: untick it"]


def test_a_called_service_whose_name_is_taken_by_another_resource_is_named_in_its_params() -> None:
    from ruamel.yaml import YAML

    from dockyard.console.form import ServiceForm, called, draft

    score = b"apiVersion: score.dev/v1b1\nmetadata:\n  name: billing\ncontainers:\n  main:\n    image: a:1\n"
    score += b"resources:\n  cache:\n    type: redis\n  cache-service-2:\n    type: volume\n"
    form = ServiceForm(name="billing", team="shop", image="a:1", cache=True, calls=("cache",))
    files = draft(form, {"score.yaml": score}).files
    written = YAML(typ="safe").load(files["services/billing/score.yaml"])
    assert written["resources"]["cache"] == {"type": "redis"}  # kept, and not taken for the service
    assert written["resources"]["cache-service-3"] == {"type": "service", "params": {"name": "cache"}}
    assert written["resources"]["cache-service-2"] == {"type": "volume"}
    assert called(written) == {"cache": "cache-service-3"}
    assert written["containers"]["main"]["variables"]["CACHE_URL"] == "${resources.cache-service-3.url}"


def test_emptying_a_setting_keeps_the_comment_lines_that_followed_it() -> None:
    from dockyard.console.form import _dump, _load
    from dockyard.console.settings_form import write

    written = (
        b"apiVersion: dockyard.dev/v1alpha1\nkind: ServiceSettings\nautoscaling:\n  enabled: true\n"
        b"  maxReplicas: 5   # peak season\n# the metrics below are scraped by the platform\n"
        b"metrics:\n  port: metrics\n"
    )
    one = _load(written)
    write(one, ("autoscaling", "maxReplicas"), None)
    assert _dump(one, "", True) == written.replace(b"  maxReplicas: 5   # peak season\n", b"")
    both = _load(written)
    write(both, ("autoscaling", "maxReplicas"), None)
    write(both, ("autoscaling", "enabled"), None)  # the mapping goes with its last setting
    assert _dump(both, "", True) == (
        b"apiVersion: dockyard.dev/v1alpha1\nkind: ServiceSettings\n"
        b"# the metrics below are scraped by the platform\nmetrics:\n  port: metrics\n"
    )


def test_emptying_a_list_written_as_lines_keeps_the_comment_lines_that_followed_it() -> None:
    from dockyard.console.form import _dump, _load
    from dockyard.console.settings_form import write

    written = (
        b"apiVersion: dockyard.dev/v1alpha1\nkind: ServiceSettings\ncallers:\n  - web  # the shop\n  - payments\n"
        b"# the metrics below are scraped by the platform\nmetrics:\n  port: metrics\n"
    )
    settings = _load(written)
    write(settings, ("callers",), None)
    assert _dump(settings, "", True) == (
        b"apiVersion: dockyard.dev/v1alpha1\nkind: ServiceSettings\n"
        b"# the metrics below are scraped by the platform\nmetrics:\n  port: metrics\n"
    )


def test_unticking_a_service_called_through_two_resources_removes_both() -> None:
    from ruamel.yaml import YAML

    from dockyard.console.form import ServiceForm, called, draft

    score = b"apiVersion: score.dev/v1b1\nmetadata:\n  name: billing\ncontainers:\n  main:\n    image: a:1\n"
    score += b"    variables:\n      ORDERS_URL: ${resources.orders.url}\n"
    score += b"resources:\n  orders:\n    type: service\n"
    score += b"  orders-admin:\n    type: service\n    params:\n      name: orders\n"
    form = ServiceForm(name="billing", team="shop", image="a:1", calls=())
    written = YAML(typ="safe").load(draft(form, {"score.yaml": score}).files["services/billing/score.yaml"])
    assert called(written) == {} and "resources" not in written
    assert "variables" not in written["containers"]["main"]  # the address the resource gave went with it
