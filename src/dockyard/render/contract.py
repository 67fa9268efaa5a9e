"""An OpenAPI 3.x contract: validated, then read as operations with the scopes each one needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dockyard.errors import Problem
from dockyard.load.words import dotted
from dockyard.load.yamlsafe import Document

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    """The OpenAPI path, templated: /orders/{id}."""
    open: bool
    """No security applies (or an empty requirement `{}` allows anonymous callers)."""
    alternatives: tuple[tuple[str, ...], ...]
    """Each way to be allowed when not open: the scopes it needs, all of them (() = any valid token)."""

    @property
    def istio_path(self) -> str:
        """The path in Istio's template syntax: every {param} segment becomes {*}."""
        return "/".join("{*}" if part.startswith("{") and part.endswith("}") else part for part in self.path.split("/"))


@dataclass(frozen=True)
class Contract:
    title: str
    operations: tuple[Operation, ...]
    scopes: dict[str, str]
    """Every OAuth scope the contract declares, with its description."""


def validate(document: Document) -> list[Problem]:
    """Every problem of the contract as an OpenAPI 3.0 or 3.1 document, at its line."""
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    data = document.data
    if not isinstance(data, dict) or not isinstance(data.get("openapi"), str):
        return [Problem(document.position(()), "not an OpenAPI document: `openapi: 3.x.y` is missing")]
    version = data["openapi"]
    if not version.startswith(("3.0.", "3.1.")):
        return [Problem(document.position(("openapi",)), f"OpenAPI {version} is not supported; use 3.0 or 3.1")]
    validator = (OpenAPIV31SpecValidator if version.startswith("3.1.") else OpenAPIV30SpecValidator)(data)
    problems = []
    try:
        for error in validator.iter_errors():
            path = _as_document_path(data, tuple(getattr(error, "absolute_path", ()) or ()))
            where = f"`{dotted(path)}`: " if path else ""
            problems.append(Problem(document.position(path), f"invalid OpenAPI contract: {where}{error.message}"))
    except (KeyError, TypeError, AttributeError):
        # the validator cannot go on past a structural error; what it reported so far stands
        if not problems:
            problems.append(Problem(document.position(()), "invalid OpenAPI contract: its structure is broken"))
    return problems


def _as_document_path(data: Any, path: tuple[Any, ...]) -> tuple[str | int, ...]:
    """The validator may report mapping keys such as `200` as numbers; find them as the document has them."""
    result: list[str | int] = []
    node = data
    for part in path:
        if isinstance(node, dict) and part not in node and str(part) in node:
            part = str(part)
        result.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(result)


def read(document: Document) -> Contract:
    """The operations of a valid contract, each with the scopes its `security` requires."""
    data: dict[str, Any] = document.data
    default = data.get("security")
    operations = []
    for path, item in sorted((data.get("paths") or {}).items()):
        for method in METHODS:
            operation = item.get(method) if isinstance(item, dict) else None
            if not isinstance(operation, dict):
                continue
            security = operation.get("security", default) or []
            is_open = not security or any(requirement == {} for requirement in security)
            alternatives = tuple(
                sorted(
                    {tuple(sorted({s for scopes in requirement.values() for s in scopes})) for requirement in security}
                )
            )
            operations.append(Operation(method.upper(), path, is_open, () if is_open else alternatives))
    return Contract(str((data.get("info") or {}).get("title", "")), tuple(operations), _declared_scopes(data))


def _declared_scopes(data: dict[str, Any]) -> dict[str, str]:
    scopes: dict[str, str] = {}
    for scheme in ((data.get("components") or {}).get("securitySchemes") or {}).values():
        for flow in (scheme.get("flows") or {}).values() if isinstance(scheme, dict) else ():
            for name, description in (flow.get("scopes") or {}).items():
                scopes.setdefault(name, str(description))
    return dict(sorted(scopes.items()))
