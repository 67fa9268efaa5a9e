"""Configure Keycloak through its admin REST API: the platform's realm, one client scope per
scope the services' contracts declare (each putting its API in the token's audience), and one
confidential client per service (or UI), granted exactly the scopes its dependencies ask for.

Idempotent: what exists is compared and only what differs is created or updated. Keycloak is
reached at `identity.adminUrl` when the layers set it, else through the API server's service
proxy; the admin credentials come from the Secret the ensure-secret task made, and are never
printed. A service's client secret is written to `secretTo`; a UI's is taken from `secretFrom`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import httpx2

from dockyard.deploy.tasks.common import TaskContext, TaskFailed, read_secret
from dockyard.deploy.tasks.secrets import write_secret
from dockyard.render import platform_names
from dockyard.render.bundle import TaskRequest
from dockyard.render.components.identity import ADMIN_SECRET
from dockyard.render.task_data import KeycloakClient, KeycloakPrune

SERVICE = ("keycloak-http", "http")
READY_WITHIN = 120.0


class Admin:
    """An authenticated admin API session (a token for admin-cli in the master realm)."""

    def __init__(self, http: httpx2.Client, prefix: str, username: str, password: str) -> None:
        self.http = http
        self.prefix = prefix.rstrip("/")
        self.token = self._token(username, password)

    def _token(self, username: str, password: str) -> str:
        form = {"grant_type": "password", "client_id": "admin-cli", "username": username, "password": password}
        deadline = time.monotonic() + READY_WITHIN
        while True:
            try:
                response = self.http.post(f"{self.prefix}/realms/master/protocol/openid-connect/token", data=form)
            except httpx2.TransportError as error:
                response = None
                reason = str(error)
            if response is not None and response.status_code == 200:
                return str(response.json()["access_token"])
            if response is not None and response.status_code in (400, 401):
                raise TaskFailed(
                    "Keycloak refused the admin credentials from Secret "
                    f"{platform_names.IDENTITY_NAMESPACE}/{ADMIN_SECRET}"
                )
            if response is not None:
                reason = f"HTTP {response.status_code}"
            if time.monotonic() > deadline:
                raise TaskFailed(f"Keycloak did not answer within {READY_WITHIN:.0f} s ({reason})")
            time.sleep(1.0)

    def call(self, method: str, path: str, **kwargs: Any) -> httpx2.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            response = self.http.request(method, f"{self.prefix}/admin/realms{path}", headers=headers, **kwargs)
        except httpx2.TransportError as error:
            raise TaskFailed(f"{method} {path}: {error}") from None
        if response.status_code >= 400 and not (method == "GET" and response.status_code == 404):
            detail = _error_message(response)
            raise TaskFailed(f"{method} {path}: HTTP {response.status_code}{f' ({detail})' if detail else ''}")
        return response


def _error_message(response: httpx2.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        return str(body.get("errorMessage") or body.get("error") or "")
    return ""


def _endpoint(context: TaskContext) -> tuple[httpx2.Client, str]:
    if context.keycloak_url:
        return httpx2.Client(timeout=30.0, trust_env=False), context.keycloak_url
    http, prefix = context.connection.service_proxy(platform_names.IDENTITY_NAMESPACE, *SERVICE)
    return http, prefix


@contextlib.contextmanager
def _session(context: TaskContext) -> Iterator[Admin]:
    credentials = read_secret(context.connection, platform_names.IDENTITY_NAMESPACE, ADMIN_SECRET)
    if not credentials:
        raise TaskFailed(f"Secret {platform_names.IDENTITY_NAMESPACE}/{ADMIN_SECRET} is missing")
    http, prefix = _endpoint(context)
    with http:
        yield Admin(
            http, prefix, credentials["KC_BOOTSTRAP_ADMIN_USERNAME"], credentials["KC_BOOTSTRAP_ADMIN_PASSWORD"]
        )


def configure_client(request: TaskRequest, context: TaskContext) -> str:
    with _session(context) as admin:
        return _configure(admin, request, context)


OWNERS_ATTRIBUTE = "dockyard.dev/owners"
"""The platform clusters (`<platform>-<cluster>`, as their inventories are named) whose renders
name a client, comma-separated: a client is removed when the last of them stops naming it, and a
client no cluster marked (made by hand) is never touched. Clusters may share a realm."""


def prune_clients(request: TaskRequest, context: TaskContext) -> str:
    """This cluster marks the clients its render names as its own and unmarks those it names no
    longer; a client no cluster names any more is deleted, its grants and audiences with it (a
    service removed, one that stopped calling an API, a UI switched off). Runs after every
    keycloak-client task."""
    data = request.payload(KeycloakPrune)
    realm, owner, wanted = data["realm"], data["owner"], set(data["clients"])
    with _session(context) as admin:
        if admin.call("GET", f"/{realm}").status_code == 404:
            return "no realm yet"
        done: list[str] = []
        for client in admin.call("GET", f"/{realm}/clients").json():
            attributes = client.get("attributes") or {}
            written = attributes.get(OWNERS_ATTRIBUTE)
            owners = set(filter(None, str(written or "").split(",")))
            named = client["clientId"] in wanted
            if named == (owner in owners):
                continue
            if not named and written is None:
                continue  # not Dockyard's
            owners = owners | {owner} if named else owners - {owner}
            where = f"/{realm}/clients/{client['id']}"
            if owners:
                marked = {**client, "attributes": {**attributes, OWNERS_ATTRIBUTE: ",".join(sorted(owners))}}
                admin.call("PUT", where, json=marked)
                done.append(f"client {client['clientId']} {'marked' if named else 'unmarked'}")
            else:
                admin.call("DELETE", where)
                done.append(f"client {client['clientId']} removed")
    return ", ".join(done) or "unchanged"


def _configure(admin: Admin, request: TaskRequest, context: TaskContext) -> str:
    data = request.payload(KeycloakClient)
    realm = data["realm"]
    done = []
    if admin.call("GET", f"/{realm}").status_code == 404:
        admin.call("POST", "", json={"realm": realm, "enabled": True})
        done.append(f"realm {realm} created")
    scope_ids = _scopes(admin, realm, data.get("scopes") or {}, data.get("audience"), done)
    client_id = _client(admin, realm, data, context, done)
    attached = {s["name"] for s in admin.call("GET", f"/{realm}/clients/{client_id}/optional-client-scopes").json()}
    for name in sorted(set(scope_ids) - attached):
        admin.call("PUT", f"/{realm}/clients/{client_id}/optional-client-scopes/{scope_ids[name]}")
        done.append(f"scope {name} offered")
    own = {data["clientId"]} if data.get("selfAudience") else set()
    _grants(admin, realm, client_id, data.get("grants") or {}, own, done)
    _roles(admin, realm, client_id, data.get("roles") or {}, done)
    if "groups" in data:
        _groups(admin, realm, client_id, data["groups"], done)
    if "secretTo" in data:
        target = data["secretTo"]
        secret = admin.call("GET", f"/{realm}/clients/{client_id}/client-secret").json()["value"]
        values = {"client-id": data["clientId"], target["key"]: secret}
        result = write_secret(context, target["namespace"], target["name"], values, "Opaque", request.kind)
        if result != "unchanged":
            done.append(f"Secret {target['namespace']}/{target['name']} {result}")
    return ", ".join(done) or "unchanged"


API_ATTRIBUTE = "dockyard.dev/api"
"""Marks the client scopes Dockyard made for an API (only those are ever revoked from a client)."""


def _scopes(admin: Admin, realm: str, wanted: dict[str, str], audience: str | None, done: list[str]) -> dict[str, str]:
    """Every wanted client scope exists, with its description and a mapper that puts `audience`
    (the API) in tokens carrying it; their ids by name."""
    existing = _existing_scopes(admin, realm)
    for name, description in sorted(wanted.items()):
        attributes = {"include.in.token.scope": "true", "display.on.consent.screen": "false"}
        attributes[API_ATTRIBUTE] = audience or ""
        scope = {"name": name, "description": description, "protocol": "openid-connect", "attributes": attributes}
        current = existing.get(name)
        if current is not None and API_ATTRIBUTE not in (current.get("attributes") or {}):
            raise TaskFailed(
                f"realm {realm} has a client scope {name} that Dockyard did not make; Dockyard will not take it "
                f"over (its clients would start carrying the API's audience): rename the scope in the contract, "
                f"or remove that client scope (or set its attribute {API_ATTRIBUTE} to adopt it)"
            )
        if current is None:
            admin.call("POST", f"/{realm}/client-scopes", json=scope)
            done.append(f"scope {name} created")
            current = _existing_scopes(admin, realm)[name]
            existing[name] = current
        elif (
            current.get("description", "") != description
            or (current.get("attributes") or {}).get(API_ATTRIBUTE) != attributes[API_ATTRIBUTE]
        ):
            admin.call("PUT", f"/{realm}/client-scopes/{current['id']}", json={**current, **scope})
            done.append(f"scope {name} updated")
        if audience:
            _audience_mapper(admin, f"/{realm}/client-scopes/{current['id']}", audience, done, f"scope {name}")
    return {name: existing[name]["id"] for name in wanted}


def _existing_scopes(admin: Admin, realm: str) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in admin.call("GET", f"/{realm}/client-scopes").json()}


def _audience_mapper(admin: Admin, owner: str, audience: str, done: list[str], what: str) -> None:
    """A mapper on `owner` (a client scope or a client) that puts `audience` in access tokens."""
    name = f"audience {audience}"
    mappers = {m["name"] for m in admin.call("GET", f"{owner}/protocol-mappers/models").json()}
    if name in mappers:
        return
    admin.call(
        "POST",
        f"{owner}/protocol-mappers/models",
        json={
            "name": name,
            "protocol": "openid-connect",
            "protocolMapper": "oidc-audience-mapper",
            "config": {"included.custom.audience": audience, "access.token.claim": "true", "id.token.claim": "false"},
        },
    )
    done.append(f"{what} adds audience {audience}")


def _grants(
    admin: Admin, realm: str, client_id: str, grants: dict[str, list[str]], own: set[str], done: list[str]
) -> None:
    """The client gets exactly the granted API scopes (as default scopes, in every token it asks
    for) and each granted API's audience (and `own`: its own id, for a client that checks its own
    tokens are for it, as oauth2-proxy does); API scopes it was granted before and is not now are
    revoked, and audiences it no longer needs."""
    wanted = {scope: api for api, scopes in grants.items() for scope in scopes}
    existing = _existing_scopes(admin, realm)
    for scope, api in sorted(wanted.items()):
        if scope not in existing:  # the API's own task may run later; it fills in the description
            _scopes(admin, realm, {scope: ""}, api, done)
            existing = _existing_scopes(admin, realm)
    path = f"/{realm}/clients/{client_id}/default-client-scopes"
    attached = {s["name"]: s["id"] for s in admin.call("GET", path).json()}
    for scope in sorted(set(wanted) - set(attached)):
        admin.call("PUT", f"{path}/{existing[scope]['id']}")
        done.append(f"scope {scope} granted")
    for scope, scope_id in sorted(attached.items()):
        is_api_scope = (existing.get(scope, {}).get("attributes") or {}).get(API_ATTRIBUTE)
        if is_api_scope and scope not in wanted:
            admin.call("DELETE", f"{path}/{scope_id}")
            done.append(f"scope {scope} revoked")
    owner = f"/{realm}/clients/{client_id}"
    audiences = set(grants) | own
    for api in sorted(audiences):
        _audience_mapper(admin, owner, api, done, "client")
    for mapper in admin.call("GET", f"{owner}/protocol-mappers/models").json():
        audience = (mapper.get("config") or {}).get("included.custom.audience")
        if (
            mapper.get("protocolMapper") == "oidc-audience-mapper"
            and mapper.get("name") == f"audience {audience}"
            and audience not in audiences
        ):
            admin.call("DELETE", f"{owner}/protocol-mappers/models/{mapper['id']}")
            done.append(f"client drops audience {audience}")


def _roles(admin: Admin, realm: str, client_id: str, wanted: dict[str, str], done: list[str]) -> None:
    """The client's roles exist with their descriptions. Who holds them is the realm's people's
    business (granted in Keycloak), so a role is never removed: that would take it from everyone."""
    path = f"/{realm}/clients/{client_id}/roles"
    existing = {role["name"]: role for role in admin.call("GET", path).json()}
    for name, description in sorted(wanted.items()):
        role = existing.get(name)
        if role is None:
            admin.call("POST", path, json={"name": name, "description": description})
            done.append(f"role {name} created")
        elif role.get("description", "") != description:
            admin.call("PUT", f"{path}/{name}", json={**role, "description": description})
            done.append(f"role {name} updated")


GROUPS_MAPPER = "groups"


def _groups(admin: Admin, realm: str, client_id: str, wanted: list[str], done: list[str]) -> None:
    """The groups exist at the realm's top level, and the client's tokens (ID and access) name the
    person's groups in the claim `groups` by full path (`/shop-developers`): a subgroup elsewhere
    with the same name (`/partners/shop-developers`) is another group, never taken for this one.
    Like roles, a group is never removed: it would take everyone out of it."""
    for name in wanted:
        found = admin.call("GET", f"/{realm}/groups", params={"search": name, "exact": "true"}).json()
        if not any(group.get("name") == name for group in found):
            admin.call("POST", f"/{realm}/groups", json={"name": name})
            done.append(f"group {name} created")
    owner = f"/{realm}/clients/{client_id}/protocol-mappers/models"
    claim = {"id.token.claim": "true", "access.token.claim": "true", "userinfo.token.claim": "true"}
    mapper = {
        "name": GROUPS_MAPPER,
        "protocol": "openid-connect",
        "protocolMapper": "oidc-group-membership-mapper",
        "config": {"claim.name": "groups", "full.path": "true", **claim},
    }
    current = next((m for m in admin.call("GET", owner).json() if m.get("name") == GROUPS_MAPPER), None)
    if current is None:
        admin.call("POST", owner, json=mapper)
        done.append("client names groups")
    elif current.get("protocolMapper") != mapper["protocolMapper"] or current.get("config") != mapper["config"]:
        admin.call("PUT", f"{owner}/{current['id']}", json={**current, **mapper})
        done.append("client names groups by full path")


PUBLIC_ATTRIBUTES = {"pkce.code.challenge.method": "S256"}
"""A public client takes a code only with its PKCE proof (a code seen by another program on the
machine is useless without it)."""


def _client(admin: Admin, realm: str, data: KeycloakClient, context: TaskContext, done: list[str]) -> str:
    """The client exists with the wanted settings; its internal id."""
    public = bool(data.get("public"))
    wanted: dict[str, Any] = {
        "clientId": data["clientId"],
        "name": data.get("title") or data["clientId"],
        "protocol": "openid-connect",
        "publicClient": public,
        "serviceAccountsEnabled": not public,
        "standardFlowEnabled": bool(data.get("redirectUris")),
        "directAccessGrantsEnabled": False,
        "redirectUris": sorted(data.get("redirectUris") or []),
    }
    if public:
        wanted["attributes"] = dict(PUBLIC_ATTRIBUTES)
    if "secretFrom" in data:
        source = data["secretFrom"]
        values = read_secret(context.connection, source["namespace"], source["name"]) or {}
        if source["key"] not in values:
            raise TaskFailed(f"Secret {source['namespace']}/{source['name']} has no key {source['key']}")
        wanted["secret"] = values[source["key"]]
    found = admin.call("GET", f"/{realm}/clients", params={"clientId": data["clientId"]}).json()
    if not found:
        target = data.get("secretTo")
        if target is not None and "secret" not in wanted:
            # a new client gets the secret its Secret holds already, else the one the repo keeps (a
            # cluster rebuilt from git); never a kept value over a live one
            live = read_secret(context.connection, target["namespace"], target["name"]) or {}
            chosen = live.get(target["key"]) or context.kept(target["namespace"], target["name"]).get(target["key"])
            if chosen:
                wanted["secret"] = chosen
        admin.call("POST", f"/{realm}/clients", json=wanted)
        done.append(f"client {data['clientId']} created")
        found = admin.call("GET", f"/{realm}/clients", params={"clientId": data["clientId"]}).json()
        return str(found[0]["id"])
    current = found[0]
    differs = [k for k, v in wanted.items() if k not in ("secret", "attributes") and current.get(k) != v]
    attributes = current.get("attributes") or {}
    if any(attributes.get(k) != v for k, v in wanted.get("attributes", {}).items()):
        differs.append("attributes")
    wanted["attributes"] = {**attributes, **wanted.get("attributes", {})}  # others' (the owners mark) kept
    if "secret" in wanted:
        live = admin.call("GET", f"/{realm}/clients/{current['id']}/client-secret").json().get("value")
        if live != wanted["secret"]:
            differs.append("secret")
    if differs:
        admin.call("PUT", f"/{realm}/clients/{current['id']}", json={**current, **wanted})
        done.append(f"client {data['clientId']} updated ({', '.join(sorted(differs))})")
    return str(current["id"])
