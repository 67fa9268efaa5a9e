"""The console's sign-in through the real Keycloak, in the distribution's Chromium: OpenID Connect's
authorization code with PKCE, roles from the ID token's group paths, a person with no role kept
out, and a callback that was not started here refused."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest

from dockyard.console.app import create_app
from dockyard.console.oidc import OpenIdConnect, Provider
from dockyard.console.serving import in_thread
from dockyard.console.state import Console
from dockyard.console.web import Settings
from dockyard.deploy import tasks
from dockyard.deploy.client import Connection
from dockyard.deploy.tasks import keycloak
from dockyard.localcluster import control_plane, readiness
from dockyard.render.components import identity
from tests.helpers import commit_all, copy_example, free_port

pytestmark = pytest.mark.browser
PASSWORD = "a-long-test-password-2"
SECRET = "console-client-secret-for-tests"


def _created_id(response: httpx2.Response) -> str:
    return response.headers["location"].rstrip("/").rsplit("/", 1)[1]


def _admin(connection: Connection, keycloak_url: str) -> keycloak.Admin:
    """Keycloak's admin API, with the password the ensure-secret task generated."""
    credentials = tasks.common.read_secret(connection, identity.IDENTITY, identity.ADMIN_SECRET)
    assert credentials is not None
    return keycloak.Admin(
        httpx2.Client(timeout=30),
        keycloak_url,
        credentials["KC_BOOTSTRAP_ADMIN_USERNAME"],
        credentials["KC_BOOTSTRAP_ADMIN_PASSWORD"],
    )


@pytest.fixture
def console_with_keycloak(
    tmp_path: Path, keycloak_url: str, local_cluster: control_plane.Running
) -> Iterator[tuple[str, str]]:
    """A realm of its own with the console's client, the group /dockyard/shop/editor, Ada in it and
    Bob in no group; the console served on loopback, signing people in there."""
    connection = Connection(local_cluster.kubeconfig, local_cluster.context)
    admin = _admin(connection, keycloak_url)
    realm = f"console-{uuid.uuid4().hex[:8]}"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    admin.call("POST", "", json={"realm": realm, "enabled": True})
    groups_mapper = {
        "name": "groups",
        "protocol": "openid-connect",
        "protocolMapper": "oidc-group-membership-mapper",
        "config": {"full.path": "true", "id.token.claim": "true", "access.token.claim": "true", "claim.name": "groups"},
    }
    client = {
        "clientId": "dockyard-console",
        "protocol": "openid-connect",
        "publicClient": False,
        "secret": SECRET,
        "redirectUris": [f"{url}/auth/callback"],
        "standardFlowEnabled": True,
        "directAccessGrantsEnabled": True,  # the bearer test asks for a token with a password
        "attributes": {"pkce.code.challenge.method": "S256"},
        "protocolMappers": [groups_mapper],
    }
    admin.call("POST", f"/{realm}/clients", json=client)
    parent = _created_id(admin.call("POST", f"/{realm}/groups", json={"name": "dockyard"}))
    team = _created_id(admin.call("POST", f"/{realm}/groups/{parent}/children", json={"name": "shop"}))
    editors = _created_id(admin.call("POST", f"/{realm}/groups/{team}/children", json={"name": "editor"}))
    for username, first, last, group in (("ada", "Ada", "Lovelace", editors), ("bob", "Bob", "Nobody", None)):
        person = {
            "username": username,
            "email": f"{username}@example.org",
            "emailVerified": True,
            "firstName": first,
            "lastName": last,
            "enabled": True,
            "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}],
        }
        user = _created_id(admin.call("POST", f"/{realm}/users", json=person))
        if group:
            admin.call("PUT", f"/{realm}/users/{user}/groups/{group}")
    repo = copy_example(tmp_path / "repo")
    commit_all(repo, "the example")
    issuer = f"{keycloak_url}/realms/{realm}"
    oidc = OpenIdConnect(Provider(issuer, "dockyard-console", SECRET, f"{url}/auth/callback"))
    app = create_app(Console(repo, "local"), Settings(dev_login=False, secure_cookies=False, oidc=oidc))
    with in_thread(app, port=port):
        yield url, issuer


def _sign_in(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/services/orders")
    assert page.url == f"{url}/login?next=/services/orders"
    assert page.locator("input[name=name]").count() == 0  # no development login here
    page.click("text=Sign in with the platform's identity provider")
    page.wait_for_selector("#username")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#kc-login")


def test_an_editor_signs_in_through_keycloak_and_lands_where_they_were_going(
    console_with_keycloak: tuple[str, str], page: Any
) -> None:
    url, _issuer = console_with_keycloak
    _sign_in(page, url, "ada")
    page.wait_for_url(f"{url}/services/orders")
    assert "Ada Lovelace" in page.text_content("header")
    assert page.locator("a.button:has-text('Change')").count() == 1  # an editor of the team shop
    me = page.request.get(f"{url}/api/me").json()
    assert me == {"name": "Ada Lovelace", "email": "ada@example.org", "admin": False, "teams": {"shop": "editor"}}


def test_a_person_with_no_role_is_kept_out(console_with_keycloak: tuple[str, str], page: Any) -> None:
    url, _issuer = console_with_keycloak
    _sign_in(page, url, "bob")
    page.wait_for_url(f"{url}/services/orders")
    assert "Bob Nobody has no role in the console" in page.text_content(".message")


def test_a_callback_that_was_not_started_here_is_refused(console_with_keycloak: tuple[str, str]) -> None:
    url, _issuer = console_with_keycloak
    with httpx.Client(base_url=url) as client:
        response = client.get("/auth/callback?code=stolen&state=guessed", headers={"Accept": "application/json"})
        assert response.status_code == 400
        assert "this sign-in was not started here or has expired; sign in again" in response.text
        assert client.get("/api/me").status_code == 401


def _token(issuer: str, username: str) -> str:
    form = {"grant_type": "password", "client_id": "dockyard-console", "client_secret": SECRET}
    form |= {"username": username, "password": PASSWORD, "scope": "openid"}
    response = httpx.post(f"{issuer}/protocol/openid-connect/token", data=form, timeout=30)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def test_the_json_api_takes_an_access_token_without_a_browser(console_with_keycloak: tuple[str, str]) -> None:
    url, issuer = console_with_keycloak
    with httpx.Client(base_url=url, timeout=30) as client:
        ada = {"Authorization": f"Bearer {_token(issuer, 'ada')}"}
        me = client.get("/api/me", headers=ada)
        assert me.json() == {
            "name": "Ada Lovelace",
            "email": "ada@example.org",
            "admin": False,
            "teams": {"shop": "editor"},
        }
        assert "set-cookie" not in me.headers  # no session is made for a token
        checked = client.post("/api/drafts", headers=ada, json={"name": "x", "team": "shop", "image": "y", "port": 0})
        assert checked.status_code == 200  # no CSRF token: nothing a browser sends by itself
        bob = client.get("/api/services", headers={"Authorization": f"Bearer {_token(issuer, 'bob')}"})
        assert bob.status_code == 403
        forged = client.get("/api/me", headers={"Authorization": "Bearer not-a-token"})
        assert forged.status_code == 401 and forged.json()["error"].startswith("the access token is not a signed token")
        page = client.get("/", headers=ada, follow_redirects=False)
        assert page.status_code == 303  # pages take sessions only


def test_the_consoles_client_made_by_its_component_signs_in_the_layers_team_editors(
    tmp_path: Path, keycloak_url: str, local_cluster: control_plane.Running, page: Any
) -> None:
    """The in-cluster console's own tasks (dockyard-console): its client secret generated in the
    cluster, its client made in the real Keycloak naming the person's groups, the groups the layers
    name made in the realm; a person put in `shop-developers` (the team's editors in the layers, as
    for the cluster's RoleBindings) signs in as an editor of shop."""
    from dockyard.render.bundle import Source, TaskRequest
    from dockyard.render.components import console as component
    from dockyard.render.task_points import NAMESPACES
    from tests.charts import platform_of
    from tests.helpers import ensure_namespace

    repo = copy_example(tmp_path / "repo")
    with (repo / "platform.yaml").open("a") as settings:
        settings.write("teams:\n  shop:\n    editors: [shop-developers]\n")
    commit_all(repo, "the example, with the team's editors")
    platform = platform_of(repo)
    realm, port = f"console-{uuid.uuid4().hex[:8]}", free_port()
    url = f"http://127.0.0.1:{port}"
    connection = Connection(local_cluster.kubeconfig, local_cluster.context)
    ensure_namespace(readiness.client(local_cluster.kubeconfig), component.NAMESPACE)
    requests = []
    for spec in component.console_tasks(platform):
        data = dict(spec.data)
        if spec.kind == "keycloak-client":
            data |= {"realm": realm, "redirectUris": [f"{url}/auth/callback"]}  # on loopback, not console.<domain>
        requests.append(TaskRequest(spec.kind, spec.name, data, Source("test.yaml")))
    runner = tasks.runner(connection, requests, lambda _line: None, keycloak_url)
    runner.after(NAMESPACES)
    runner.after("platform-services")
    secret = tasks.common.read_secret(connection, component.NAMESPACE, component.SECRET)
    assert secret is not None and len(secret["session-key"]) >= 32
    admin = _admin(connection, keycloak_url)
    group = admin.call("GET", f"/{realm}/groups", params={"search": "shop-developers", "exact": "true"}).json()[0]
    person = {
        "username": "grace",
        "email": "grace@example.org",
        "emailVerified": True,
        "firstName": "Grace",
        "lastName": "Hopper",
        "enabled": True,
        "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}],
    }
    user = _created_id(admin.call("POST", f"/{realm}/users", json=person))
    admin.call("PUT", f"/{realm}/users/{user}/groups/{group['id']}")
    issuer = f"{keycloak_url}/realms/{realm}"
    oidc = OpenIdConnect(Provider(issuer, component.CLIENT, secret["client-secret"], f"{url}/auth/callback"))
    app = create_app(Console(repo, "local"), Settings(dev_login=False, secure_cookies=False, oidc=oidc))
    with in_thread(app, port=port):
        _sign_in(page, url, "grace")
        page.wait_for_url(f"{url}/services/orders")
        me = page.request.get(f"{url}/api/me").json()
    assert me == {"name": "Grace Hopper", "email": "grace@example.org", "admin": False, "teams": {"shop": "editor"}}
