"""Platform UIs with no sign-in of their own (Prometheus, Alertmanager), published only behind the
platform's sign-in: every request on their route goes to oauth2-proxy first (an Envoy Gateway
SecurityPolicy with external authorization), and only what it answers with 200 reaches the UI.

oauth2-proxy answers a request with a valid session cookie with 200 (its upstream is
`static://200`; Envoy admits only a 200), and any other with a redirect to Keycloak's sign-in
(`skip-provider-button`), which Envoy hands to the browser. Keycloak sends the browser back to
`/oauth2/callback` on the UI's own host: oauth2-proxy remembers only the path of the page asked
for (it would take a host from X-Forwarded-Host, which Envoy does not send), so a callback on
another host would leave people there. Its answer, a session cookie for that host only and a
redirect to that page, again reaches the browser through Envoy. The cookie is not for the whole
domain: services' own routes live under it too, and would receive it (and could replay it).
Keycloak's own session makes signing in to a second UI a round of redirects without a password.
The paths oauth2-proxy serves itself (`/oauth2/...`, `/ping`, `/ready`, `/robots.txt`, which it
answers with 200 to anyone) are routed to oauth2-proxy, never to the UI.
"""

from __future__ import annotations

from typing import Any

from dockyard.model.platform import Platform
from dockyard.render import platform_names
from dockyard.render.bundle import obj
from dockyard.render.components.component import has
from dockyard.render.components.gateway import edge_route

UIS = {"metrics": ("prometheus", "alertmanager")}
"""The UIs behind the sign-in, by the feature whose component serves them (observability.py)."""
CALLBACK = "/oauth2/callback"
SERVICE = "oauth2-proxy"
PORT = 80
OWN_PATHS = (("PathPrefix", "/oauth2"), ("Exact", "/ping"), ("Exact", "/ready"), ("Exact", "/robots.txt"))
TO_SIGN_IN = ("cookie", "x-forwarded-proto")
"""Headers Envoy passes to oauth2-proxy besides Host, method and path (always passed): the session
cookie, and the scheme the browser used (for the address it is sent back to after signing in)."""
TO_UI = ("x-auth-request-user", "x-auth-request-email", "x-auth-request-preferred-username")


def signed_in_route(platform: Platform, name: str, namespace: str, service: str, port: int) -> list[dict[str, Any]]:
    """The HTTPRoute of a UI at `<name>.<domain>` and the SecurityPolicy that signs people in on it."""
    route = edge_route(platform, name, namespace, service, port)
    oauth2_proxy = {"name": SERVICE, "namespace": platform_names.IDENTITY_NAMESPACE, "port": PORT}
    matches = [{"path": {"type": kind, "value": path}} for kind, path in OWN_PATHS]
    route["spec"]["rules"].insert(0, {"matches": matches, "backendRefs": [oauth2_proxy]})
    policy = obj(
        "gateway.envoyproxy.io/v1alpha1",
        "SecurityPolicy",
        f"{name}-sign-in",
        namespace,
        spec={
            "targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": name}],
            "extAuth": {
                "headersToExtAuth": list(TO_SIGN_IN),
                "http": {
                    "backendRefs": [{"group": "", "kind": "Service", **oauth2_proxy}],
                    "headersToBackend": list(TO_UI),
                },
            },
        },
    )
    return [route, policy]


def callbacks(platform: Platform) -> list[str]:
    """Where Keycloak may send people back to: the sign-in's own host and each UI behind it."""
    hosts = ["auth", *(ui for feature, uis in UIS.items() if has(platform, feature) for ui in uis)]
    return [f"https://{host}.{platform.domain}{CALLBACK}" for host in hosts]


def sign_in_grant(namespace: str) -> dict[str, Any]:
    """Lets the routes and SecurityPolicies of `namespace` send to oauth2-proxy's Service."""
    return obj(
        "gateway.networking.k8s.io/v1beta1",
        "ReferenceGrant",
        f"sign-in-from-{namespace}",
        platform_names.IDENTITY_NAMESPACE,
        spec={
            "from": [
                {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": namespace},
                {"group": "gateway.envoyproxy.io", "kind": "SecurityPolicy", "namespace": namespace},
            ],
            "to": [{"group": "", "kind": "Service", "name": SERVICE}],
        },
    )
