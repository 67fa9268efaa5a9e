"""A contract as Envoy Gateway's SecurityPolicy: requests from outside the cluster are checked at
the edge, before they reach the service, exactly as the contract says.

The policy's authorization rules are evaluated in order and the first that matches decides; what
matches none is denied. So the paths go from the most specific to the least (concrete segments
before parameters, from the left), and each path's allow rules (one per operation and way in)
end with a rule that denies that path for anything else: a request OpenAPI gives to a concrete
path never falls through to a templated one. Tokens must come from the platform's realm for this
API's audience; missing tokens are let through to the rules (open operations need none), present
but invalid ones are refused. Keys are fetched from Keycloak inside the cluster. Paths carrying
matrix parameters (`;`) are denied: backends and the gateway would read them differently.
"""

from __future__ import annotations

import re
from typing import Any

from dockyard.render.bundle import obj
from dockyard.render.labels import selector_of
from dockyard.render.openapi.operations import Contract, segments

PROVIDER = "platform"
ANYONE = {"clientCIDRs": ["0.0.0.0/0", "::/0"]}
"""A principal every client matches (a rule must name one: the CRD's own validation)."""


QUERY = r"(\?.*)?"
"""Envoy matches a rule's path against `:path`, query included: a path's pattern ends where its
query may begin (and no parameter reaches into the query, or `/a?/b` would pass for `/a/b`)."""
PARAMETER = "[^/?#;]+"
"""One non-empty segment. No `;`: backends read `/orders/me;x/admin` as `/orders/me/admin` (matrix
parameters), so no pattern admits a `;` and such requests are denied at the edge."""


def path_pattern(path: str) -> str:
    """An RE2 pattern matching exactly the request paths of a path template, with any query."""
    parts = [PARAMETER if part is None else re.escape(part) for part in segments(path)]
    return "^/" + "/".join(parts) + QUERY + "$"


def _specificity(path: str) -> tuple[int, ...]:
    """Smaller sorts first: text segments before parameters, from the left."""
    return tuple(1 if part is None else 0 for part in segments(path))


def rules(contract: Contract, issuer: str) -> list[dict[str, Any]]:
    by_path: dict[str, list[tuple[str, bool, tuple[tuple[str, ...], ...]]]] = {}
    for path in contract.guarded_paths():  # a path no operation serves at this base: only its deny rule
        by_path[path] = []
    for operation in contract.operations:
        for path in operation.paths:
            by_path.setdefault(path, []).append((operation.method, operation.open, operation.alternatives))
    found: list[dict[str, Any]] = []
    for path in sorted(by_path, key=lambda p: (_specificity(p), p)):
        matched = {"type": "RegularExpression", "value": path_pattern(path)}
        for method, is_open, alternatives in sorted(by_path[path]):
            request: dict[str, Any] = {"methods": [method], "path": matched}
            if is_open:
                found.append({"action": "Allow", "operation": request, "principal": ANYONE})
                continue
            for scopes in alternatives:
                principal: dict[str, Any] = {"provider": PROVIDER}
                if scopes:
                    principal["scopes"] = list(scopes)
                else:  # any valid token of this API: every one carries the realm's issuer
                    principal["claims"] = [{"name": "iss", "values": [issuer]}]
                found.append({"action": "Allow", "operation": request, "principal": {"jwt": principal}})
        found.append({"action": "Deny", "operation": {"path": matched}, "principal": ANYONE})
    return found


def security_policy(
    contract: Contract, service: str, namespace: str, issuer: str, jwks: str, keys: dict[str, Any]
) -> dict[str, Any]:
    """The SecurityPolicy for every HTTPRoute of `service` (selected by its labels)."""
    return obj(
        "gateway.envoyproxy.io/v1alpha1",
        "SecurityPolicy",
        f"{service}-contract",
        namespace,
        spec={
            "targetSelectors": [
                {
                    "group": "gateway.networking.k8s.io",
                    "kind": "HTTPRoute",
                    "matchLabels": selector_of(service),
                }
            ],
            "jwt": {
                "optional": True,
                "providers": [
                    {
                        "name": PROVIDER,
                        "issuer": issuer,
                        "audiences": [service],
                        "remoteJWKS": {"uri": jwks, "backendRefs": [keys]},
                    }
                ],
            },
            "authorization": {"defaultAction": "Deny", "rules": rules(contract, issuer)},
        },
    )
