"""Single sign-on: Keycloak (the platform's OIDC issuer) and oauth2-proxy in front of UIs.

Keycloak keeps its data in the shared Postgres cluster; its admin password and oauth2-proxy's
client and cookie secrets are Secrets the ensure-secret task creates, never rendered values.
The realm (named after the platform), clients and scopes come from the services' API contracts
(keycloak-client tasks).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from dockyard.charts.source import ChartSource
from dockyard.model.platform import Platform
from dockyard.render import platform_names
from dockyard.render.bundle import Stage, TaskRequest
from dockyard.render.components import signin
from dockyard.render.components.component import Component, TaskSpec
from dockyard.render.components.gateway import edge_route
from dockyard.render.task_data import TaskKind

IDENTITY = platform_names.IDENTITY_NAMESPACE
ADMIN_SECRET = "keycloak-admin"
OAUTH2_PROXY_SECRET = "oauth2-proxy-client"
OAUTH2_PROXY_CLIENT = "oauth2-proxy"
MONITORING_ROLE = "monitoring"
"""The role of oauth2-proxy's client that lets a person through the sign-in (to Prometheus and
Alertmanager): being in the realm is not enough."""
MONITORING_ROLE_DESCRIPTION = "May use Prometheus and Alertmanager through the platform's sign-in"


def keycloak_values(platform: Platform) -> dict[str, Any]:
    """keycloakx 7.0.1 sets KC_PROXY_HEADERS (from proxy.mode), KC_HEALTH_ENABLED, KC_METRICS_ENABLED,
    KC_HTTP_RELATIVE_PATH and the KC_DB_* variables itself (templates/statefulset.yaml): Dockyard
    sets them through those values, and adds only what the chart has no value for."""
    return {
        "fullnameOverride": "keycloak",
        "command": ["/opt/keycloak/bin/kc.sh", "start", "--http-enabled=true", "--http-port=8080"],
        "proxy": {"enabled": True, "mode": "xforwarded"},
        "health": {"enabled": True},
        "metrics": {"enabled": True},
        "extraEnv": _env({"KC_HOSTNAME": f"https://sso.{platform.domain}"}),
        "extraEnvFrom": _env_from(ADMIN_SECRET),
        "database": {
            "vendor": "postgres",
            "hostname": f"{platform_names.POSTGRES_SHARED_CLUSTER}-rw.{platform_names.POSTGRES_SHARED_NAMESPACE}.svc",
            "port": 5432,
            "database": "keycloak",
            "username": "keycloak",
            "existingSecret": "keycloak-database",
        },
        "http": {"relativePath": "/"},
        "serviceMonitor": {"enabled": True},
    }


def _env(variables: dict[str, str]) -> str:
    """keycloakx takes extraEnv as a YAML string; Dockyard writes it from data, never by hand."""
    return yaml.safe_dump([{"name": k, "value": v} for k, v in sorted(variables.items())], sort_keys=False)


def _env_from(secret: str) -> str:
    return yaml.safe_dump([{"secretRef": {"name": secret}}], sort_keys=False)


def admin_secret_task() -> TaskSpec:
    """Keycloak's bootstrap admin, with a generated password (read by the keycloak-client tasks)."""
    return TaskSpec(
        TaskKind.ENSURE_SECRET,
        ADMIN_SECRET,
        {
            "name": ADMIN_SECRET,
            "namespaces": [IDENTITY],
            "keys": {
                "KC_BOOTSTRAP_ADMIN_USERNAME": {"value": "admin"},
                "KC_BOOTSTRAP_ADMIN_PASSWORD": {"generate": "password"},
            },
        },
    )


KUBERNETES_CLIENT = "kubernetes"
"""The client people's kubectl signs in with (through kubelogin): its ID tokens carry the person's
groups, which the teams' RoleBindings and the admins' ClusterRoleBinding name."""
KUBECTL_CALLBACKS = ("http://localhost:8000", "http://localhost:18000")
"""Where kubelogin waits for the browser's redirect (its defaults)."""
GROUPS_CLAIM = "groups"
TOP_LEVEL_GROUPS = (
    "has(claims.groups) ? dyn(claims.groups).filter(g, g.startsWith('/') && g.lastIndexOf('/') == 0)"
    ".map(g, g.substring(1)) : []"
)
"""The token names groups by full path; the cluster's groups are the realm's top-level ones, by name
(`/shop-developers` is `shop-developers`; `/partners/shop-developers` is none of the layers')."""
USERNAME_PREFIX = "sso:"
"""Before the person's name in the API server (audit log, SelfSubjectReview), so a Keycloak user
can never be taken for a certificate's or a ServiceAccount's."""


def sign_in_groups(platform: Platform) -> list[str]:
    """Every group the layers grant something in the cluster (`teams.*.editors`, `viewers`,
    `platformAdmins`)."""
    named = {group for team in platform.settings.teams.values() for group in (*team.editors, *team.viewers)}
    return sorted(named | set(platform.settings.platform_admins))


def kubernetes_client_task(platform: Platform) -> TaskSpec:
    """The kubectl client in the platform's realm, public (kubectl keeps no secret; PKCE instead),
    its tokens naming the person's groups; the groups the layers name exist in the realm (who is in
    them is the realm's people's business, granted in Keycloak)."""
    return TaskSpec(
        TaskKind.KEYCLOAK_CLIENT,
        KUBERNETES_CLIENT,
        {
            "realm": platform.name,
            "clientId": KUBERNETES_CLIENT,
            "title": "Kubernetes API (kubectl)",
            "public": True,
            "redirectUris": list(KUBECTL_CALLBACKS),
            "groups": sign_in_groups(platform),
        },
    )


def keycloak_tasks(platform: Platform) -> list[TaskSpec]:
    tasks = [admin_secret_task()]
    if sign_in_groups(platform):
        tasks.append(kubernetes_client_task(platform))
    return tasks


def api_server_authenticator(issuer: str, certificate_authority: str | None = None) -> dict[str, Any]:
    """The JWT authenticator of an API server's AuthenticationConfiguration that signs people in
    with the kubectl client's ID tokens: the person's name (prefixed) and top-level groups (by name,
    as the layers name them) from the token; a name or group in `system:` is refused, whatever the
    realm holds."""
    issuer_entry: dict[str, Any] = {"url": issuer, "audiences": [KUBERNETES_CLIENT]}
    if certificate_authority is not None:
        issuer_entry["certificateAuthority"] = certificate_authority
    return {
        "issuer": issuer_entry,
        "claimMappings": {
            "username": {"claim": "preferred_username", "prefix": USERNAME_PREFIX},
            "groups": {"expression": TOP_LEVEL_GROUPS},
        },
        "userValidationRules": [
            {
                "expression": "!user.username.startsWith('system:')",
                "message": "a person signed in with the platform's SSO cannot have a system: name",
            },
            {
                "expression": "user.groups.all(group, !group.startsWith('system:'))",
                "message": "a person signed in with the platform's SSO cannot be in a system: group",
            },
        ],
    }


def keycloak_objects(platform: Platform, _requests: Sequence[TaskRequest]) -> list[dict[str, Any]]:
    """Keycloak's public address, sso.<domain>: its issuer, and where browsers sign in."""
    return [edge_route(platform, "sso", IDENTITY, platform_names.KEYCLOAK_SERVICE, 80)]


def oauth2_proxy_objects(platform: Platform, _requests: Sequence[TaskRequest]) -> list[dict[str, Any]]:
    """Sign-in for the platform's UIs at auth.<domain> (its callback is Keycloak's redirect URI)."""
    return [edge_route(platform, "auth", IDENTITY, signin.SERVICE, signin.PORT)]


KEYCLOAK = Component(
    name="keycloak",
    namespace=IDENTITY,
    stage=Stage.PLATFORM_SERVICES,  # with the Postgres cluster that holds its data
    features=frozenset({"sso"}),
    source=ChartSource(name="keycloakx", version="7.0.1", repository="https://codecentric.github.io/helm-charts"),
    values=keycloak_values,
    objects=keycloak_objects,
    tasks=keycloak_tasks,
    description="Keycloak, the OIDC issuer services' JWTs come from.",
)


def oauth2_proxy_values(platform: Platform) -> dict[str, Any]:
    """Sign-in at auth.<domain>: the browser goes to Keycloak's public address, oauth2-proxy redeems
    codes and fetches keys inside the cluster, and needs no discovery, so it starts before the
    realm exists (a task makes the realm after its stage)."""
    realm = f"{platform_names.KEYCLOAK_URL}/realms/{platform.name}/protocol/openid-connect"
    public = f"https://sso.{platform.domain}/realms/{platform.name}/protocol/openid-connect"
    return {
        "config": {"existingSecret": OAUTH2_PROXY_SECRET},
        "extraArgs": {
            "provider": "keycloak-oidc",
            "oidc-issuer-url": platform_names.keycloak_issuer(platform.domain, platform.name),
            "skip-oidc-discovery": True,
            "login-url": f"{public}/auth",
            "redeem-url": f"{realm}/token",
            "oidc-jwks-url": f"{realm}/certs",
            "redirect-url": signin.CALLBACK,  # on the host the browser asked for (signin.py)
            "email-domain": "*",
            "upstream": "static://200",  # Envoy's external authorization admits a 200 only
            "skip-provider-button": True,  # a redirect to sign in, never a page answered with 200
            "reverse-proxy": True,
            "set-xauthrequest": True,
            "allowed-role": f"{OAUTH2_PROXY_CLIENT}:{MONITORING_ROLE}",  # a client role (keycloak-oidc's form)
        },
        "metrics": {"serviceMonitor": {"enabled": True}},  # the chart's key since 7.x (`servicemonitor` before)
    }


def oauth2_proxy_tasks(platform: Platform) -> list[TaskSpec]:
    """Its client secret and cookie secret; its client in Keycloak."""
    tasks = [
        TaskSpec(
            TaskKind.ENSURE_SECRET,
            OAUTH2_PROXY_SECRET,
            {
                "name": OAUTH2_PROXY_SECRET,
                "namespaces": [IDENTITY],
                "keys": {
                    "client-id": {"value": OAUTH2_PROXY_CLIENT},
                    "client-secret": {"generate": "password"},
                    "cookie-secret": {"generate": "cookie-secret"},
                },
            },
        ),
        TaskSpec(
            TaskKind.KEYCLOAK_CLIENT,
            "oauth2-proxy",
            {
                "realm": platform.name,
                "clientId": OAUTH2_PROXY_CLIENT,
                "title": "Platform sign-in",
                "scopes": {},
                "redirectUris": signin.callbacks(platform),
                "selfAudience": True,  # oauth2-proxy accepts only access tokens whose audience names it
                "roles": {MONITORING_ROLE: MONITORING_ROLE_DESCRIPTION},
                "secretFrom": {"namespace": IDENTITY, "name": OAUTH2_PROXY_SECRET, "key": "client-secret"},
            },
        ),
    ]
    return tasks


OAUTH2_PROXY = Component(
    name="oauth2-proxy",
    namespace=IDENTITY,
    stage=Stage.PLATFORM_SERVICES,
    features=frozenset({"sso"}),
    source=ChartSource(name="oauth2-proxy", version="7.12.0", repository="https://oauth2-proxy.github.io/manifests"),
    values=oauth2_proxy_values,
    objects=oauth2_proxy_objects,
    tasks=oauth2_proxy_tasks,
    kubernetes=("1.16", None),  # the chart's kubeVersion at 7.12.0
    description="The platform's sign-in with Keycloak, in front of UIs without their own (Prometheus, Alertmanager).",
)

COMPONENTS = (KEYCLOAK, OAUTH2_PROXY)
