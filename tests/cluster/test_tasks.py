"""Lifecycle tasks against the real API server (and, for Keycloak, a real Keycloak on loopback):
idempotent, never replacing a value that exists, and stopping the apply when one fails."""

from __future__ import annotations

import base64
import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from lightkube import Client
from lightkube.core.exceptions import ApiError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import Namespace, Secret

from dockyard.deploy import tasks
from dockyard.deploy.apply import apply
from dockyard.deploy.client import Connection
from dockyard.deploy.plan import plan
from dockyard.deploy.tasks import keycloak
from dockyard.deploy.tasks.common import TaskFailed
from dockyard.localcluster import control_plane
from dockyard.render.bundle import Bundle, Rendered, Source, TaskRequest, obj
from dockyard.render.components.identity import admin_secret_task
from dockyard.render.task_points import NAMESPACES
from tests.cluster.commands import writes_during
from tests.helpers import ensure_namespace

PROJECT = Path(__file__).resolve().parents[2]
HERE = Source("test.yaml")


def _connection(cluster: control_plane.Running) -> Connection:
    return Connection(cluster.kubeconfig, cluster.context)


def _run(cluster: control_plane.Running, point: str, *requests: TaskRequest) -> list[str]:
    runner = tasks.runner(_connection(cluster), list(requests), lambda _line: None)
    runner.after(point)
    return runner.done


@pytest.fixture
def namespaces(api: Client) -> Iterator[tuple[str, str]]:
    names = (f"t-{uuid.uuid4().hex[:8]}", f"t-{uuid.uuid4().hex[:8]}")
    for name in names:
        api.create(Namespace(metadata=ObjectMeta(name=name)))
    yield names
    for name in names:
        with contextlib.suppress(Exception):
            api.delete(Namespace, name)


def _values(api: Client, namespace: str, name: str) -> dict[str, str]:
    secret = api.get(Secret, name, namespace=namespace)
    return {k: base64.b64decode(v).decode() for k, v in (secret.data or {}).items()}


def test_ensure_secret_generates_once_copies_and_restores(
    local_cluster: control_plane.Running, api: Client, namespaces: tuple[str, str]
) -> None:
    first, second = namespaces
    request = TaskRequest(
        "ensure-secret",
        "store",
        {
            "name": "store",
            "namespaces": [first, second],
            "keys": {
                "user": {"value": "dockyard"},
                "password": {"generate": "password"},
                "copy": {"sameAs": "password"},
            },
        },
        HERE,
    )
    assert _run(local_cluster, NAMESPACES, request) == [f"task ensure-secret store: {first} created, {second} created"]
    made = _values(api, first, "store")
    assert made["user"] == "dockyard"
    assert len(made["password"]) == 32
    assert made["copy"] == made["password"]
    assert _values(api, second, "store") == made

    writes = writes_during(local_cluster, lambda: _run(local_cluster, NAMESPACES, request))
    assert writes == []  # idempotent: read, compare, nothing written

    copy = api.get(Secret, "store", namespace=second)
    api.patch(Secret, "store", {"data": {"password": None}}, namespace=second)
    assert copy.data["password"]
    assert _run(local_cluster, NAMESPACES, request) == [
        f"task ensure-secret store: {first} unchanged, {second} updated"
    ]
    assert _values(api, second, "store") == made
    assert "password" not in str(_run(local_cluster, NAMESPACES, request))  # values never in what tasks say


def test_ensure_secret_labels_its_secrets_for_the_software_that_reads_them(
    local_cluster: control_plane.Running, api: Client, namespaces: tuple[str, str]
) -> None:
    """Argo CD resolves `$<secret>:<key>` only in Secrets labelled as its own: the label is set on
    a new Secret and added to one that exists without it, its values kept."""
    first, _second = namespaces
    plain = {"name": "oidc", "namespaces": [first], "keys": {"client-secret": {"generate": "password"}}}
    assert _run(local_cluster, NAMESPACES, TaskRequest("ensure-secret", "oidc", plain, HERE)) == [
        f"task ensure-secret oidc: {first} created"
    ]
    made = _values(api, first, "oidc")
    labelled = TaskRequest("ensure-secret", "oidc", {**plain, "labels": {"app.kubernetes.io/part-of": "argocd"}}, HERE)
    assert _run(local_cluster, NAMESPACES, labelled) == [f"task ensure-secret oidc: {first} updated"]
    secret = api.get(Secret, "oidc", namespace=first)
    assert secret.metadata.labels == {"app.kubernetes.io/managed-by": "dockyard", "app.kubernetes.io/part-of": "argocd"}
    assert _values(api, first, "oidc") == made
    assert writes_during(local_cluster, lambda: _run(local_cluster, NAMESPACES, labelled)) == []


def test_restart_rolls_a_workload_once_per_change(
    local_cluster: control_plane.Running, api: Client, namespaces: tuple[str, str]
) -> None:
    namespace = namespaces[0]
    request = TaskRequest(
        "restart",
        "grafana",
        {
            "target": {"kind": "Deployment", "namespace": namespace, "name": "grafana"},
            "when": {"kind": "Deployment", "namespace": namespace, "name": "proxy"},
        },
        HERE,
    )
    assert _run(local_cluster, "platform-services", request) == [
        f"task restart grafana: Deployment {namespace}/proxy does not exist: nothing to restart for"
    ]
    for name in ("proxy", "grafana"):
        api.create(_deployment(name, namespace))
    assert _run(local_cluster, "platform-services", request) == [
        f"task restart grafana: Deployment {namespace}/grafana restarted"
    ]
    assert _run(local_cluster, "platform-services", request) == [
        f"task restart grafana: Deployment {namespace}/grafana already restarted for this change"
    ]
    api.patch(Deployment, "proxy", {"spec": {"replicas": 2}}, namespace=namespace)
    assert _run(local_cluster, "platform-services", request)[0].endswith("grafana restarted")


def _deployment(name: str, namespace: str) -> Deployment:
    manifest = obj(
        "apps/v1",
        "Deployment",
        name,
        namespace,
        spec={
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": "registry.example.org/app:1.0.0"}]},
            },
        },
    )
    return Deployment.from_dict(manifest)


def test_a_failing_task_stops_the_apply_before_the_next_stage(
    local_cluster: control_plane.Running,
    api: Client,
    namespaces: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    namespace = namespaces[0]
    monkeypatch.setattr(keycloak, "READY_WITHIN", 1.0)
    connection = _connection(local_cluster)
    secret = TaskRequest("ensure-secret", "keycloak-admin", admin_secret_task().data, HERE)
    client = TaskRequest("keycloak-client", "orders", {"realm": "shop", "clientId": "orders", "scopes": {}}, HERE)
    service = Rendered(_deployment("orders", namespace).to_dict(), "services", HERE)
    networking = Rendered(obj("v1", "ConfigMap", "settings", namespace, data={"a": "b"}), "platform-networking", HERE)
    bundle = Bundle.of([service, networking], [secret, client])
    ensure_namespace(api, "dockyard-identity")
    changes = plan(connection, bundle, set())
    runner = tasks.runner(connection, bundle.tasks, lambda _line: None, "http://127.0.0.1:9")
    with pytest.raises(TaskFailed) as failed:
        apply(connection, changes, f"tasks-{namespace}", {}, after=runner.after, timeout=30)
    assert str(failed.value).startswith(
        "task keycloak-client orders (from test.yaml) failed: Keycloak did not answer within 1 s ("
    )
    assert str(failed.value).endswith(
        "  the objects applied so far stay; fix the cause and apply again (tasks are idempotent)"
    )
    with pytest.raises(ApiError, match="not found"):
        api.get(Deployment, "orders", namespace=namespace)  # the services stage never started
    assert api.get(Secret, "keycloak-admin", namespace="dockyard-identity").data


def _admin(url: str, connection: Connection) -> keycloak.Admin:
    admin = tasks.common.read_secret(connection, "dockyard-identity", "keycloak-admin") or {}
    return keycloak.Admin(
        httpx.Client(timeout=30), url, admin["KC_BOOTSTRAP_ADMIN_USERNAME"], admin["KC_BOOTSTRAP_ADMIN_PASSWORD"]
    )


def test_keycloak_gets_the_realm_scopes_and_clients_once(
    keycloak_url: str, local_cluster: control_plane.Running, api: Client, namespaces: tuple[str, str]
) -> None:
    namespace = namespaces[0]
    connection = _connection(local_cluster)
    data = {
        "realm": "shop",
        "clientId": "orders",
        "title": "Orders",
        "scopes": {"orders:read": "Read orders"},
        "secretTo": {"namespace": namespace, "name": "orders-oidc", "key": "client-secret"},
    }

    def run(request_data: dict) -> list[str]:
        request = TaskRequest("keycloak-client", "orders", request_data, HERE)
        runner = tasks.runner(connection, [request], lambda _line: None, keycloak_url)
        runner.after("platform-services")
        return runner.done

    assert run(data) == [
        "task keycloak-client orders: realm shop created, scope orders:read created, client orders created, "
        f"scope orders:read offered, Secret {namespace}/orders-oidc created"
    ]
    admin = _admin(keycloak_url, connection)
    (client,) = admin.call("GET", "/shop/clients", params={"clientId": "orders"}).json()
    assert client["serviceAccountsEnabled"] is True and client["publicClient"] is False
    issued = admin.call("GET", f"/shop/clients/{client['id']}/client-secret").json()["value"]
    assert _values(api, namespace, "orders-oidc") == {"client-id": "orders", "client-secret": issued}
    assert run(data) == ["task keycloak-client orders: unchanged"]

    more = {**data, "scopes": {"orders:read": "Read orders", "orders:write": "Change orders"}, "title": "Order API"}
    assert run(more) == [
        "task keycloak-client orders: scope orders:write created, client orders updated (name), "
        "scope orders:write offered"
    ]
    offered = admin.call("GET", f"/shop/clients/{client['id']}/optional-client-scopes").json()
    assert {s["name"] for s in offered} >= {"orders:read", "orders:write"}


def _token(url: str, realm: str, client: str, secret: str, scope: str | None = None) -> dict:
    """The claims of an access token the client gets with its own credentials (client credentials)."""
    form = {"grant_type": "client_credentials", "client_id": client, "client_secret": secret}
    if scope:
        form["scope"] = scope
    response = httpx.post(f"{url}/realms/{realm}/protocol/openid-connect/token", data=form, timeout=30)
    assert response.status_code == 200, response.text
    payload = response.json()["access_token"].split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _audiences(claims: dict) -> set[str]:
    audience = claims.get("aud", [])
    return {audience} if isinstance(audience, str) else set(audience)


def test_callers_get_exactly_the_scopes_they_declare_and_only_their_apis_audience(
    keycloak_url: str, local_cluster: control_plane.Running, api: Client, namespaces: tuple[str, str]
) -> None:
    """Two APIs and two callers in one realm: each caller's tokens carry the scopes it was granted,
    none other, and only the audience of the API it calls, so the other API's mesh check refuses them."""
    namespace = namespaces[0]
    connection = _connection(local_cluster)

    def client(name: str, **data: object) -> TaskRequest:
        secret = {"namespace": namespace, "name": f"{name}-oidc", "key": "client-secret"}
        return TaskRequest(
            "keycloak-client", name, {"realm": "grants", "clientId": name, "secretTo": secret, **data}, HERE
        )

    def run(*requests: TaskRequest) -> list[str]:
        runner = tasks.runner(connection, list(requests), lambda _line: None, keycloak_url)
        runner.after("platform-services")
        return runner.done

    apis = [
        client("invoices", scopes={"invoices:read": "Read", "invoices:write": "Write"}, audience="invoices"),
        client("ledger", scopes={"ledger:read": "Read"}, audience="ledger"),
    ]
    billing = client("billing", grants={"invoices": ["invoices:write"]})
    auditor = client("auditor", grants={"ledger": ["ledger:read"]})
    run(billing, auditor, *apis)  # callers first: their scopes exist before the APIs' tasks fill them in

    def secret(name: str) -> str:
        return _values(api, namespace, f"{name}-oidc")["client-secret"]

    claims = _token(keycloak_url, "grants", "billing", secret("billing"))
    assert "invoices:write" in claims["scope"].split()
    assert not {"invoices:read", "ledger:read"} & set(claims["scope"].split())
    assert "invoices" in _audiences(claims) and "ledger" not in _audiences(claims)
    asked_for_more = httpx.post(
        f"{keycloak_url}/realms/grants/protocol/openid-connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "billing",
            "client_secret": secret("billing"),
            "scope": "invoices:read",
        },
        timeout=30,
    )
    assert (asked_for_more.status_code, asked_for_more.json()["error"]) == (400, "invalid_scope")
    other = _token(keycloak_url, "grants", "auditor", secret("auditor"))
    assert "ledger:read" in other["scope"].split() and _audiences(other) & {"invoices"} == set()

    # what was granted and is no longer asked for is revoked
    assert run(client("billing", grants={"invoices": ["invoices:read"]})) == [
        "task keycloak-client billing: scope invoices:read granted, scope invoices:write revoked"
    ]
    again = _token(keycloak_url, "grants", "billing", secret("billing"))
    assert "invoices:read" in again["scope"].split() and "invoices:write" not in again["scope"].split()
    assert run(client("billing", grants={"invoices": ["invoices:read"]}), *apis) == [
        "task keycloak-client billing: unchanged",
        "task keycloak-client invoices: unchanged",
        "task keycloak-client ledger: unchanged",
    ]


def test_what_is_no_longer_asked_for_is_taken_away(
    keycloak_url: str, local_cluster: control_plane.Running, api: Client, namespaces: tuple[str, str]
) -> None:
    """A caller that stops calling an API loses its audience; a client the render no longer names
    is removed (only those this cluster made); a client scope Dockyard did not make is never taken over."""
    namespace = namespaces[0]
    connection = _connection(local_cluster)

    def client(name: str, **data: object) -> TaskRequest:
        secret = {"namespace": namespace, "name": f"{name}-oidc", "key": "client-secret"}
        return TaskRequest(
            "keycloak-client", name, {"realm": "prune", "clientId": name, "secretTo": secret, **data}, HERE
        )

    def prune(*clients: str, owner: str = "shop-local") -> TaskRequest:
        return TaskRequest(
            "keycloak-prune", "prune", {"realm": "prune", "owner": owner, "clients": list(clients)}, HERE
        )

    def run(*requests: TaskRequest) -> list[str]:
        runner = tasks.runner(connection, list(requests), lambda _line: None, keycloak_url)
        runner.after("platform-services")
        return runner.done

    reports = client("reports", scopes={"reports:read": "Read"}, audience="reports")
    viewer = client("viewer", grants={"reports": ["reports:read"]})
    run(reports, viewer, prune("reports", "viewer"))
    secret = _values(api, namespace, "viewer-oidc")["client-secret"]
    assert "reports" in _audiences(_token(keycloak_url, "prune", "viewer", secret))

    # the caller stops asking: its scope and the API's audience go
    assert run(client("viewer", grants={}), prune("reports", "viewer")) == [
        "task keycloak-client viewer: scope reports:read revoked, client drops audience reports",
        "task keycloak-prune prune: unchanged",
    ]
    claims = _token(keycloak_url, "prune", "viewer", secret)
    assert "reports" not in _audiences(claims) and "reports:read" not in claims.get("scope", "").split()

    # a client is removed once no cluster names it; one made by hand is never touched
    admin = _admin(keycloak_url, connection)
    admin.call("POST", "/prune/clients", json={"clientId": "made-by-hand", "protocol": "openid-connect"})
    assert run(prune("reports", "viewer", owner="shop-other")) == [
        "task keycloak-prune prune: client reports marked, client viewer marked"
    ]
    assert run(prune("reports")) == ["task keycloak-prune prune: client viewer unmarked"]  # shop-other names it
    assert run(prune("reports", owner="shop-other")) == ["task keycloak-prune prune: client viewer removed"]
    left = {c["clientId"] for c in admin.call("GET", "/prune/clients").json()}
    assert "viewer" not in left and {"reports", "made-by-hand"} <= left
    assert run(prune("reports"), prune("reports", owner="shop-other")) == [
        "task keycloak-prune prune: unchanged",
        "task keycloak-prune prune: unchanged",
    ]

    # a scope of the same name that Dockyard did not make
    admin.call("POST", "/prune/client-scopes", json={"name": "audit:read", "protocol": "openid-connect"})
    with pytest.raises(TaskFailed) as refused:
        run(client("audit", scopes={"audit:read": "Read"}, audience="audit"))
    assert "realm prune has a client scope audit:read that Dockyard did not make" in str(refused.value)


def test_a_ui_client_takes_its_secret_from_the_cluster(
    keycloak_url: str, local_cluster: control_plane.Running, api: Client
) -> None:
    connection = _connection(local_cluster)
    secret = TaskRequest(
        "ensure-secret",
        "proxy",
        {
            "name": "proxy-client",
            "namespaces": ["dockyard-identity"],
            "keys": {"client-secret": {"generate": "password"}},
        },
        HERE,
    )
    client = TaskRequest(
        "keycloak-client",
        "proxy",
        {
            "realm": "shop",
            "clientId": "proxy",
            "scopes": {},
            "redirectUris": ["https://*.shop.example.com/oauth2/callback"],
            "secretFrom": {"namespace": "dockyard-identity", "name": "proxy-client", "key": "client-secret"},
        },
        HERE,
    )
    runner = tasks.runner(connection, [secret, client], lambda _line: None, keycloak_url)
    runner.after(NAMESPACES)
    runner.after("platform-services")
    admin = _admin(keycloak_url, connection)
    (found,) = admin.call("GET", "/shop/clients", params={"clientId": "proxy"}).json()
    assert found["standardFlowEnabled"] is True
    assert found["redirectUris"] == ["https://*.shop.example.com/oauth2/callback"]
    live = admin.call("GET", f"/shop/clients/{found['id']}/client-secret").json()["value"]
    assert live == _values(api, "dockyard-identity", "proxy-client")["client-secret"]
    assert live not in " ".join(runner.done)


def test_a_changed_chart_hook_is_recreated_without_asking(
    local_cluster: control_plane.Running, api: Client, namespaces: tuple[str, str]
) -> None:
    from lightkube.resources.core_v1 import Pod

    namespace = namespaces[0]
    connection = _connection(local_cluster)

    def hook(bucket: str, hooked: bool) -> Rendered:
        container = {"name": "main", "image": "registry.example.org/mc:1.0.0", "args": ["mb", bucket]}
        manifest = obj(
            "v1", "Pod", "make-buckets", namespace, spec={"restartPolicy": "Never", "containers": [container]}
        )
        if hooked:
            manifest["metadata"]["annotations"] = {"helm.sh/hook": "post-install,post-upgrade"}
        return Rendered(manifest, "platform-services", HERE)

    first = Bundle.of([hook("one", True)])
    apply(connection, plan(connection, first, set()), f"hooks-{namespace}", {}, timeout=60)
    uid = api.get(Pod, "make-buckets", namespace=namespace).metadata.uid
    changed = plan(connection, Bundle.of([hook("two", True)]), set())
    assert [(c.action, c.error) for c in changed.changes] == [("recreate", None)]
    apply(connection, changed, f"hooks-{namespace}", {}, timeout=60)
    assert api.get(Pod, "make-buckets", namespace=namespace).metadata.uid != uid
    plain = plan(connection, Bundle.of([hook("three", False)]), set())
    assert [c.error.reason for c in plain.changes if c.error] == ["immutable"]  # not a hook: people decide (--recreate)


def test_s3_credentials_need_the_object_store_and_are_made_once(
    local_cluster: control_plane.Running, api: Client, namespaces: tuple[str, str]
) -> None:
    from dockyard.render.components.data import s3_access_key

    namespace = namespaces[0]
    request = TaskRequest(
        "s3-bucket", "web-media", {"bucket": "shop-web-media", "secret": "web-media-s3", "namespace": namespace}, HERE
    )
    with contextlib.suppress(ApiError):
        api.delete(Namespace, "dockyard-storage")
    for _ in range(60):  # a namespace being deleted still exists for a moment
        try:
            api.get(Namespace, "dockyard-storage")
        except ApiError:
            break
        time.sleep(1)
    with pytest.raises(
        TaskFailed, match="namespace dockyard-storage does not exist: s3 resources need the object-store"
    ):
        _run(local_cluster, NAMESPACES, request)
    ensure_namespace(api, "dockyard-storage")
    assert _run(local_cluster, NAMESPACES, request) == [
        f"task s3-bucket web-media: dockyard-storage/s3-user-web-media created, {namespace}/web-media-s3 created"
    ]
    service = _values(api, namespace, "web-media-s3")
    assert service["AWS_ACCESS_KEY_ID"] == s3_access_key("web-media")
    assert _values(api, "dockyard-storage", "s3-user-web-media") == {"secretKey": service["AWS_SECRET_ACCESS_KEY"]}
    assert writes_during(local_cluster, lambda: _run(local_cluster, NAMESPACES, request)) == []


def test_a_kept_value_fills_a_missing_secret_and_never_replaces_a_live_one(
    local_cluster: control_plane.Running, api: Client, namespaces: tuple[str, str]
) -> None:
    """Values the repo keeps (dockyard secrets export-generated) come back where the cluster has
    none; where a task keeps two copies, the one left on the cluster wins."""
    from dockyard.render.components.data import s3_user_secret

    namespace = namespaces[0]
    ensure_namespace(api, "dockyard-storage")
    request = TaskRequest(
        "s3-bucket", "kept-media", {"bucket": "kept-media", "secret": "kept-media-s3", "namespace": namespace}, HERE
    )
    kept = {(namespace, "kept-media-s3"): {"AWS_SECRET_ACCESS_KEY": "from-the-repo"}}

    def run() -> list[str]:
        runner = tasks.runner(_connection(local_cluster), [request], lambda _line: None, provided=kept)
        runner.after(NAMESPACES)
        return runner.done

    run()
    assert _values(api, namespace, "kept-media-s3")["AWS_SECRET_ACCESS_KEY"] == "from-the-repo"
    beside = s3_user_secret("kept-media")
    assert _values(api, "dockyard-storage", beside) == {"secretKey": "from-the-repo"}

    api.patch(Secret, beside, {"data": {"secretKey": base64.b64encode(b"live").decode()}}, namespace="dockyard-storage")
    api.delete(Secret, "kept-media-s3", namespace=namespace)  # the service's copy is lost; the store's lives
    run()
    assert _values(api, namespace, "kept-media-s3")["AWS_SECRET_ACCESS_KEY"] == "live"
    assert _values(api, "dockyard-storage", beside) == {"secretKey": "live"}
    api.delete(Secret, beside, namespace="dockyard-storage")
