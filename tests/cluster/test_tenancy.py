"""Teams as a boundary, judged by the real API server's authorizer: the plain repo with two teams
(each service its own), applied with `teams` and `platformAdmins` set; then, for every group x
namespace x action, a SubjectAccessReview asks RBAC whether a member may (the answer the API
server gives a signed-in person of that group)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import re
import secrets
import shutil
import ssl
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from lightkube import Client
from lightkube.core.exceptions import ApiError
from lightkube.models.authorization_v1 import ResourceAttributes, SubjectAccessReviewSpec
from lightkube.resources.authorization_v1 import SubjectAccessReview
from lightkube.resources.core_v1 import LimitRange, Namespace, ResourceQuota

from dockyard.deploy import tasks
from dockyard.deploy.client import Connection
from dockyard.deploy.tasks import keycloak as keycloak_task
from dockyard.localcluster import control_plane
from dockyard.localcluster.layout import Layout
from dockyard.render.bundle import Source, TaskRequest
from dockyard.render.components import identity
from tests.charts import platform_of
from tests.cluster.commands import dockyard
from tests.cluster.conftest import Keycloak
from tests.helpers import replace, write

PLAIN = Path(__file__).parent / "repos" / "plain"
HERE = Source("test.yaml")


@pytest.fixture
def teams(tmp_path: Path, api: Client) -> Iterator[tuple[Path, str, str]]:
    """The plain repo: service api in team `<a>`, client in team `<b>`, each with its groups."""
    a, b = f"ta{uuid.uuid4().hex[:8]}", f"tb{uuid.uuid4().hex[:8]}"
    root = tmp_path / "repo"
    shutil.copytree(PLAIN, root)
    replace(root, "platform.yaml", "name: plain", f"name: {a}")
    replace(root, "platform.yaml", "team: plain", f"team: {a}")
    settings = f"apiVersion: dockyard.dev/v1alpha1\nkind: ServiceSettings\nteam: {b}\n"
    write(root, "services/client/dockyard.yaml", settings)
    with (root / "services" / "api" / "dockyard.yaml").open("a") as api_settings:
        api_settings.write(f"callers: [{b}]\n")  # client, of team b, depends on api
    with (root / "platform.yaml").open("a") as platform:
        platform.write(
            "teams:\n"
            f"  {a}:\n    editors: [{a}-developers]\n    viewers: [support]\n"
            "    quota: {pods: '20', limits.memory: 8Gi}\n"
            "    limits: {default: {memory: 128Mi}, defaultRequest: {cpu: 50m, memory: 64Mi}}\n"
            f"  {b}:\n    editors: [{b}-developers]\n"
            f"platformAdmins: [{a}-platform-admins]\n"
        )
    yield root, a, b
    for namespace in (a, b):
        with contextlib.suppress(ApiError):
            api.delete(Namespace, namespace)


def _may(api: Client, group: str, verb: str, resource: str, namespace: str | None, api_group: str = "") -> bool:
    review = SubjectAccessReview(
        spec=SubjectAccessReviewSpec(
            user=f"someone-of-{group}",
            groups=[group, "system:authenticated"],
            resourceAttributes=ResourceAttributes(verb=verb, resource=resource, namespace=namespace, group=api_group),
        )
    )
    answer = api.create(review)
    return bool(answer.status and answer.status.allowed)


def test_each_team_edits_its_own_namespaces_only_and_admins_everything(
    teams: tuple[Path, str, str], local_cluster: control_plane.Running, api: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    root, a, b = teams
    applied = dockyard(capsys, local_cluster, "apply", str(root), "-c", "local", "--yes", "--timeout", "120")
    assert applied.code == 0, applied.err
    assert api.get(ResourceQuota, "team-quota", namespace=a).spec.hard == {"pods": "20", "limits.memory": "8Gi"}
    assert api.get(LimitRange, "team-limits", namespace=a).spec.limits[0].default == {"memory": "128Mi"}

    actions = [
        ("create", "deployments", "apps"),
        ("delete", "services", ""),
        ("get", "secrets", ""),
        ("list", "pods", ""),
    ]
    matrix = {}
    for group in (f"{a}-developers", f"{b}-developers", "support", f"{a}-platform-admins", "nobody"):
        for namespace in (a, b, "kube-system"):
            for verb, resource, api_group in actions:
                matrix[(group, namespace, verb, resource)] = _may(api, group, verb, resource, namespace, api_group)
    expected = {}
    for group, namespace, verb, resource in matrix:
        if group == f"{a}-platform-admins":
            allowed = True
        elif group == f"{a}-developers":
            allowed = namespace == a
        elif group == f"{b}-developers":
            allowed = namespace == b
        elif group == "support":  # view in team a: reads, but never Secrets, and changes nothing
            allowed = namespace == a and verb in ("get", "list") and resource != "secrets"
        else:
            allowed = False
        expected[(group, namespace, verb, resource)] = allowed
    wrong = {key: value for key, value in matrix.items() if value != expected[key]}
    assert wrong == {}, wrong
    for group in (f"{a}-developers", f"{b}-developers", "support"):  # nobody but admins changes the cluster's scope
        assert not _may(api, group, "delete", "namespaces", None)
        assert not _may(api, group, "create", "clusterrolebindings", None, "rbac.authorization.k8s.io")
    assert _may(api, f"{a}-platform-admins", "delete", "namespaces", None)


PASSWORD = "a-long-test-password-1"


def _group(admin: keycloak_task.Admin, realm: str, path: str) -> str:
    """The id of the group at `path` (`/a` or `/a/b`), made when missing."""
    parent = ""
    for name in path.strip("/").split("/"):
        where = f"/{realm}/groups/{parent}/children" if parent else f"/{realm}/groups"
        found = [
            g for g in admin.call("GET", where, params={"search": name, "exact": "true"}).json() if g["name"] == name
        ]
        if not found:
            admin.call("POST", where, json={"name": name})
            found = [
                g
                for g in admin.call("GET", where, params={"search": name, "exact": "true"}).json()
                if g["name"] == name
            ]
        parent = found[0]["id"]
    return parent


def _person(admin: keycloak_task.Admin, realm: str, username: str, groups: list[str]) -> None:
    """A person in the realm, put in `groups` (paths) by hand (membership is the realm's people's business)."""
    person = {
        "username": username,
        "email": f"{username}@example.org",
        "emailVerified": True,
        "firstName": username.title(),
        "lastName": "Tester",
        "enabled": True,
        "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}],
    }
    admin.call("POST", f"/{realm}/users", json=person)
    user_id = admin.call("GET", f"/{realm}/users", params={"username": username, "exact": "true"}).json()[0]["id"]
    for group in groups:
        admin.call("PUT", f"/{realm}/users/{user_id}/groups/{_group(admin, realm, group)}")


def _id_token(issuer: str, ca: str, username: str) -> str:
    """What kubelogin does: the authorization code flow with PKCE for the kubectl client, the sign-in
    form filled as a browser would, the code taken from the redirect to its loopback callback."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    endpoint = f"{issuer}/protocol/openid-connect"
    callback = identity.KUBECTL_CALLBACKS[0]
    with httpx.Client(verify=ssl.create_default_context(cadata=ca), timeout=30) as http:
        form = http.get(
            f"{endpoint}/auth",
            params={
                "client_id": identity.KUBERNETES_CLIENT,
                "response_type": "code",
                "scope": "openid",
                "redirect_uri": callback,
                "state": secrets.token_urlsafe(8),
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
        )
        assert form.status_code == 200, form.text[:500]
        action = re.search(r'<form[^>]*action="([^"]+)"', form.text)
        assert action is not None, form.text[:500]
        answer = http.post(html.unescape(action.group(1)), data={"username": username, "password": PASSWORD})
        assert answer.status_code == 302, answer.text[:500]
        location = answer.headers["location"]
        assert location.startswith(callback), location
        code = parse_qs(urlsplit(location).query)["code"][0]
        tokens = http.post(
            f"{endpoint}/token",
            data={
                "grant_type": "authorization_code",
                "client_id": identity.KUBERNETES_CLIENT,
                "code": code,
                "redirect_uri": callback,
                "code_verifier": verifier,
            },
        )
        assert tokens.status_code == 200, tokens.text
        return str(tokens.json()["id_token"])


def _as(server: str, ca: Path, token: str, method: str, path: str, body: dict[str, Any] | None = None) -> int:
    """The status the API server answers a request signed with `token`."""
    headers = {"Authorization": f"Bearer {token}"}
    response = httpx.request(
        method, f"{server}{path}", headers=headers, json=body, verify=ssl.create_default_context(cafile=ca), timeout=30
    )
    return response.status_code


def _signed_in_as(server: str, ca: Path, token: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    review = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    response = httpx.post(
        f"{server}/apis/authentication.k8s.io/v1/selfsubjectreviews",
        headers=headers,
        json=review,
        verify=ssl.create_default_context(cafile=ca),
        timeout=30,
    )
    if response.status_code != 201:
        return {"code": response.status_code}
    return {"code": response.status_code, **response.json()["status"]["userInfo"]}


def test_people_signed_in_with_the_platforms_sso_reach_their_teams_namespaces_only(
    teams: tuple[Path, str, str],
    local_cluster: control_plane.Running,
    keycloak: Keycloak,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The whole path with real parts: the render's kubectl client task against the real Keycloak,
    the API server trusting its realm as the render's authenticator says (over HTTPS), people signed
    in with the authorization code flow, and every request of theirs answered by the real API server."""
    root, a, b = teams
    applied = dockyard(capsys, local_cluster, "apply", str(root), "-c", "local", "--yes", "--timeout", "120")
    assert applied.code == 0, applied.err
    platform = platform_of(root)
    realm = f"kube-{uuid.uuid4().hex[:8]}"
    connection = Connection(local_cluster.kubeconfig, local_cluster.context)
    spec = identity.kubernetes_client_task(platform)
    assert spec.data["groups"] == sorted([f"{a}-developers", "support", f"{b}-developers", f"{a}-platform-admins"])
    runner = tasks.runner(
        connection, [TaskRequest(spec.kind, spec.name, {**spec.data, "realm": realm}, HERE)], print, keycloak.url
    )
    runner.after("platform-services")
    credentials = tasks.common.read_secret(connection, identity.IDENTITY, identity.ADMIN_SECRET)
    assert credentials is not None
    admin = keycloak_task.Admin(
        httpx.Client(timeout=30),
        keycloak.url,
        credentials["KC_BOOTSTRAP_ADMIN_USERNAME"],
        credentials["KC_BOOTSTRAP_ADMIN_PASSWORD"],
    )
    people = {
        "alice": [f"/{a}-developers"],
        "bob": [f"/{b}-developers"],
        "sam": ["/support"],
        "pat": [f"/{a}-platform-admins"],
        "nora": [],
        "trudy": [f"/partners/{a}-platform-admins"],  # a subgroup named like the admins': never admin
        "mallory": ["/system:masters"],  # a realm admin's mistake, or worse: never cluster-admin
    }
    for username, groups in people.items():
        _person(admin, realm, username, groups)
    issuer = f"{keycloak.tls_url}/realms/{realm}"
    cluster_ca = Layout(local_cluster.name).pki / "ca.crt"
    server = local_cluster.server
    try:
        control_plane.trust_issuers(local_cluster.name, [identity.api_server_authenticator(issuer, keycloak.ca)])
        first = _id_token(issuer, keycloak.ca, "alice")
        deadline = time.monotonic() + 120
        while _signed_in_as(server, cluster_ca, first)["code"] != 201:  # the API server reloads its file
            assert time.monotonic() < deadline, "the API server did not trust the realm within 120 s"
            time.sleep(2)
        tokens = {username: _id_token(issuer, keycloak.ca, username) for username in people}
        alice = _signed_in_as(server, cluster_ca, tokens["alice"])
        assert (alice["username"], alice["groups"]) == ("sso:alice", [f"{a}-developers", "system:authenticated"])
        assert _signed_in_as(server, cluster_ca, tokens["trudy"])["groups"] == ["system:authenticated"]
        assert _signed_in_as(server, cluster_ca, tokens["mallory"])["code"] == 401

        config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "probe"}}
        actions = {
            "list pods": ("GET", "/api/v1/namespaces/{ns}/pods", None),
            "list secrets": ("GET", "/api/v1/namespaces/{ns}/secrets", None),
            "create configmap": ("POST", "/api/v1/namespaces/{ns}/configmaps?dryRun=All", config_map),
            "delete deployment": ("DELETE", "/apis/apps/v1/namespaces/{ns}/deployments/api?dryRun=All", None),
        }
        answers = {}
        for username, token in tokens.items():
            for namespace in (a, b, "kube-system"):
                for action, (method, path, body) in actions.items():
                    answers[(username, namespace, action)] = _as(
                        server, cluster_ca, token, method, path.format(ns=namespace), body
                    )
        expected = {}
        for username, namespace, action in answers:
            if username == "mallory":
                code = 401  # refused at sign-in: the authenticator's rule on system: groups
            elif username == "pat" or (username, namespace) in (("alice", a), ("bob", b)):
                code = 200 if action != "create configmap" else 201
                if action == "delete deployment" and namespace != a:
                    code = 404  # allowed; only team a runs a Deployment `api`
            elif username == "sam" and namespace == a and action == "list pods":
                code = 200  # view: reads, but never Secrets, and changes nothing
            else:
                code = 403
            expected[(username, namespace, action)] = code
        wrong = {key: (value, expected[key]) for key, value in answers.items() if value != expected[key]}
        assert wrong == {}, wrong
    finally:
        control_plane.trust_issuers(local_cluster.name, [])
        fresh = keycloak_task.Admin(  # the first admin token has expired by now (a minute's lifetime)
            httpx.Client(timeout=30),
            keycloak.url,
            credentials["KC_BOOTSTRAP_ADMIN_USERNAME"],
            credentials["KC_BOOTSTRAP_ADMIN_PASSWORD"],
        )
        fresh.call("DELETE", f"/{realm}")
