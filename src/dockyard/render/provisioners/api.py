"""`api`: the service's OpenAPI contract becomes JWT checks per operation and an OAuth client.

With the mesh on (profile `complete`): an Istio `RequestAuthentication` trusting the platform's
Keycloak realm, and an `AuthorizationPolicy` with one ALLOW rule per operation and security
alternative: its path and method, and the OAuth scopes its `security` requirement lists.
Operations without security stay open; anything not listed is denied. The service gets a
waypoint for these L7 checks. With SSO on (`full`, `complete`): a `keycloak-client` task
request with the client and scopes this service needs.
params: contract (default x-dockyard.contract). outputs: url, clientId.
"""

from __future__ import annotations

import posixpath
from typing import Any

from dockyard.render import platform_names, profiles
from dockyard.render.bundle import Rendered, TaskRequest, obj
from dockyard.render.contract import Contract, Sources, read, validate
from dockyard.render.provisioners.base import Provision, Provisioner, ProvisionError, Request, param

WAYPOINT = "waypoint"


def contract_path(request: Request) -> str:
    written = param(request, "contract", (str, type(None)), None) or request.service.settings.values.get("contract")
    if not written:
        raise ProvisionError(
            f"resource `{request.resource.id}` needs a contract: set x-dockyard.contract or params.contract"
        )
    return posixpath.normpath(posixpath.join(posixpath.dirname(request.service.source.file), written))


def provision(request: Request) -> Provision:
    path = contract_path(request)
    if path not in request.platform.contracts:
        raise ProvisionError(f"resource `{request.resource.id}`: contract {path} was not loaded")
    sources = Sources(path, request.platform.contracts)
    problems = validate(sources)
    if problems:
        raise ProvisionError(f"resource `{request.resource.id}`: invalid contract {path}", problems)
    contract = read(sources)
    service = request.service.name
    port = request.service.ports[0].port if request.service.ports else 80
    host = f"{service}.{request.namespace}.svc.cluster.local"
    result = Provision(outputs={"url": f"http://{host}:{port}", "clientId": service})
    features = request.platform.profile
    realm = request.platform.name
    if profiles.enabled(features, "mesh") and request.service.settings.values.get("auth", {}).get("jwt", True):
        target = [{"group": "", "kind": "Service", "name": service}]
        issuer = platform_names.keycloak_issuer(request.platform.domain, realm)
        jwks = (
            f"http://keycloak.{platform_names.IDENTITY_NAMESPACE}.svc.cluster.local"
            f"/realms/{realm}/protocol/openid-connect/certs"
        )
        authentication = obj(
            "security.istio.io/v1",
            "RequestAuthentication",
            service,
            request.namespace,
            spec={
                "targetRefs": target,
                "jwtRules": [{"issuer": issuer, "jwksUri": jwks, "forwardOriginalToken": True}],
            },
        )
        authorization = obj(
            "security.istio.io/v1",
            "AuthorizationPolicy",
            service,
            request.namespace,
            spec={"targetRefs": target, "action": "ALLOW", "rules": rules(contract)},
        )
        waypoint = obj(
            "gateway.networking.k8s.io/v1",
            "Gateway",
            WAYPOINT,
            request.namespace,
            spec={
                "gatewayClassName": "istio-waypoint",
                "listeners": [{"name": "mesh", "port": 15008, "protocol": "HBONE"}],
            },
        )
        waypoint["metadata"]["labels"] = {"istio.io/waypoint-for": "service"}
        result.objects += [Rendered(m, "services", request.source) for m in (authentication, authorization, waypoint)]
        result.service_labels["istio.io/use-waypoint"] = WAYPOINT
    if profiles.enabled(features, "sso"):
        result.tasks.append(
            TaskRequest(
                "keycloak-client",
                service,
                {
                    "realm": realm,
                    "clientId": service,
                    "title": contract.title,
                    "scopes": contract.scopes,
                    "secretTo": {"namespace": request.namespace, "name": f"{service}-oidc", "key": "client-secret"},
                },
                request.source,
            )
        )
    return result


def rules(contract: Contract) -> list[dict[str, Any]]:
    """One ALLOW rule per operation and security alternative; open operations need no token."""
    found = []
    for operation in contract.operations:
        to = [{"operation": {"methods": [operation.method], "paths": [operation.istio_path]}}]
        if operation.open:
            found.append({"to": to})
            continue
        for scopes in operation.alternatives:
            rule: dict[str, Any] = {"from": [{"source": {"requestPrincipals": ["*"]}}], "to": to}
            if scopes:
                rule["when"] = [{"key": "request.auth.claims[scope]", "values": [scope]} for scope in scopes]
            found.append(rule)
    return found


API = Provisioner(
    "api",
    ("url", "clientId"),
    provision,
    "The service's OpenAPI contract: JWT scope checks per operation in the mesh, and its OAuth client.",
    {"contract": "path of the OpenAPI 3.x contract (default x-dockyard.contract)"},
)
