"""The platform's sign-in in front of UIs without their own (Prometheus, Alertmanager), with the real
oauth2-proxy (built from its Go module at the version the pinned chart runs) configured as the
render configures it, and the real Keycloak with the client the keycloak-client task makes.

Envoy Gateway's external authorization sends oauth2-proxy each request's Host, method, path and the
headers the SecurityPolicy names, and lets the request through only on a 200; anything else goes
back to the browser as it is. The test sends what Envoy would send and follows what a browser
would do."""

from __future__ import annotations

import html
import os
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from dockyard.actions import chart_store
from dockyard.deploy import tasks
from dockyard.deploy.client import Connection
from dockyard.deploy.tasks import keycloak
from dockyard.localcluster import control_plane
from dockyard.render.bundle import Source, TaskRequest
from dockyard.render.components import identity, signin
from dockyard.render.platform import render_platform
from dockyard.render.task_points import NAMESPACES
from tests.charts import platform_of
from tests.helpers import free_port
from tests.peers import oauth2_proxy
from tests.standin_charts import complete_repo

HERE = Source("test.yaml")
PASSWORD = "a-long-test-password-1"


def _cookies(response: httpx.Response) -> dict[str, str]:
    """The cookies a response sets (name -> value), read from its headers: the browser here is
    the test, and oauth2-proxy's cookies are `Secure` for a domain, which a client on plain HTTP
    to loopback would never send back."""
    found = {}
    for header in response.headers.get_list("set-cookie"):
        name, _equals, rest = header.partition("=")
        found[name] = rest.split(";", 1)[0]
    return found


@pytest.fixture
def sign_in(
    tmp_path: Path, keycloak_url: str, local_cluster: control_plane.Running
) -> Iterator[tuple[str, str, str, dict]]:
    """oauth2-proxy as the render configures it, for a realm of its own in the real Keycloak (its
    client made by the platform's own tasks), with a person who may sign in. Only the addresses of
    Keycloak change: here it is on loopback, not at sso.<domain> and its in-cluster Service."""
    repo, _standins = complete_repo(tmp_path / "repo")
    platform = platform_of(repo)
    realm = f"signin-{uuid.uuid4().hex[:8]}"
    connection = Connection(local_cluster.kubeconfig, local_cluster.context)
    requests = [
        TaskRequest(spec.kind, spec.name, {**spec.data, **({"realm": realm} if "realm" in spec.data else {})}, HERE)
        for spec in identity.oauth2_proxy_tasks(platform)
    ]
    runner = tasks.runner(connection, requests, lambda _line: None, keycloak_url)
    runner.after(NAMESPACES)
    runner.after("platform-services")
    secret = tasks.common.read_secret(connection, identity.IDENTITY, identity.OAUTH2_PROXY_SECRET)
    admin_secret = tasks.common.read_secret(connection, identity.IDENTITY, identity.ADMIN_SECRET)
    assert secret is not None and admin_secret is not None
    admin = keycloak.Admin(
        httpx.Client(timeout=30),
        keycloak_url,
        admin_secret["KC_BOOTSTRAP_ADMIN_USERNAME"],
        admin_secret["KC_BOOTSTRAP_ADMIN_PASSWORD"],
    )
    person = {
        "username": "ada",
        "email": "ada@example.org",
        "emailVerified": True,
        "firstName": "Ada",
        "lastName": "Lovelace",
        "enabled": True,
        "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}],
    }
    admin.call("POST", f"/{realm}/users", json=person)

    arguments = dict(identity.oauth2_proxy_values(platform)["extraArgs"])
    local = f"{keycloak_url}/realms/{realm}/protocol/openid-connect"
    port = free_port()
    arguments.update(
        {
            "oidc-issuer-url": f"{keycloak_url}/realms/{realm}",
            "login-url": f"{local}/auth",
            "redeem-url": f"{local}/token",
            "oidc-jwks-url": f"{local}/certs",
            "http-address": f"127.0.0.1:{port}",
        }
    )
    # the chart's default configuration file names an upstream of its own; the flag must win
    config = tmp_path / "oauth2_proxy.cfg"
    config.write_text('email_domains = [ "*" ]\nupstreams = [ "file:///dev/null" ]\n')
    command = [str(oauth2_proxy()), *(f"--{key}={value}" for key, value in arguments.items()), f"--config={config}"]
    environment = {
        **os.environ,
        "OAUTH2_PROXY_CLIENT_ID": secret["client-id"],
        "OAUTH2_PROXY_CLIENT_SECRET": secret["client-secret"],
        "OAUTH2_PROXY_COOKIE_SECRET": secret["cookie-secret"],
    }
    log = (tmp_path / "oauth2-proxy.log").open("w")
    server = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/ping", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, (tmp_path / "oauth2-proxy.log").read_text()
            assert time.monotonic() < deadline, "oauth2-proxy did not start within 30 s"
            time.sleep(0.2)
        yield url, platform.domain, local, render_platform(platform, chart_store()).objects, (admin, realm)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def _grant(admin: keycloak.Admin, realm: str, username: str, client: str, role: str) -> None:
    """What a realm's administrator does in Keycloak: give a person a client's role."""
    (person,) = admin.call("GET", f"/{realm}/users", params={"username": username, "exact": "true"}).json()
    (found,) = admin.call("GET", f"/{realm}/clients", params={"clientId": client}).json()
    wanted = admin.call("GET", f"/{realm}/clients/{found['id']}/roles/{role}").json()
    admin.call("POST", f"/{realm}/users/{person['id']}/role-mappings/clients/{found['id']}", json=[wanted])


def test_a_ui_behind_the_sign_in_opens_only_for_someone_signed_in_with_its_role(sign_in: tuple) -> None:
    url, domain, keycloak_endpoints, objects, (admin, realm) = sign_in
    proxy = httpx.Client(base_url=url, follow_redirects=False, timeout=30)

    def external_authorization(path: str, cookies: dict[str, str] | None = None) -> httpx.Response:
        """What Envoy sends for a request to prometheus.<domain> (the SecurityPolicy's headers)."""
        headers = {"Host": f"prometheus.{domain}", "X-Forwarded-Proto": "https"}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        return proxy.get(path, headers=headers)

    def sign_in_with_keycloak() -> httpx.Response:
        """From a first request without a session to oauth2-proxy's answer on the callback."""
        # no session: a redirect to Keycloak's sign-in (not a 200, so Envoy hands it to the browser)
        first = external_authorization("/query?expr=up")
        assert first.status_code == 302, first.text
        login = first.headers["location"]
        assert login.startswith(f"{keycloak_endpoints}/auth?")
        asked = parse_qs(urlsplit(login).query)
        assert asked["client_id"] == ["oauth2-proxy"]
        assert asked["redirect_uri"] == [f"https://prometheus.{domain}/oauth2/callback"]  # back to this host
        csrf = _cookies(first)
        # for this host only: no Domain attribute, so services' routes under the same domain never get it
        assert first.headers.get_list("set-cookie")
        assert not any("domain=" in h.lower() for h in first.headers.get_list("set-cookie"))
        # the browser signs in with Keycloak, which sends it to /oauth2/callback on the same host; the
        # gateway checks that request with oauth2-proxy too, which redeems the code and answers (not 200)
        browser = httpx.Client(follow_redirects=False, timeout=30)
        page = browser.get(login)
        assert page.status_code == 200, page.text[:300]
        form = re.search(r'id="kc-form-login"[^>]*action="([^"]+)"', page.text)
        assert form is not None, page.text[:500]
        session_with_keycloak = "; ".join(f"{k}={v}" for k, v in _cookies(page).items())
        signed = browser.post(
            html.unescape(form[1]),
            data={"username": "ada", "password": PASSWORD},
            headers={"Cookie": session_with_keycloak},
        )
        assert signed.status_code == 302, signed.text[:500]
        callback = urlsplit(signed.headers["location"])
        assert f"{callback.scheme}://{callback.netloc}{callback.path}" == f"https://prometheus.{domain}/oauth2/callback"
        return external_authorization(f"{callback.path}?{callback.query}", csrf)

    # a person of the realm without the monitoring role is refused, and gets no session
    refused = sign_in_with_keycloak()
    assert refused.status_code == 403, refused.text[:500]
    assert not any(v for k, v in _cookies(refused).items() if k.startswith("_oauth2_proxy") and "csrf" not in k)

    _grant(admin, realm, "ada", identity.OAUTH2_PROXY_CLIENT, identity.MONITORING_ROLE)
    done = sign_in_with_keycloak()
    assert done.status_code == 302, done.text[:500]
    assert done.headers["location"] == "/query?expr=up"  # the page first asked for, on its own host
    session = {k: v for k, v in _cookies(done).items() if v}
    assert session
    assert not any("domain=" in h.lower() for h in done.headers.get_list("set-cookie"))

    # signed in: a 200 (Envoy admits nothing else), with who it is for the UI
    admitted = external_authorization("/query?expr=up", session)
    assert admitted.status_code == 200
    assert admitted.headers["x-auth-request-email"] == "ada@example.org"
    forged = {name: value[:-4] + "AAAA" for name, value in session.items()}
    assert external_authorization("/query?expr=up", forged).status_code == 302

    # oauth2-proxy answers its own paths with 200 to anyone: the route sends them to oauth2-proxy,
    # so they never reach the UI
    assert external_authorization("/ping").status_code == 200
    (route,) = [o.manifest for o in objects if o.kind == "HTTPRoute" and o.name == "prometheus"]
    first_rule = route["spec"]["rules"][0]
    assert first_rule["backendRefs"] == [{"name": signin.SERVICE, "namespace": identity.IDENTITY, "port": signin.PORT}]
    routed = {(m["path"]["type"], m["path"]["value"]) for m in first_rule["matches"]}
    assert {("Exact", "/ping"), ("Exact", "/ready"), ("PathPrefix", "/oauth2")} <= routed
