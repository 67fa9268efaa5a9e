"""`service`: a dependency on another service of the platform.

params: name (the other service; default the resource id), port (one of its ports; default its
first), scopes (the OAuth scopes of the other service's API this one needs).
outputs: url, host, port, name (the other service's); with scopes, also clientId, clientSecret (a
Secret) and tokenUrl: this
service's own OAuth client (without SSO, credentials no identity provider knows, so the workload
reads the same variables in every profile). Adds the network rule both ways: egress
from this service, ingress to the other. The scopes are granted to this service's client and no
others; its tokens carry the other API's audience.
"""

from __future__ import annotations

from dockyard.model.settings import Settings
from dockyard.render import platform_names, profiles
from dockyard.render.bundle import TaskRequest
from dockyard.render.labels import selector_of
from dockyard.render.placeholders import SecretRef
from dockyard.render.provisioners.api import ContractUnusable, declared_scopes
from dockyard.render.provisioners.base import Peer, Provision, Provisioner, ProvisionError, Request, param
from dockyard.render.task_data import TaskKind

KEYCLOAK_PORT = 8080
"""The port Keycloak's pods listen on (the keycloakx chart's `http` container port), for the
token requests a client makes."""


def _allowed(request: Request, target_name: str, target: Settings) -> None:
    """Teams are a boundary: a service of another team may be depended on only when it lets that
    team (or that service) in, by its `callers`."""
    caller = request.service
    team = caller.settings.team
    if target.team == team or team in target.callers or caller.name in target.callers:
        return
    raise ProvisionError(
        f"resource `{request.resource.id}`: service `{target_name}` is team {target.team}'s, and lets no service "
        f"of team {team} depend on it; add `{team}` (the team) or `{caller.name}` to `callers` in its settings "
        f"(services/{target_name}/dockyard.yaml)"
    )


def provision(request: Request) -> Provision:
    target_name = param(request, "name", str, request.resource.id)
    target = request.services[target_name]
    _allowed(request, target_name, target.settings)
    if not target.ports:
        raise ProvisionError(f"resource `{request.resource.id}`: service `{target_name}` exposes no ports")
    wanted = param(request, "port", (int, type(None)), None)
    chosen = next((p for p in target.ports if wanted is None or p.port == wanted), None)
    if chosen is None:
        known = ", ".join(str(p.port) for p in target.ports)
        raise ProvisionError(f"resource `{request.resource.id}`: `{target_name}` has no port {wanted} (ports: {known})")
    host = f"{target_name}.{target.settings.namespace}.svc.cluster.local"
    selector = selector_of(target_name)
    result = Provision(
        outputs={"url": f"http://{host}:{chosen.port}", "host": host, "port": str(chosen.port), "name": target_name},
        egress=[Peer(target.settings.namespace, selector, ((chosen.protocol, chosen.target_port),))],
        depends_on=target_name,
    )
    scopes = _scopes(request, target_name)
    if scopes is None:
        return result
    caller = request.service.name
    secret = f"{caller}-oidc"
    realm = request.platform.name
    result.outputs |= {
        "clientId": caller,
        "clientSecret": SecretRef(secret, "client-secret"),
        "tokenUrl": f"{platform_names.KEYCLOAK_URL}/realms/{realm}/protocol/openid-connect/token",
    }
    if not profiles.enabled(request.platform.profile, "sso"):
        # no identity provider: credentials no one knows, so the workload's variables resolve alike everywhere
        result.tasks.append(
            TaskRequest(
                TaskKind.ENSURE_SECRET,
                secret,
                {
                    "name": secret,
                    "namespaces": [request.namespace],
                    "keys": {"client-id": {"value": caller}, "client-secret": {"generate": "password"}},
                },
                request.source,
            )
        )
    else:
        result.egress.append(Peer(platform_names.IDENTITY_NAMESPACE, {}, (("TCP", KEYCLOAK_PORT),)))
        result.tasks.append(
            TaskRequest(
                TaskKind.KEYCLOAK_CLIENT,
                caller,
                {
                    "realm": realm,
                    "clientId": caller,
                    "grants": {target_name: scopes},
                    "secretTo": {"namespace": request.namespace, "name": secret, "key": "client-secret"},
                },
                request.source,
            )
        )
    return result


def _scopes(request: Request, target: str) -> list[str] | None:
    """The scopes asked for, each one the target's API declares (None: none asked for)."""
    asked = param(request, "scopes", (list, type(None)), None)
    if asked is None:
        return None
    try:
        declared = declared_scopes(request.platform, request.services[target])
    except ContractUnusable:
        return sorted({s for s in asked if isinstance(s, str)})  # the contract's own problems are reported
    if declared is None:
        raise ProvisionError(
            f"resource `{request.resource.id}`: params.scopes asks for scopes of `{target}`, which has no API "
            "contract (an `api` resource)"
        )
    unknown = [s for s in asked if s not in declared]
    if unknown or not all(isinstance(s, str) for s in asked):
        known = ", ".join(sorted(declared)) or "none"
        raise ProvisionError(
            f"resource `{request.resource.id}`: `{target}` declares no scope {', '.join(map(str, unknown))} "
            f"(its contract declares: {known})"
        )
    return sorted(set(asked))


SERVICE = Provisioner(
    "service",
    ("url", "host", "port", "name"),
    provision,
    "A dependency on another service: its address, the network rules both ways, and (with `scopes`) "
    "an OAuth client granted exactly those scopes of its API.",
    {
        "name": "the other service (default: the resource id)",
        "port": "one of its ports",
        "scopes": "OAuth scopes of the other service's API this service needs (its client gets exactly these)",
    },
)
