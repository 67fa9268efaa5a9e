"""The console in a real browser: sign in, add a service with a Postgres database, a route and
settings from the generated part of the form (errors shown at their fields as they are typed,
under the console's content security policy), see the commit, and a viewer who cannot change
anything."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Served
from tests.helpers import git

pytestmark = pytest.mark.browser


def _sign_in(page: Any, url: str, role: str, team: str = "shop") -> None:
    page.goto(f"{url}/")
    assert page.url.endswith("/login?next=/")
    assert "Development login" in page.text_content(".banner")
    page.fill("input[name=name]", "Ada Lovelace")
    page.fill("input[name=email]", "ada@example.com")
    page.fill("input[name=team]", team)
    page.select_option("select[name=role]", role)
    page.click("form.card button[type=submit]")
    page.wait_for_url(f"{url}/")


def test_an_editor_adds_a_service_and_sees_it_committed(served: Served, page: Any) -> None:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    _sign_in(page, served.url, "editor")
    assert page.locator("table.catalog tbody tr").count() == 4
    page.click("text=Add a service")
    page.fill("input[name=name]", "billing")
    page.fill("input[name=image]", "ghcr.io/acme/billing:1.0")
    page.fill("input[name=port]", "99999")
    page.wait_for_selector("#error-port:has-text('must be between 1 and 65535')")  # live, through htmx
    page.fill("input[name=port]", "8080")
    page.fill("input[name=health_path]", "/healthz")
    page.check("input[name=database]")
    page.check("input[name=calls][value=orders]")
    page.fill("input[name=secret_id]", "smtp")
    page.fill("input[name=secret_keys]", "user name")  # two keys, one of them not wanted
    page.select_option("select[name=secret_from]", "store")
    page.wait_for_selector("#error-secrets:has-text('name the ClusterSecretStore')")
    page.fill("input[name=secret_store]", "vault")
    page.fill("input[name=file_target]", "/etc/billing/app.conf")
    page.fill("textarea[name=file_content]", "currency = EUR\nretries = 3\n")
    page.fill("input[name=secret_keys]", "password")
    page.fill("input[name=route_host]", "Bad Host!")
    page.wait_for_selector("#error-route_host:has-text('is not a DNS host name')")
    assert page.text_content("#error-port") == ""
    page.click("details.settings summary")  # the settings generated from dockyard.yaml's schema
    page.fill("input[name='setting.autoscaling.maxReplicas']", "5000")
    page.wait_for_selector("[id='error-setting.autoscaling.maxReplicas']:has-text('must be at most 1000')")
    page.fill("input[name='setting.autoscaling.maxReplicas']", "5")
    page.select_option("select[name='setting.autoscaling.enabled']", "true")
    page.fill("input[name=route_host]", "billing")
    page.wait_for_selector("#checks:has-text('The pipeline finds nothing wrong')")
    page.click("button.primary")
    page.wait_for_url(f"{served.url}/services/billing?committed=*")  # "Saving: ..." showed meanwhile
    assert "Committed" in page.text_content(".notice")
    assert "http://billing.shop.localtest.me" in page.text_content("section")
    assert git(served.repo, "log", "-1", "--format=%an|%s").strip() == (
        "Ada Lovelace|Add service billing (from the Dockyard console)"
    )
    score = (served.repo / "services/billing/score.yaml").read_text()
    assert "resources.db.password" in score and "ORDERS_URL: ${resources.orders.url}" in score
    assert "SMTP_PASSWORD: ${resources.smtp.password}" in score
    assert (
        "      - target: /etc/billing/app.conf\n        content: |\n          currency = EUR\n          retries = 3\n"
        in score
    )
    assert (
        "  smtp:\n    type: secret\n    params:\n      keys: [password]\n      from: store\n      store: vault\n"
        in score
    )
    assert (
        "autoscaling:\n  enabled: true\n  maxReplicas: 5\n"
        in (served.repo / "services/billing/dockyard.yaml").read_text()
    )
    page.goto(f"{served.url}/")
    assert page.locator("table.catalog tbody tr").count() == 5
    assert errors == [], errors  # no script refused by the content security policy, no failed request


def test_a_viewer_sees_everything_and_changes_nothing(served: Served, page: Any) -> None:
    _sign_in(page, served.url, "viewer")
    assert page.locator("text=Add a service").count() == 0
    page.click("text=orders")
    assert page.locator("h1").first.text_content().startswith("orders")
    assert page.locator("a.button:has-text('Change')").count() == 0
    response = page.goto(f"{served.url}/services/orders/edit")
    assert response is not None and response.status == 403
    assert "may not change services" in page.text_content(".message")
    page.goto(f"{served.url}/")
    page.fill("input[type=search]", "pay")
    expect(page.locator("table.catalog tbody tr")).to_have_count(1)  # filtered as typed, through htmx
    assert page.text_content("table.catalog tbody").strip().startswith("payments")
    assert page.url.endswith("/?q=pay")
