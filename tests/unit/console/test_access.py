"""Every route names its access rule, and each rule holds: signed out, signed in with no role, viewer,
editor of another team, editor; CSRF on every unsafe method; security headers on every response;
a forged session is no session."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

from dockyard.console.auth import Access, Grants, Person, Role, Session, SessionCodec, from_groups
from dockyard.console.state import Console
from dockyard.console.web import COOKIE, HEADERS
from tests.unit.console.conftest import csrf_of, sign_in

RULES = {
    ("GET", "/healthz"): Access.PUBLIC,
    ("GET", "/login"): Access.PUBLIC,
    ("POST", "/login"): Access.PUBLIC,
    ("GET", "/auth/start"): Access.PUBLIC,
    ("GET", "/auth/callback"): Access.PUBLIC,
    ("POST", "/logout"): Access.VIEWER,
    ("GET", "/"): Access.VIEWER,
    ("GET", "/add"): Access.EDITOR,
    ("POST", "/drafts"): Access.EDITOR,
    ("POST", "/drafts/plan"): Access.EDITOR,
    ("POST", "/services"): Access.EDITOR,
    ("GET", "/services/{name}"): Access.VIEWER,
    ("POST", "/services/{name}/plan"): Access.VIEWER,
    ("GET", "/services/{name}/edit"): Access.EDITOR,
    ("POST", "/services/{name}"): Access.EDITOR,
    ("GET", "/jobs"): Access.VIEWER,
    ("POST", "/jobs/{name}/runs"): Access.EDITOR,
    ("POST", "/jobs/{name}/runs/{run}/cancel"): Access.EDITOR,
    ("GET", "/jobs/{name}/runs/{run}/logs"): Access.EDITOR,
    ("GET", "/api/jobs"): Access.VIEWER,
    ("POST", "/api/jobs/{name}/runs"): Access.EDITOR,
    ("POST", "/api/jobs/{name}/runs/{run}/cancel"): Access.EDITOR,
    ("GET", "/api/jobs/{name}/runs/{run}/logs"): Access.EDITOR,
    ("GET", "/api/openapi.json"): Access.VIEWER,
    ("GET", "/api/me"): Access.VIEWER,
    ("GET", "/api/services"): Access.VIEWER,
    ("GET", "/api/services/{name}"): Access.VIEWER,
    ("POST", "/api/services/{name}/plan"): Access.VIEWER,
    ("POST", "/api/drafts"): Access.EDITOR,
    ("POST", "/api/drafts/plan"): Access.EDITOR,
    ("POST", "/api/services"): Access.EDITOR,
    ("PUT", "/api/services/{name}"): Access.EDITOR,
}

TEAM_CHECKED = {
    ("/services", "POST"),
    ("/services/{name}/edit", "GET"),
    ("/services/{name}", "POST"),
    ("/api/services", "POST"),
    ("/api/services/{name}", "PUT"),
}
"""Editor routes that also ask for the service's own team (orders and the new service are shop's)."""


def _routes(client: TestClient) -> dict[tuple[str, str], Access]:
    found = {}
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, Mount):
            assert route.path == "/static"  # the only mount: files anyone may read
            continue
        assert isinstance(route, APIRoute), f"{route} is not a console route with a rule"
        rules = [getattr(d.dependency, "access", None) for d in route.dependencies]
        assert len(rules) == 1 and rules[0] is not None, f"{route.path} names no access rule"
        for method in route.methods:
            found[(method, route.path)] = rules[0]
    return found


def test_every_route_names_the_rule_this_test_expects(client: TestClient) -> None:
    assert _routes(client) == RULES


def _call(client: TestClient, method: str, path: str) -> int:
    url = path.replace("{name}", "orders").replace("{run}", "orders-run-1")
    body = {"name": "orders", "team": "shop", "image": "x"}
    if url.startswith("/api/"):
        response = client.request(method, url, json=body if method != "GET" else None)
    else:
        response = client.request(method, url, data=body if method != "GET" else None, follow_redirects=False)
    return response.status_code


@pytest.mark.parametrize("role", ["signed out", "no role", "viewer", "editor of another team", "editor", "admin"])
def test_each_rule_holds_for_each_kind_of_person(client: TestClient, role: str) -> None:
    if role == "no role":
        sign_in(client, role="viewer", team="")
    elif role == "editor of another team":
        sign_in(client, role="editor", team="billing")
    elif role != "signed out":
        sign_in(client, role=role.split()[0], team="shop")
    csrf = csrf_of(client)
    client.headers["X-CSRF-Token"] = csrf
    allowed = {
        "signed out": {Access.PUBLIC},
        "no role": {Access.PUBLIC},
        "viewer": {Access.PUBLIC, Access.VIEWER},
        "editor of another team": {Access.PUBLIC, Access.VIEWER, Access.EDITOR},
        "editor": {Access.PUBLIC, Access.VIEWER, Access.EDITOR},
        "admin": {Access.PUBLIC, Access.VIEWER, Access.EDITOR},
    }[role]
    for (method, path), access in RULES.items():
        if path in ("/logout", "/login") and method == "POST":
            continue  # they change the session itself; tried on their own below
        status = _call(client, method, path)
        if role == "editor of another team" and (path, method) in TEAM_CHECKED:
            assert status == 403, (role, method, path, status)  # the route's rule lets them in; the team's does not
        elif access not in allowed:
            expected = {401, 303} if role == "signed out" else {403}
            assert status in expected, (role, method, path, status)
        else:
            assert status not in (401, 403), (role, method, path, status)
    own_team_edit = _call(client, "GET", "/services/{name}/edit")
    assert (own_team_edit == 200) is (role in ("editor", "admin"))


def test_a_page_sends_a_signed_out_person_to_sign_in_and_back(client: TestClient) -> None:
    response = client.get("/services/orders", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/login?next=/services/orders")
    assert client.get("/api/services").json() == {"error": "sign in first"}
    form = client.get("/login?next=//evil.example/").text
    assert 'name="next" value="/"' in form  # never sent off to another site after signing in


def test_every_unsafe_request_needs_the_sessions_csrf_token(client: TestClient) -> None:
    sign_in(client, role="editor")
    token = client.headers.pop("X-CSRF-Token")
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        response = client.post("/api/drafts", json={"name": "x"}, headers=headers)
        assert response.status_code == 400
        assert response.json() == {"error": "the form has expired or did not come from this console; reload the page"}
        assert client.post("/logout", data={"csrf": "forged"}, headers=headers).status_code == 400
    assert client.post("/api/drafts", json={"name": "x"}, headers={"X-CSRF-Token": token}).status_code == 200


def test_login_needs_a_token_too_and_gives_a_new_one(client: TestClient) -> None:
    before = csrf_of(client)
    refused = client.post("/login", data={"name": "Eve", "email": "e@x", "role": "admin"}, follow_redirects=False)
    assert refused.status_code == 400
    sign_in(client, role="viewer")
    assert csrf_of(client, "/") != before  # a token seen before signing in is worth nothing after


def test_security_headers_on_every_response(client: TestClient) -> None:
    for path in ("/login", "/healthz", "/static/console.css", "/api/services", "/nope"):
        response = client.get(path)
        for name, value in HEADERS.items():
            assert response.headers.get(name) == value, (path, name)
    assert "script-src 'self'" in HEADERS["Content-Security-Policy"]
    assert "unsafe-inline" not in HEADERS["Content-Security-Policy"]


def test_the_session_cookie_is_http_only_and_a_forged_or_expired_one_is_no_session(client: TestClient) -> None:
    sign_in(client, role="admin")
    cookie = client.cookies[COOKIE]
    set_cookie = client.get("/login").headers.get("set-cookie") or ""
    assert set_cookie == "" or "HttpOnly" in set_cookie
    body, mac = cookie.split(".")
    codec: SessionCodec = client.app.state.codec  # type: ignore[attr-defined]
    forged = codec.encode(Session("t", Person("Eve", "e@x", admin=True), 1e12)).split(".")[0] + "." + mac
    expired = codec.encode(Session("t", Person("Eve", "e@x", admin=True), 1.0))
    other_key = SessionCodec().encode(Session("t", Person("Eve", "e@x", admin=True), 1e12))
    for value in (forged, body + ".AAAA", "garbage", "", expired, other_key):
        client.cookies.clear()
        client.cookies.set(COOKIE, value)
        assert client.get("/api/me").status_code == 401, value
    client.cookies.clear()
    client.cookies.set(COOKIE, cookie)
    assert client.get("/api/me").status_code == 200


def test_roles_come_from_the_tokens_groups() -> None:
    person = from_groups(
        "Ada",
        "ada@example.com",
        ["/dockyard/shop/editor", "dockyard:search:viewer", "dockyard:shop:viewer", "admins", "dockyard:Bad:editor"],
    )
    assert person.teams == {"shop": Role.EDITOR, "search": Role.VIEWER}
    assert not person.admin
    assert person.can_edit("shop") and not person.can_edit("search") and not person.can_edit(None)
    assert from_groups("Root", "r@x", ["dockyard:admin"]).can_edit(None)
    assert not from_groups("Nobody", "n@x", ["staff"]).can_view


def test_the_groups_the_layers_grant_a_team_are_its_editors_and_viewers_in_the_console(
    repo: Path, tmp_path: Path
) -> None:
    """The same SSO groups the cluster's RoleBindings name (`teams.<name>.editors`, `viewers`,
    `platformAdmins`) give the console's roles: one place says who may change a team's services."""
    with (repo / "platform.yaml").open("a") as platform:
        platform.write(
            "teams:\n  shop:\n    editors: [shop-developers]\n    viewers: [support]\n"
            "platformAdmins: [platform-admins]\n"
        )
    console = Console(repo, "local", recheck=0.0, kubeconfig=tmp_path / "none")
    grants = console.grants()
    assert grants == Grants(
        editors={"shop": ("shop-developers",)}, viewers={"shop": ("support",)}, admins=("platform-admins",)
    )
    assert from_groups("Ada", "a@x", ["shop-developers"], grants).teams == {"shop": Role.EDITOR}
    assert from_groups("Ada", "a@x", ["/shop-developers"], grants).teams == {
        "shop": Role.EDITOR
    }  # Keycloak's full path
    assert from_groups("Sam", "s@x", ["support", "shop-developers"], grants).teams == {"shop": Role.EDITOR}
    assert from_groups("Sam", "s@x", ["support"], grants).teams == {"shop": Role.VIEWER}
    assert from_groups("Pat", "p@x", ["platform-admins"], grants).admin
    assert not from_groups("Eve", "e@x", ["/other/shop-developers", "shop-developers-x"], grants).can_view
