"""A contract's operations, read with OpenAPI's own rules: each with the request paths it serves
(every base path of its `servers`) and the credentials it needs; and everything the platform
could not enforce exactly, as a problem at its line, so nothing is silently enforced loosely.

Credentials: a `security` list is an OR of requirement objects; a requirement object is an AND of
its schemes. OAuth 2 and OpenID Connect schemes (and HTTP bearer tokens) are JWTs from the
platform's Keycloak, checked with their scopes; other schemes (API keys, HTTP Basic, mutual TLS)
are refused, because the platform cannot check them and would otherwise let anything through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import product
from typing import Any
from urllib.parse import urlsplit

from dockyard.errors import Problem, Problems
from dockyard.render.openapi.sources import Path_, Sources, Unresolved

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
JWT_SCHEMES = ("oauth2", "openIdConnect")
PARAMETER = re.compile(r"\{[^{}/]+\}")
EXPANSION = re.compile(r"\{[+#./;?&][^{}/]*\}")
"""RFC 6570 operators (`{+path}`, `{/segments}`, ...): values that are not one path segment."""
LITERAL = re.compile(r"[A-Za-z0-9\-._~%!$&'()+,;:@=]*")
"""Characters of a path segment (RFC 3986 pchar) that every enforcer matches literally; `*`, `{`
and `}` are operators to them."""
SCOPE = re.compile(r"[\x21\x23-\x29\x2b-\x5b\x5d-\x7e]+")
"""RFC 6749 scope-token characters, without `*` (a wildcard to the mesh's claim matching)."""
MAX_SCOPE = 253
"""The longest scope Envoy Gateway's SecurityPolicy accepts (its CRD's limit)."""
KEYCLOAK_SCOPES = frozenset(
    {
        "acr",
        "address",
        "basic",
        "email",
        "microprofile-jwt",
        "offline_access",
        "openid",
        "organization",
        "phone",
        "profile",
        "role_list",
        "roles",
        "service_account",
        "web-origins",
    }
)
"""Client scopes every Keycloak realm has, several of them in every token: a contract scope of
the same name would be granted to every caller."""


@dataclass(frozen=True)
class Operation:
    method: str
    """Upper case: GET, POST, ..."""
    path: str
    """The OpenAPI path as written: /orders/{id}."""
    paths: tuple[str, ...]
    """The request paths it serves: its path under each base path of its servers (/v1/orders/{id})."""
    open: bool
    """No credentials needed (no security, or an empty requirement `{}` among them)."""
    alternatives: tuple[tuple[str, ...], ...]
    """When not open, each way in: the scopes it needs, all of them (() = any valid token for this API)."""


@dataclass(frozen=True)
class Contract:
    title: str
    operations: tuple[Operation, ...]
    scopes: dict[str, str]
    """Every OAuth scope the contract declares or requires, with its description."""

    @property
    def secured(self) -> tuple[Operation, ...]:
        return tuple(o for o in self.operations if not o.open)

    def guarded_paths(self) -> list[str]:
        """Every path template of the contract under every base path it uses, not only its own.

        With `servers` on a path or an operation, `/admin/orders/export` may be the only home of
        a concrete path while `/orders/{id}` serves the root. OpenAPI then gives `/orders/export`
        to the templated operation, but a service's router does not read `servers` and would
        route it to the concrete one; so a concrete path shadows the templates under every base
        (a request that looks like it is refused, never let through to the stricter operation)."""
        bases = {full[: len(full) - len(o.path)] for o in self.operations for full in o.paths if full.endswith(o.path)}
        return sorted({_joined(base, o.path) for base in bases for o in self.operations})


def read(sources: Sources, problems: Problems) -> Contract:
    """The contract's operations; every problem that keeps them from being enforced exactly goes to `problems`."""
    return _Reader(sources, problems).contract()


class _Reader:
    def __init__(self, sources: Sources, problems: Problems) -> None:
        self.sources = sources
        self.data: dict[str, Any] = sources.document.data
        self.problems = problems
        self.schemes = self._schemes()
        self.declared = self._declared_scopes()
        self.required: dict[str, str] = {}

    def problem(self, file: str, path: Path_, message: str, hint: str | None = None, *, key: bool = False) -> None:
        found = Problem(self.sources.documents[file].position(path, key=key), message, hint)
        if found not in self.problems:
            self.problems.append(found)

    def contract(self) -> Contract:
        main = self.sources.main
        root_servers = self._base_paths(main, ("servers",), self.data.get("servers"), ("",))
        operations = []
        for written, item_node in sorted((self.data.get("paths") or {}).items()):
            try:
                file, item_path, item = self.sources.follow(main, ("paths", written), item_node)
            except Unresolved as error:
                self.problem(main, ("paths", written), str(error))
                continue
            if not isinstance(item, dict):
                continue
            self._check_path(main, ("paths", written), written, key=True)
            item_servers = self._base_paths(file, (*item_path, "servers"), item.get("servers"), root_servers)
            for method in METHODS:
                operation = item.get(method)
                if not isinstance(operation, dict):
                    continue
                where = (*item_path, method)
                servers = self._base_paths(file, (*where, "servers"), operation.get("servers"), item_servers)
                is_open, alternatives = self._security(file, where, operation)
                paths = tuple(sorted({_joined(base, written) for base in servers}))
                operations.append(Operation(method.upper(), written, paths, is_open, alternatives))
        scopes = {**self.required, **self.declared}
        return Contract(
            str((self.data.get("info") or {}).get("title", "")), tuple(operations), dict(sorted(scopes.items()))
        )

    def _schemes(self) -> dict[str, tuple[str, Path_, dict[str, Any]]]:
        """Each security scheme by name: (file, path, definition), references followed."""
        found = {}
        written = (self.data.get("components") or {}).get("securitySchemes") or {}
        for name, node in written.items():
            try:
                file, path, scheme = self.sources.follow(
                    self.sources.main, ("components", "securitySchemes", name), node
                )
            except Unresolved as error:
                self.problem(self.sources.main, ("components", "securitySchemes", name), str(error))
                continue
            if isinstance(scheme, dict):
                found[name] = (file, path, scheme)
        return found

    def _declared_scopes(self) -> dict[str, str]:
        scopes: dict[str, str] = {}
        for file, path, scheme in self.schemes.values():
            for flow_name, flow in (scheme.get("flows") or {}).items() if scheme.get("type") == "oauth2" else ():
                for name, description in ((flow or {}).get("scopes") or {}).items():
                    self._check_scope(file, (*path, "flows", flow_name, "scopes", name), name, key=True)
                    scopes.setdefault(name, str(description))
        return scopes

    def _check_scope(self, file: str, path: Path_, name: str, *, key: bool = False) -> bool:
        if not SCOPE.fullmatch(name):
            self.problem(
                file,
                path,
                f"scope `{name}` has characters an OAuth scope cannot have, or `*`, which the mesh would read "
                "as a wildcard",
                "use letters, digits and punctuation such as `:` `.` `-` `/` (no spaces, quotes, backslashes or `*`)",
                key=key,
            )
            return False
        if len(name) > MAX_SCOPE:
            self.problem(
                file,
                path,
                f"scope `{name[:40]}…` is {len(name)} characters long; Envoy Gateway accepts scopes of at most "
                f"{MAX_SCOPE} (and Keycloak names of at most 255)",
                "give it a shorter name",
                key=key,
            )
            return False
        if name in KEYCLOAK_SCOPES:
            self.problem(
                file,
                path,
                f"scope `{name}` is one of Keycloak's own client scopes, which callers get without asking",
                "give the API's scope a name of its own (for example `orders:read`)",
                key=key,
            )
            return False
        return True

    def _security(self, file: str, where: Path_, operation: dict[str, Any]) -> tuple[bool, tuple[tuple[str, ...], ...]]:
        if "security" in operation:
            security, at_file, at = operation["security"], file, (*where, "security")
        else:
            security, at_file, at = self.data.get("security"), self.sources.main, ("security",)
        if not security:
            return True, ()
        alternatives: set[tuple[str, ...]] = set()
        is_open = False
        for index, requirement in enumerate(security):
            if not isinstance(requirement, dict):
                continue
            if requirement == {}:
                is_open = True
                continue
            scopes: set[str] = set()
            usable = True
            for scheme_name, listed in requirement.items():
                usable &= self._requirement(at_file, (*at, index, scheme_name), scheme_name, listed, scopes)
            if usable:
                alternatives.add(tuple(sorted(scopes)))
        if is_open:
            return True, ()
        return False, tuple(sorted(alternatives))

    def _requirement(self, file: str, path: Path_, name: str, listed: Any, scopes: set[str]) -> bool:
        scheme = self.schemes.get(name)
        if scheme is None:
            self.problem(file, path, f"security scheme `{name}` is not defined in components.securitySchemes")
            return False
        _file, _path, definition = scheme
        kind = definition.get("type")
        bearer = kind == "http" and str(definition.get("scheme", "")).lower() == "bearer"
        if kind not in JWT_SCHEMES and not bearer:
            described = f"{kind} {definition.get('scheme')}" if kind == "http" else str(kind)
            self.problem(
                file,
                path,
                f"security scheme `{name}` ({described}) is not one the platform can check: it enforces OAuth 2 "
                "and OpenID Connect tokens (JWTs from the platform's Keycloak) and their scopes",
                "require an OAuth 2 scheme here, or set `auth.jwt: false` in its dockyard.yaml and check credentials "
                "in the service itself",
            )
            return False
        usable = True
        for index, scope in enumerate(listed if isinstance(listed, list) else []):
            if not isinstance(scope, str) or not self._check_scope(file, (*path, index), scope):
                usable = False
                continue
            if kind == "oauth2" and scope not in self.declared:
                self.problem(
                    file,
                    (*path, index),
                    f"scope `{scope}` is not declared in any flow of security scheme `{name}`, so no client "
                    "could ever be granted it",
                    f"declare it under components.securitySchemes.{name}.flows.<flow>.scopes",
                )
                usable = False
                continue
            self.required.setdefault(scope, "")
            scopes.add(scope)
        return usable

    def _base_paths(self, file: str, where: Path_, servers: Any, inherited: tuple[str, ...]) -> tuple[str, ...]:
        """The path part of each server URL (its variables at their default and enum values)."""
        if not isinstance(servers, list) or not servers:
            return inherited
        bases: set[str] = set()
        for index, server in enumerate(servers):
            if not isinstance(server, dict) or not isinstance(server.get("url"), str):
                continue
            for url in _expanded(server["url"], server.get("variables") or {}):
                parts = urlsplit(url)
                path = parts.path if (parts.scheme or parts.netloc) else url.split("?", 1)[0].split("#", 1)[0]
                base = "/" + path.strip("/") if path.strip("/") else ""
                if self._check_path(file, (*where, index, "url"), base or "/", base_path=True):
                    bases.add(base)
        return tuple(sorted(bases)) or inherited

    def _check_path(self, file: str, where: Path_, path: str, *, base_path: bool = False, key: bool = False) -> bool:
        segments = path.split("/")[1:]
        for position, segment in enumerate(segments):
            if not base_path and EXPANSION.fullmatch(segment):
                self.problem(
                    file,
                    where,
                    f"path `{path}`: `{segment}` is a URI template expansion whose value may span segments "
                    "(RFC 6570); an OpenAPI path parameter is one segment, and a value's %2F is decoded into "
                    "segments before any check, so this operation cannot be enforced exactly",
                    "write the segments out (e.g. /v2/projects/{project}/tasks), or set "
                    "`auth.jwt: false` in its dockyard.yaml and check credentials in the service",
                    key=key,
                )
                return False
            if "{" in segment or "}" in segment:
                if base_path or not PARAMETER.fullmatch(segment):
                    self.problem(
                        file,
                        where,
                        f"path `{path}`: segment `{segment}` mixes a parameter with text; the mesh matches "
                        "parameters as whole segments only, so this operation cannot be enforced exactly",
                        "give the parameter a segment of its own (e.g. /tasks/{name}/run), or set "
                        "`auth.jwt: false` in its dockyard.yaml and check credentials in the service",
                        key=key,
                    )
                    return False
            elif not LITERAL.fullmatch(segment) or (segment == "" and position < len(segments) - 1):
                self.problem(
                    file,
                    where,
                    f"path `{path}`: segment `{segment}` has characters the mesh would not match literally "
                    "(`*` is a wildcard to it; empty segments are merged)",
                    "use letters, digits and - . _ ~ ! $ & ' ( ) + , ; : @ = in path segments",
                    key=key,
                )
                return False
        return True


def _expanded(url: str, variables: dict[str, Any]) -> list[str]:
    """`url` with each `{variable}` at its default and at each of its enum values."""
    names = sorted(set(re.findall(r"\{([^{}]+)\}", url)))
    choices = []
    for name in names:
        found = variables.get(name)
        variable: dict[str, Any] = found if isinstance(found, dict) else {}
        values = [str(variable.get("default", ""))] + [str(v) for v in variable.get("enum") or []]
        choices.append(sorted(set(values)))
    expanded = []
    for picked in product(*choices):
        text = url
        for name, value in zip(names, picked, strict=True):
            text = text.replace("{" + name + "}", value)
        expanded.append(text)
    return expanded


def _joined(base: str, path: str) -> str:
    return base + path if base else path


def segments(path: str) -> tuple[str | None, ...]:
    """A path template as segments: text, or None for a parameter."""
    return tuple(None if PARAMETER.fullmatch(part) else part for part in path.split("/")[1:])


def more_specific(first: str, second: str) -> bool:
    """Whether a request could match both templates and OpenAPI would pick `first`: the first
    segment where one has text and the other a parameter is text in `first` (concrete paths are
    matched before templated ones)."""
    a, b = segments(first), segments(second)
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if x is not None and y is not None and x != y:
            return False
    for x, y in zip(a, b, strict=True):
        if (x is None) != (y is None):
            return x is not None
    return False
