"""A contract as Istio security policy: the requests it permits, nothing more.

An ALLOW AuthorizationPolicy denies every request no rule matches, and ORs its rules. So each
operation gets one rule per way in (its security alternatives, or none for an open operation),
matching its method and its request paths, with every more specific path of the contract in
`notPaths`: OpenAPI matches concrete paths before templated ones (`GET /orders/export` is not
`GET /orders/{id}`), and a rule must not let a request through that OpenAPI would give to
another operation. Scopes are checked in the token's `scope` claim (Keycloak's space-separated
list), each as an exact value (scope names with `*` are refused when the contract is read).
"""

from __future__ import annotations

from typing import Any

from dockyard.render.openapi.operations import Contract, Operation, more_specific, segments

PATH_NORMALIZATION = "DECODE_AND_MERGE_SLASHES"
"""How the mesh normalises a request's path before it is matched (and forwards it so): `%2F` and
`%5C` decoded, repeated slashes merged, so `/orders/1%2Finvoice` is checked as the
`/orders/1/invoice` the service will see."""


def istio_path(path: str) -> str:
    """A request path template in Istio's syntax: a `{param}` segment becomes `{*}` (exactly one segment)."""
    return "/" + "/".join("{*}" if part is None else part for part in segments(path))


def rules(contract: Contract) -> list[dict[str, Any]]:
    """The ALLOW rules of `contract`, in a stable order."""
    every_path = contract.guarded_paths()
    found: list[dict[str, Any]] = []
    for operation in contract.operations:
        to = [{"operation": _operation(operation, every_path)}]
        if operation.open:
            found.append({"to": to})
            continue
        for scopes in operation.alternatives:
            rule: dict[str, Any] = {"from": [{"source": {"requestPrincipals": ["*"]}}], "to": to}
            if scopes:
                rule["when"] = [{"key": "request.auth.claims[scope]", "values": [scope]} for scope in scopes]
            found.append(rule)
    return found


def _operation(operation: Operation, every_path: list[str]) -> dict[str, Any]:
    paths = sorted({istio_path(p) for p in operation.paths})
    shadowing = sorted(
        {istio_path(other) for own in operation.paths for other in every_path if more_specific(other, own)}
    )
    matched: dict[str, Any] = {"methods": [operation.method], "paths": paths}
    if shadowing:
        matched["notPaths"] = shadowing
    return matched
