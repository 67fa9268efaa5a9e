"""`api`: the service's OpenAPI contract becomes token checks per operation and an OAuth client.

With the mesh on (profile `complete`): an Istio `RequestAuthentication` trusting the platform's
Keycloak realm for tokens meant for this API (its audience), and an `AuthorizationPolicy` that
permits exactly what the contract permits (see openapi/istio.py); the service gets a waypoint
for these L7 checks. With SSO on (`full`, `complete`): a `keycloak-client` task request with the
client and the scopes this API declares. Without an enforcer for a contract that requires
credentials, the API is reported to the checks (rule contract-enforced), never silently open.
params: contract (default: the service's `contract` setting). outputs: url, clientId.
"""

from __future__ import annotations

from typing import Any

from dockyard.model.platform import Platform
from dockyard.model.service import Service
from dockyard.render import platform_names, profiles
from dockyard.render.bundle import Exposure, Rendered, Stage, TaskRequest, obj
from dockyard.render.labels import selector
from dockyard.render.openapi import edge, istio
from dockyard.render.openapi.operations import Contract
from dockyard.render.openapi.reading import reading
from dockyard.render.openapi.sources import Sources
from dockyard.render.provisioners.base import Provision, Provisioner, ProvisionError, Request, param
from dockyard.render.task_data import TaskKind

WAYPOINT = "waypoint"


def contract_path(request: Request) -> str:
    written = param(request, "contract", (str, type(None)), None) or request.service.settings.contract
    if not written:
        raise ProvisionError(
            f"resource `{request.resource.id}` needs a contract: set `contract` in the service's dockyard.yaml, "
            "or params.contract"
        )
    return request.service.repo_path(written)


class ContractUnusable(Exception):
    """The service's contract cannot be read; its own `api` resource reports why."""


def declared_scopes(platform: Platform, service: Service) -> dict[str, str] | None:
    """The scopes `service`'s API contract declares; None if it has no API resource;
    ContractUnusable if its contract cannot be read."""
    contract = service_contract(platform, service)
    return None if contract is None else contract.scopes


def service_contract(platform: Platform, service: Service) -> Contract | None:
    """The operations and scopes of `service`'s API contract; None if it has no API resource;
    ContractUnusable if its contract cannot be read."""
    for resource in service.resources:
        if resource.type != "api":
            continue
        written = resource.params.get("contract") or service.settings.contract
        if not isinstance(written, str):
            raise ContractUnusable
        path = service.repo_path(written)
        documents = platform.contracts.get(path)
        if documents is None:
            raise ContractUnusable
        checked = reading(Sources(path, documents))
        if checked.contract is None:
            raise ContractUnusable
        return checked.contract
    return None


def provision(request: Request) -> Provision:
    path = contract_path(request)
    documents = request.platform.contracts.get(path)
    if documents is None:
        raise ProvisionError(f"resource `{request.resource.id}`: contract {path} was not loaded")
    read_once = reading(Sources(path, documents))
    if read_once.contract is None:
        raise ProvisionError(f"resource `{request.resource.id}`: invalid contract {path}", list(read_once.invalid))
    contract = read_once.contract
    checked = request.service.settings.jwt
    if read_once.unenforceable and checked:
        raise ProvisionError(
            f"resource `{request.resource.id}`: contract {path} cannot be enforced",
            list(read_once.unenforceable),
        )
    service = request.service.name
    port = request.service.ports[0].port if request.service.ports else 80
    host = f"{service}.{request.namespace}.svc.cluster.local"
    result = Provision(outputs={"url": f"http://{host}:{port}", "clientId": service})
    features = request.platform.profile
    in_mesh = checked and profiles.enabled(features, "mesh")
    routed = any(r.type == "route" for r in request.service.resources)
    at_edge = checked and profiles.enabled(features, "sso") and routed
    if in_mesh:
        result.objects += [Rendered(m, Stage.SERVICES, request.source) for m in _mesh_policy(request, contract)]
        result.service_labels["istio.io/use-waypoint"] = WAYPOINT
    if at_edge:
        result.objects += [Rendered(m, Stage.SERVICES, request.source) for m in _edge_policy(request, contract)]
    if checked and contract.secured:
        enforcers = tuple(e for e, on in (("the mesh's waypoint", in_mesh), ("the edge gateway", at_edge)) if on)
        result.exposure = Exposure(
            service, request.namespace, len(contract.secured), enforcers, in_mesh, request.source
        )
    if profiles.enabled(features, "sso"):
        result.tasks.append(
            TaskRequest(
                TaskKind.KEYCLOAK_CLIENT,
                service,
                {
                    "realm": request.platform.name,
                    "clientId": service,
                    "title": contract.title,
                    "scopes": contract.scopes,
                    "audience": service,
                    "secretTo": {"namespace": request.namespace, "name": f"{service}-oidc", "key": "client-secret"},
                },
                request.source,
            )
        )
    return result


def _edge_policy(request: Request, contract: Contract) -> list[dict[str, Any]]:
    """The SecurityPolicy checking requests from outside at the edge, and the grant that lets it
    fetch the realm's keys from Keycloak's Service in the identity namespace."""
    realm = request.platform.name
    keycloak = {
        "group": "",
        "kind": "Service",
        "name": platform_names.KEYCLOAK_SERVICE,
        "namespace": platform_names.IDENTITY_NAMESPACE,
        "port": 80,
    }
    policy = edge.security_policy(
        contract,
        request.service.name,
        request.namespace,
        platform_names.keycloak_issuer(request.platform.domain, realm),
        platform_names.keycloak_jwks(realm),
        keycloak,
    )
    grant = obj(
        "gateway.networking.k8s.io/v1beta1",
        "ReferenceGrant",
        f"security-policies-from-{request.namespace}",
        platform_names.IDENTITY_NAMESPACE,
        spec={
            "from": [{"group": "gateway.envoyproxy.io", "kind": "SecurityPolicy", "namespace": request.namespace}],
            "to": [{"group": "", "kind": "Service", "name": platform_names.KEYCLOAK_SERVICE}],
        },
    )
    return [policy, grant]


def _mesh_policy(request: Request, contract: Contract) -> list[dict[str, Any]]:
    """RequestAuthentication (tokens of the realm, for this API's audience), the AuthorizationPolicy
    of the contract, and the namespace's waypoint that enforces both."""
    service, realm = request.service.name, request.platform.name
    target = [{"group": "", "kind": "Service", "name": service}]
    authentication = obj(
        "security.istio.io/v1",
        "RequestAuthentication",
        service,
        request.namespace,
        spec={
            "targetRefs": target,
            "jwtRules": [
                {
                    "issuer": platform_names.keycloak_issuer(request.platform.domain, realm),
                    "jwksUri": platform_names.keycloak_jwks(realm),
                    "audiences": [service],
                    "forwardOriginalToken": True,
                }
            ],
        },
    )
    authorization = obj(
        "security.istio.io/v1",
        "AuthorizationPolicy",
        service,
        request.namespace,
        spec={"targetRefs": target, "action": "ALLOW", "rules": istio.rules(contract)},
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
    return [authentication, authorization, waypoint, _only_through_the_waypoint(request)]


def _only_through_the_waypoint(request: Request) -> dict[str, Any]:
    """The waypoint checks what is sent to the Service; a pod sending to the API's pods directly (by
    their address) would pass it by. So the pods themselves (ztunnel, at L4) admit only the waypoint,
    the edge gateway where the API is routed (it enforces the contract itself), and whoever scrapes
    the metrics port when that is not an API port."""
    service, namespace = request.service, request.namespace
    rules: list[dict[str, Any]] = [{"from": [{"source": {"principals": [f"*/ns/{namespace}/sa/{WAYPOINT}"]}}]}]
    if any(r.type == "route" for r in service.resources):
        rules.append({"from": [{"source": {"namespaces": [platform_names.GATEWAY_NAMESPACE]}}]})
    metrics = service.settings.metrics.port
    api_ports = {p.target_port for p in service.ports if p.name != metrics}
    scraped = sorted({p.target_port for p in service.ports if p.name == metrics} - api_ports)
    if scraped:
        rules.append({"to": [{"operation": {"ports": [str(port) for port in scraped]}}]})
    return obj(
        "security.istio.io/v1",
        "AuthorizationPolicy",
        f"{service.name}-pods",
        namespace,
        spec={"selector": {"matchLabels": selector(service)}, "action": "ALLOW", "rules": rules},
    )


API = Provisioner(
    "api",
    ("url", "clientId"),
    provision,
    "The service's OpenAPI contract: token and scope checks per operation in the mesh, and its OAuth client.",
    {"contract": "path of the OpenAPI 3.x contract (default: the service's `contract` setting)"},
)
