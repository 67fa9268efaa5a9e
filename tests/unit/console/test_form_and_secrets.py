"""The form's files: written as a person would, round trips that keep what a person wrote, problems
placed at their field; the vendored htmx is the file npm serves; no secret value ever reaches a page."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import pyrage
import pytest
from fastapi.testclient import TestClient

from dockyard.console.form import ServiceForm, current_fields, draft, parse_fields
from dockyard.errors import Position, Problem
from dockyard.secrets import keys, rules, store
from tests.unit.console.conftest import sign_in

HAND_WRITTEN = b"""# The payments worker.
apiVersion: score.dev/v1b1
metadata:
  name: pay   # short on purpose
containers:
  worker:
    image: "ghcr.io/acme/pay:2.0"   # pinned by the release
    args: ["--queue", "payments"]
    variables:
      MODE: live   # never test here
      DB_HOST: ${resources.db.host}
  sidecar:
    image: ghcr.io/acme/proxy:1
resources:
  db:
    type: postgres
"""


def test_a_change_touches_only_the_lines_of_what_changed() -> None:
    fields = current_fields("pay", {"score.yaml": HAND_WRITTEN})
    assert fields["variables"] == "MODE=live"  # DB_HOST comes with the database: the form does not show it
    assert fields["containers"] == 2 and fields["database"] is True
    form, errors = parse_fields({**fields, "team": "shop", "image": "ghcr.io/acme/pay:2.1"})
    assert errors == []
    written = draft(form, {"score.yaml": HAND_WRITTEN}, inherited_team="shop").files
    assert written["services/pay/score.yaml"] == HAND_WRITTEN.replace(b"pay:2.0", b"pay:2.1")
    assert "services/pay/dockyard.yaml" not in written  # a layer gives the team: nothing to write, no file


def test_database_off_removes_it_and_the_variables_that_read_it() -> None:
    fields = current_fields("pay", {"score.yaml": HAND_WRITTEN})
    form, _ = parse_fields({**fields, "team": "shop", "database": ""})
    score = draft(form, {"score.yaml": HAND_WRITTEN}).files["services/pay/score.yaml"].decode()
    assert "resources:" not in score and "DB_HOST" not in score
    assert "      MODE: live   # never test here\n" in score


def test_a_problem_is_placed_at_the_narrowest_field_that_holds_its_line() -> None:
    form = ServiceForm("billing", "shop", "x", port=8080, database=True, route_host="billing")
    made = draft(form, {})
    score = made.files["services/billing/score.yaml"].decode().splitlines()
    host_line = next(n for n, line in enumerate(score, 1) if "host: billing" in line)
    route_line = next(n for n, line in enumerate(score, 1) if line.strip() == "public:")
    file = "services/billing/score.yaml"
    assert made.field_of(Problem(Position(file, host_line, 7), "bad")) == "route_host"
    assert made.field_of(Problem(Position(file, route_line, 3), "bad")) == "route_host"
    assert made.field_of(Problem(Position(file, 1, 1), "bad")) == ""
    assert made.field_of(Problem(Position("services/billing/dockyard.yaml", 4, 1), "bad")) == "team"


def test_the_vendored_htmx_is_the_file_its_npm_package_holds() -> None:
    static = resources.files("dockyard.console") / "static"
    record = json.loads((static / "vendored.json").read_text())["htmx.min.js"]
    assert hashlib.sha256((static / "htmx.min.js").read_bytes()).hexdigest() == record["sha256"]
    assert (static / "htmx.LICENSE").read_text().startswith("Zero-Clause BSD")


CANARY = "canary-console-secret-7a41"


def test_no_secret_value_reaches_a_page_or_the_api(
    repo: Path, client: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    identity = pyrage.x25519.Identity.generate()
    monkeypatch.setenv(keys.KEY_ENV, str(identity))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv(keys.KEY_FILE_ENV, raising=False)
    rules.add_layout_rule(repo, [str(identity.to_public())])
    target = store.layer_file(repo, "services/orders/secrets.yaml")
    store.save(target, store.with_value({}, "smtp.password", CANARY), None)
    score = repo / "services/orders/score.yaml"
    score.write_text(
        score.read_text().replace(
            "      DB_PASSWORD: ${resources.db.password}\n",
            "      DB_PASSWORD: ${resources.db.password}\n      SMTP_PASSWORD: ${resources.smtp.password}\n",
        )
        + "  smtp:\n    type: secret\n    params:\n      keys: [password]\n      from: repo\n"
    )
    sign_in(client, role="admin")
    seen = [client.get(path) for path in ("/", "/services/orders", "/services/orders/edit", "/api/services")]
    seen += [client.get("/api/services/orders")]
    shown = current_fields("orders", {"score.yaml": score.read_bytes()})
    assert shown.pop("secrets") == [{"id": "smtp", "keys": "password", "from": "repo", "store": ""}]  # rows, no value
    for rows in ("ports", "files", "volumes"):  # the page posts these as rows of fields of their own
        shown.pop(rows)
    preview = client.post("/drafts", data={**shown, "team": "shop", "image": "ghcr.io/x/orders:9", "new": "false"})
    assert "Preview: the objects it renders" in preview.text and "orders-smtp" in preview.text
    seen += [preview]
    assert all(response.status_code == 200 for response in seen)
    assert "kind: Secret" in seen[1].text  # the Secret is on the page, without its value
    for response in seen:
        assert CANARY not in response.text
