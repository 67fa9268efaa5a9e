"""What an independent review of the console found, each as the case that showed it: writes outside
the repo, other host names, large bodies, plans one at a time, tokens for another client, lost
updates, unchanged saves, probes left on an old port, jobs with ports, files the form cannot
change, and job actions kept to the job's team."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from dockyard.console.form import current_fields, draft, parse_fields
from dockyard.console.oidc import OpenIdConnect, Provider, SignInFailed
from dockyard.console.state import Console
from tests.helpers import git
from tests.unit.console.conftest import sign_in

NEW = {"name": "billing", "team": "shop", "image": "ghcr.io/acme/billing:1.0", "port": 8080, "health_path": "/healthz"}


def test_a_contract_path_out_of_the_services_folder_is_never_written(
    signed_in: Callable[..., TestClient], repo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "written-outside.txt"
    settings = repo / "services/orders/dockyard.yaml"
    settings.write_text(settings.read_text().replace("contract: openapi.yaml", f"contract: ../../../../{outside}"))
    git(repo, "commit", "-qam", "a contract path out of the folder")
    client = signed_in("editor")
    body = {"name": "orders", "team": "shop", "image": "x:1", "port": 8080, "health_path": "/readyz"}
    body |= {"database": True, "route_host": "api", "route_path": "/orders", "contract": "openapi: 3.1.0\n"}
    checked = client.post("/api/drafts", json=body).json()
    assert checked["errors"][""][0].endswith(
        "outside the service's folder; the console writes contracts only inside it"
    )
    assert not outside.exists()


def test_requests_for_another_host_name_are_refused(client: TestClient) -> None:
    response = client.get("/login", headers={"Host": "attacker.example"})
    assert response.status_code == 400  # a page elsewhere rebinding its name to this address gets nothing


def test_a_large_body_is_refused_before_it_is_read_and_a_signed_out_one_before_anything(client: TestClient) -> None:
    big = client.post("/login", content=b"x" * (3 * 1024 * 1024), headers={"Content-Type": "text/plain"})
    assert (big.status_code, big.json()) == (413, {"error": "the request is larger than 2 MiB"})
    signed_out = client.post("/logout", files={"file": ("a", b"x" * 1024)}, follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/login")


def test_one_plan_at_a_time(signed_in: Callable[..., TestClient], console: Console) -> None:
    client = signed_in("viewer")
    console._planning.acquire()
    try:
        busy = client.post("/api/services/orders/plan")
    finally:
        console._planning.release()
    assert (busy.status_code, busy.json()) == (
        429,
        {"error": "a plan is being made already; try again when it is done"},
    )


def test_an_id_token_for_another_client_or_nonce_is_not_believed() -> None:
    key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    issuer = "http://127.0.0.1:1/realms/r"
    oidc = OpenIdConnect(Provider(issuer, "dockyard-console", "s", "http://127.0.0.1/auth/callback"))
    oidc._metadata = {"issuer": issuer}
    oidc._keys = KeySet([key])
    now = int(time.time())
    good = {"iss": issuer, "aud": "dockyard-console", "sub": "ada", "exp": now + 60, "iat": now, "nonce": "n"}

    def signed(claims: dict[str, object], signing: RSAKey = key) -> str:
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, signing)

    assert oidc._verified(signed(good), "n")["sub"] == "ada"
    cases = {
        "another audience": {**good, "aud": "grafana"},
        "another issuer": {**good, "iss": "http://127.0.0.1:1/realms/other"},
        "expired": {**good, "exp": now - 120},
        "another party": {**good, "aud": ["grafana", "dockyard-console"], "azp": "grafana"},
        "no nonce": {k: v for k, v in good.items() if k != "nonce"},
    }
    for case, claims in cases.items():
        with pytest.raises(SignInFailed):
            oidc._verified(signed(claims), "n")
        assert case
    with pytest.raises(SignInFailed):
        oidc._verified(signed(good), "another nonce")
    access = {"iss": issuer, "exp": now + 60, "sub": "ci", "azp": "ci-bot", "aud": ["dockyard-console"]}
    access["groups"] = ["/dockyard/shop/editor"]
    assert oidc.bearer(signed(access)).teams == {"shop": "editor"}  # meant for the console by its audience
    for claims in ({**access, "aud": "account"}, {**access, "iss": "http://127.0.0.1:1/realms/o"}):
        with pytest.raises(SignInFailed):
            oidc.bearer(signed(claims))
    oidc._metadata = {"issuer": issuer, "jwks_uri": "http://127.0.0.1:1/certs"}  # a refetch finds no server
    with pytest.raises(SignInFailed, match="the identity provider cannot be asked"):
        oidc._verified(signed(good, RSAKey.generate_key(2048, parameters={"kid": "k1"})), "n")


def test_a_form_opened_before_someone_elses_change_does_not_undo_it(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    client = signed_in("editor")
    shown = dict(re.findall(r'name="(\w+)" value="([^"]*)"', client.get("/services/orders/edit").text))
    score = repo / "services/orders/score.yaml"
    score.write_text(score.read_text().replace("orders:1.4.2", "orders:2.0.0"))
    git(repo, "commit", "-qam", "someone else's change")
    fields = {k: shown[k] for k in ("name", "image", "port", "route_host", "route_path", "health_path", "base")}
    fields |= {"team": "shop", "database": "on", "csrf": shown["csrf"], "image": "ghcr.io/x/orders:1.1"}
    saved = client.post("/services/orders", data=fields)
    assert saved.status_code == 422
    assert "services/orders changed since this form was opened; reload it to see the change" in saved.text
    assert "orders:2.0.0" in score.read_text()


def test_saving_what_the_files_say_already_says_so(signed_in: Callable[..., TestClient]) -> None:
    client = signed_in("editor")
    body = {"name": "orders", "team": "shop", "image": "ghcr.io/dockyard-examples/orders:1.4.2", "port": 8080}
    body |= {"database": True, "route_host": "api", "route_path": "/orders", "health_path": "/readyz"}
    unchanged = client.put("/api/services/orders", json=body)
    assert (unchanged.status_code, unchanged.json()["errors"]) == (
        422,
        {"": ["nothing changed: the service's files already say this"]},
    )


HAND_WRITTEN = b"""apiVersion: score.dev/v1b1
metadata:
  name: pay
containers:
  main:
    image: ghcr.io/acme/pay:2.0
    variables: {PORT: 8080, MODE: live}
    readinessProbe:
      httpGet: {path: /ready, port: 8080}
    livenessProbe:
      httpGet: {port: 8080}
service:
  ports:
    http: {port: 80, targetPort: 8080}
"""


def test_a_new_port_takes_the_probes_with_it_and_numbers_stay_numbers() -> None:
    fields = current_fields("pay", {"score.yaml": HAND_WRITTEN})
    assert fields["health_path"] == "/ready"
    form, errors = parse_fields({**fields, "team": "shop", "variables": "PORT=8080\nMODE=live"})
    assert errors == []
    assert draft(form, {"score.yaml": HAND_WRITTEN}, "shop").files["services/pay/score.yaml"] == HAND_WRITTEN
    form, _ = parse_fields({**fields, "team": "shop", "port": "9000", "variables": "PORT=8080\nMODE=live"})
    changed = draft(form, {"score.yaml": HAND_WRITTEN}, "shop").files["services/pay/score.yaml"].decode()
    assert "httpGet: {path: /ready, port: 9000}" in changed and "httpGet: {port: 9000}" in changed


def test_a_job_has_no_port_route_or_health_check() -> None:
    _form, errors = parse_fields({**NEW, "runs": "when-started", "route_host": "billing"})
    assert {e.field for e in errors} == {"port", "route_host", "health_path"}
    assert errors[0].message == "a job runs to completion and has no port: clear it, or run always"


def test_files_the_form_cannot_change_are_said_to_be_so(signed_in: Callable[..., TestClient], repo: Path) -> None:
    score = repo / "services/worker/score.yaml"
    score.write_text(score.read_text().replace("containers:\n", "containers: []\nunused:\n", 1))
    git(repo, "commit", "-qam", "containers written as a list")
    client = signed_in("editor")  # the repo does not load now; a draft of the file must still not crash
    checked = client.post("/api/drafts", json={"name": "worker", "team": "shop", "image": "x:1"})
    assert checked.status_code == 200
    assert checked.json()["errors"][""] == [
        "services/worker/score.yaml: `containers` is not a mapping; the form cannot change it, change the file itself"
    ]


def test_job_actions_are_kept_to_the_jobs_team(client: TestClient, repo: Path) -> None:
    (repo / "services/nightly").mkdir()
    (repo / "services/nightly/score.yaml").write_text(
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: nightly\ncontainers:\n  main:\n    image: x:1\n"
    )
    (repo / "services/nightly/dockyard.yaml").write_text(
        "apiVersion: dockyard.dev/v1alpha1\nkind: ServiceSettings\njob: {}\n"
    )
    for role, team, expected in (("viewer", "shop", 403), ("editor", "other", 403), ("editor", "shop", 502)):
        sign_in(client, role=role, team=team)
        for method, path in (
            ("POST", "/api/jobs/nightly/runs"),
            ("POST", "/api/jobs/nightly/runs/nightly-run-1/cancel"),
            ("GET", "/api/jobs/nightly/runs/nightly-run-1/logs"),
        ):
            status = client.request(method, path).status_code
            assert status == expected, (role, team, method, path, status)  # 502: allowed, and no cluster here


def test_judging_a_draft_never_writes_into_the_repo(signed_in: Callable[..., TestClient], repo: Path) -> None:
    """The private copy links the repo's files where it can: the draft's files, and the callers' view
    of the services it calls, replace those links, never write through them."""
    from dockyard.console.form import current_fields
    from dockyard.console.state import files_digest

    before = {p: p.read_bytes() for p in sorted(repo.rglob("*")) if p.is_file() and ".git" not in p.parts}
    client = signed_in("editor")
    files = {
        name: (repo / "services" / "web" / name).read_bytes() for name in ("score.yaml", "dockyard.yaml", "nginx.conf")
    }
    fields = {**current_fields("web", files), "team": "shop", "base": files_digest(files)}
    fields["image"] = "ghcr.io/acme/web:9"
    live = client.post("/api/drafts", json=fields)  # web calls orders: orders is copied as its callers see it
    assert live.status_code == 200 and live.json()["ok"], live.text
    refused = client.put("/api/services/web", json={**fields, "port": 0})  # judged against the whole repo, refused
    assert refused.status_code == 422, refused.text
    after = {p: p.read_bytes() for p in sorted(repo.rglob("*")) if p.is_file() and ".git" not in p.parts}
    assert after == before
    assert git(repo, "status", "--porcelain") == ""
