"""Two independent judges of one request, for the contract-enforcement tests.

`mesh_allows` evaluates rendered Istio policies as Istio documents their matching (written for
the tests from the AuthorizationPolicy and RequestAuthentication references, not from Dockyard's
code); `contract_allows` answers from the OpenAPI document itself, as the specification reads.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

PCHAR_SEGMENT = re.compile(r"[A-Za-z0-9\-._~%!$&'()+,;:@=]+")
"""What Envoy's `{*}` matches: one non-empty path segment."""


@dataclass(frozen=True)
class Token:
    issuer: str
    audiences: tuple[str, ...]
    scope: str
    """Keycloak's space-separated `scope` claim."""


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    """As sent: the path, and any query after `?`."""
    token: Token | None = None
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def url_path(self) -> str:
        """The path without its query (what Istio's and OpenAPI's path matching see)."""
        return self.path.split("?", 1)[0]

    @property
    def query(self) -> str | None:
        return self.path.split("?", 1)[1] if "?" in self.path else None


# --- the mesh, as Istio documents it -------------------------------------------------------------


def normalise(path: str) -> str:
    """DECODE_AND_MERGE_SLASHES: RFC 3986 dot segments removed, %2F and %5C decoded, slashes merged;
    Envoy's path canonicalisation also reads a backslash as a slash."""
    path = re.sub(r"%2[Ff]", "/", path)
    path = re.sub(r"%5[Cc]", "/", path).replace("\\", "/")
    path = re.sub(r"/{2,}", "/", path)
    normal = posixpath.normpath(path) if path not in ("", "/") else "/"
    if path.endswith("/") and normal != "/":
        normal += "/"
    return normal.replace("//", "/")


def _template_match(pattern: str, path: str) -> bool:
    parts, segments = pattern.split("/"), path.split("/")
    if "{**}" in parts:
        index = parts.index("{**}")
        head, tail = parts[:index], parts[index + 1 :]
        if len(segments) < len(head) + len(tail):
            return False
        middle = segments[len(head) : len(segments) - len(tail)]
        return (
            all(_segment(p, s) for p, s in zip(head, segments, strict=False))
            and all(_segment(p, s) for p, s in zip(tail, segments[len(segments) - len(tail) :], strict=False))
            and all(PCHAR_SEGMENT.fullmatch(s) for s in middle)
        )
    return len(parts) == len(segments) and all(_segment(p, s) for p, s in zip(parts, segments, strict=True))


def _segment(pattern: str, segment: str) -> bool:
    return bool(PCHAR_SEGMENT.fullmatch(segment)) if pattern == "{*}" else pattern == segment


def _string_match(pattern: str, value: str) -> bool:
    """Istio's string match: exact, `*` (present), `prefix*`, `*suffix`; `{*}`/`{**}` templates in paths."""
    if "{*}" in pattern or "{**}" in pattern:
        return _template_match(pattern, value)
    if pattern == "*":
        return value != ""
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    return pattern == value


def mesh_allows(request: Request, authentication: dict[str, Any], authorization: dict[str, Any]) -> bool:
    """Whether the waypoint lets `request` through to the service."""
    claims: dict[str, Any] | None = None
    if request.token is not None:
        rules = authentication["spec"]["jwtRules"]
        valid = [
            rule
            for rule in rules
            if rule["issuer"] == request.token.issuer
            and (not rule.get("audiences") or set(rule["audiences"]) & set(request.token.audiences))
        ]
        if not valid:
            return False  # a token that is present and invalid is refused outright (401)
        claims = {"scope": request.token.scope}
    path = normalise(request.url_path)  # Istio matches paths without their query
    spec = authorization["spec"]
    assert spec["action"] == "ALLOW"
    return any(_rule_matches(rule, request.method, path, claims) for rule in spec.get("rules", []))


def _rule_matches(rule: dict[str, Any], method: str, path: str, claims: dict[str, Any] | None) -> bool:
    for source in rule.get("from", []):
        principals = source["source"].get("requestPrincipals")
        if principals is not None and not (claims is not None and any(p == "*" for p in principals)):
            return False
    operations = [entry["operation"] for entry in rule.get("to", [])]
    if operations and not any(_operation_matches(o, method, path) for o in operations):
        return False
    for condition in rule.get("when", []):
        match = re.fullmatch(r"request\.auth\.claims\[(.+)\]", condition["key"])
        assert match, condition["key"]
        if claims is None:
            return False
        values = str(claims.get(match.group(1), "")).split()  # a space-separated claim is a list
        if not any(_string_match(pattern, value) for pattern in condition["values"] for value in values):
            return False
    return True


def _operation_matches(operation: dict[str, Any], method: str, path: str) -> bool:
    if "methods" in operation and method not in operation["methods"]:
        return False
    if "paths" in operation and not any(_string_match(p, path) for p in operation["paths"]):
        return False
    return not any(_string_match(p, path) for p in operation.get("notPaths", []))


# --- the contract, as OpenAPI reads it ------------------------------------------------------------


def contract_allows(contract: dict[str, Any], request: Request, audience: str, issuer: str) -> bool:
    """Whether the contract permits `request`: it names an operation (concrete paths before
    templated ones), and the request's credentials meet one of its security requirements."""
    if request.token is not None and (request.token.issuer != issuer or audience not in request.token.audiences):
        return False
    path = normalise(request.url_path)
    matches = []
    for base in _bases(contract.get("servers")):
        if base and not (path == base or path.startswith(base + "/")):
            continue
        rest = path[len(base) :] if base else path
        for template, item in (contract.get("paths") or {}).items():
            if _openapi_match(template, rest):
                # concrete before templated over the whole path, base included: a request that
                # two servers' templates both match goes to the one with text further left
                matches.append((_specificity(base + template), template, item))
    if not matches:
        return False
    _key, _template, item = min(matches, key=lambda m: m[0])
    operation = item.get(request.method.lower())
    if not isinstance(operation, dict):
        return False
    security = operation.get("security", contract.get("security")) or []
    if not security:
        return True
    granted = set(request.token.scope.split()) if request.token else None
    for requirement in security:
        if requirement == {}:
            return True
        if granted is not None and all(set(scopes) <= granted for scopes in requirement.values()):
            return True
    return False


def _bases(servers: Any) -> list[str]:
    if not servers:
        return [""]
    bases = []
    for server in servers:
        url = server["url"]
        for name, variable in (server.get("variables") or {}).items():
            url = url.replace("{" + name + "}", variable["default"])
        parts = urlsplit(url)
        path = parts.path if parts.scheme else url
        bases.append("/" + path.strip("/") if path.strip("/") else "")
    return bases


def _openapi_match(template: str, path: str) -> bool:
    parts, segments = template.split("/"), path.split("/")
    if len(parts) != len(segments):
        return False
    for part, segment in zip(parts, segments, strict=True):
        if part.startswith("{") and part.endswith("}"):
            if not PCHAR_SEGMENT.fullmatch(segment):
                return False
        elif part != segment:
            return False
    return True


def _specificity(template: str) -> tuple[int, ...]:
    """Smaller is more specific: literal segments before parameters, from the left."""
    return tuple(1 if p.startswith("{") else 0 for p in template.split("/"))


# --- the edge, as Envoy Gateway documents its SecurityPolicy ------------------------------------------


def edge_allows(request: Request, policy: dict[str, Any]) -> bool:
    """Whether Envoy Gateway lets `request` through: a present token must be valid for the provider
    (issuer, audience); then the authorization rules in order, the first that matches decides."""
    spec = policy["spec"]
    claims: dict[str, Any] | None = None
    if request.token is not None:
        providers = spec["jwt"]["providers"]
        valid = [
            p
            for p in providers
            if p["issuer"] == request.token.issuer and set(p.get("audiences") or ()) & set(request.token.audiences)
        ]
        if not valid:
            return False
        claims = {"iss": request.token.issuer, "scope": request.token.scope, "provider": valid[0]["name"]}
    elif not spec["jwt"].get("optional"):
        return False
    # Envoy normalises the path, then matches rules against `:path`, query included
    path = normalise(request.url_path) + ("" if request.query is None else "?" + request.query)
    authorization = spec["authorization"]
    for rule in authorization["rules"]:
        operation = rule.get("operation") or {}
        if operation.get("methods") and request.method not in operation["methods"]:
            continue
        matcher = operation.get("path")
        if matcher and not _path_matches(matcher, path):
            continue
        principal = rule.get("principal") or {}
        cidrs = principal.get("clientCIDRs")
        if cidrs is not None and not {"0.0.0.0/0", "::/0"} & set(cidrs):
            continue  # the tests' clients have any address: only a rule for every address matches them all
        jwt = principal.get("jwt")
        if jwt is not None:
            if claims is None or claims["provider"] != jwt["provider"]:
                continue
            if not set(jwt.get("scopes") or ()) <= set(claims["scope"].split()):
                continue
            if any(str(claims.get(c["name"])) not in c["values"] for c in jwt.get("claims") or ()):
                continue
        return rule["action"] == "Allow"
    return authorization.get("defaultAction", "Deny") == "Allow"


def _path_matches(matcher: dict[str, Any], path: str) -> bool:
    kind, value = matcher.get("type", "PathPrefix"), matcher["value"]
    if kind == "Exact":
        return path == value
    if kind == "RegularExpression":
        return re.fullmatch(value, path) is not None  # Envoy matches the whole path (RE2; these use no RE2-only syntax)
    return path == value or path.startswith(value.rstrip("/") + "/")


# --- the pods' own policy, as ztunnel enforces an L4 AuthorizationPolicy ----------------------------


def pods_admit(policy: dict[str, Any], principal: str | None, namespace: str | None, port: int) -> bool:
    """Whether an ALLOW policy with a selector lets a connection in: some rule whose every part
    matches (a source: one of its principals, with `*` as a prefix or suffix wildcard, and one of
    its namespaces; both need the sender's mTLS identity, absent from plaintext; an operation: one
    of its ports)."""
    spec = policy["spec"]
    assert spec["action"] == "ALLOW" and "selector" in spec
    for rule in spec.get("rules", []):
        sources = [entry["source"] for entry in rule.get("from", [])]
        if sources and not any(_source_matches(s, principal, namespace) for s in sources):
            continue
        operations = [entry["operation"] for entry in rule.get("to", [])]
        if operations and not any(str(port) in o.get("ports", [str(port)]) for o in operations):
            continue
        return True
    return False


def _source_matches(source: dict[str, Any], principal: str | None, namespace: str | None) -> bool:
    if "principals" in source and not (principal and any(_string_match(p, principal) for p in source["principals"])):
        return False
    return "namespaces" not in source or (namespace is not None and namespace in source["namespaces"])
