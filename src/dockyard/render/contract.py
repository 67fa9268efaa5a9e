"""An OpenAPI 3.x contract: validated, then read as operations with the scopes each one needs.

A contract is its file and the files its `$ref`s name, all loaded from the repo beforehand
(`load.contracts`); every reference is resolved among those documents, offline. The
validator is given a resolver that can only read them: a reference it would fetch from
anywhere else is refused, never requested.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from dockyard.errors import Problem
from dockyard.load.contracts import referenced_file, references
from dockyard.load.words import dotted
from dockyard.load.yamlsafe import Document

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
MAX_EXPANDED = 2_000_000
"""Nodes a contract may grow to when its references are followed (a `$ref` fan-out bomb stops here)."""
MAX_MESSAGE = 300
_BASE = "file:///dockyard-platform-repo/"
"""Where the validator believes the repo is: a URI only this module's resolver answers."""


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


class Unresolved(Exception):
    """A reference that names nothing among the loaded documents; the message says what."""


@dataclass(frozen=True)
class Sources:
    """A contract's documents: its own file (`main`) and every file it references, by repo path."""

    main: str
    documents: Mapping[str, Document]

    @property
    def document(self) -> Document:
        return self.documents[self.main]

    def resolve(self, file: str, reference: str) -> tuple[str, tuple[str | int, ...], Any]:
        """(file, path in it, value) that `reference`, written in `file`, names."""
        try:
            target = referenced_file(file, reference) or file
        except ValueError as refused:
            raise Unresolved(str(refused)) from None
        if target not in self.documents:
            raise Unresolved(f"`$ref` `{reference}`: {target} was not loaded")
        pointer = _pointer(urlsplit(reference).fragment)
        node: Any = self.documents[target].data
        for part in pointer:
            if isinstance(node, dict) and isinstance(part, str) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                raise Unresolved(f"`$ref` `{reference}` names nothing: {target} has no `{_shown_pointer(pointer)}`")
        return target, pointer, node

    def follow(self, file: str, node: Any, limit: int = 32) -> tuple[str, Any]:
        """`node` with its own `$ref` chain followed (a path item or a security scheme by reference)."""
        for _step in range(limit):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                return file, node
            file, _path, node = self.resolve(file, node["$ref"])
        raise Unresolved("a `$ref` chain longer than 32 steps (or a loop)")


def _pointer(fragment: str) -> tuple[str | int, ...]:
    if not fragment:
        return ()
    if not fragment.startswith("/"):
        raise Unresolved(f"`#{fragment}` is not a JSON pointer (`#/components/...`)")
    parts: list[str | int] = []
    for raw in unquote(fragment)[1:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        parts.append(int(part) if part.isdigit() and part == str(int(part)) else part)
    return tuple(parts)


def _shown_pointer(pointer: tuple[str | int, ...]) -> str:
    return "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in pointer)


def validate(sources: Sources) -> list[Problem]:
    """Every problem of the contract as an OpenAPI 3.0 or 3.1 document, at its line."""
    document = sources.document
    data = document.data
    version = data.get("openapi") if isinstance(data, dict) else None
    if isinstance(data, dict) and "swagger" in data and version is None:
        return [
            Problem(
                document.position(("swagger",)),
                f"this is a Swagger {data['swagger']} document; Dockyard reads OpenAPI 3.0 and 3.1",
                "convert it to OpenAPI 3 (for example with swagger2openapi) and commit the result",
            )
        ]
    if not isinstance(data, dict) or "openapi" not in data:
        return [Problem(document.position(()), "not an OpenAPI document: `openapi: 3.x.y` is missing")]
    if not isinstance(version, str):
        return [
            Problem(
                document.position(("openapi",)),
                f'`openapi` must be text such as "3.1.0", but it is the {_type_name(version)} {version!r}',
                f'quote it: openapi: "{version}"' if isinstance(version, int | float) else None,
            )
        ]
    if not version.startswith(("3.0.", "3.1.")):
        return [Problem(document.position(("openapi",)), f"OpenAPI {version} is not supported; use 3.0 or 3.1")]
    problems = _reference_problems(sources)
    if problems:
        return problems
    return _validator_problems(sources, version)


def _type_name(value: Any) -> str:
    return {bool: "boolean", int: "number", float: "number"}.get(type(value), type(value).__name__)


def _reference_problems(sources: Sources) -> list[Problem]:
    """Every reference of every document names something, and following them stays bounded."""
    problems = []
    for file, document in sorted(sources.documents.items()):
        for path, reference in references(document.data):
            try:
                sources.resolve(file, reference)
            except Unresolved as error:
                problems.append(Problem(document.position(path), str(error)))
    if problems:
        return problems
    size = _expanded_size(sources)
    if size > MAX_EXPANDED:
        return [
            Problem(
                sources.document.position(()),
                f"the contract's `$ref`s expand it to more than {MAX_EXPANDED:,} nodes",
                "references that repeat large parts many times over multiply the size; refer to shared parts once",
            )
        ]
    return []


def _expanded_size(sources: Sources) -> int:
    """How many nodes a walk that follows every reference visits (a reference loop counts once)."""
    sizes: dict[tuple[str, int], int] = {}
    active: set[tuple[str, int]] = set()

    def size(file: str, node: Any) -> int:
        key = (file, id(node))
        if key in sizes:
            return sizes[key]
        if key in active:
            return 1
        active.add(key)
        total = 1
        children: Iterator[Any] = iter(())
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                target, _path, value = sources.resolve(file, node["$ref"])
                total += size(target, value)
            children = iter(v for k, v in node.items() if k != "$ref")
        elif isinstance(node, list):
            children = iter(node)
        for child in children:
            total += size(file, child)
            if total > MAX_EXPANDED:
                break
        active.discard(key)
        sizes[key] = min(total, MAX_EXPANDED + 1)
        return sizes[key]

    return size(sources.main, sources.document.data)


class _Documents(dict[str, Any]):
    """The validator's URI handlers: the loaded documents under `_BASE`, and a refusal for every
    other scheme (a plain dict would let the validator fall back to fetching the URI)."""

    def __init__(self, sources: Sources) -> None:
        super().__init__()
        self.sources = sources

    def __contains__(self, scheme: object) -> bool:
        return True

    def __getitem__(self, scheme: str) -> Any:
        return self._read

    def _read(self, uri: str) -> Any:
        if not uri.startswith(_BASE):
            raise Unresolved(f"`{uri}` is outside the platform repo")
        path = unquote(urlsplit(uri).path).removeprefix(urlsplit(_BASE).path)
        if path not in self.sources.documents:
            raise Unresolved(f"{path} was not loaded")
        return self.sources.documents[path].data


def _validator_problems(sources: Sources, version: str) -> list[Problem]:
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
    from referencing.exceptions import Unresolvable

    base = OpenAPIV31SpecValidator if version.startswith("3.1.") else OpenAPIV30SpecValidator
    offline = type("OfflineValidator", (base,), {"resolver_handlers": _Documents(sources)})
    document = sources.document
    validator = offline(document.data, base_uri=_BASE + sources.main)
    problems = []
    try:
        for error in validator.iter_errors():
            path = _as_document_path(document.data, tuple(getattr(error, "absolute_path", ()) or ()))
            where = f"`{dotted(path)}`: " if path else ""
            problems.append(
                Problem(document.position(path), f"invalid OpenAPI contract: {where}{_clip(error.message)}")
            )
    except (Unresolved, Unresolvable) as error:
        problems.append(Problem(document.position(()), f"invalid OpenAPI contract: cannot resolve {_clip(str(error))}"))
    except (KeyError, TypeError, AttributeError, ValueError, LookupError, RecursionError):
        # the validator cannot go on past a structural error; what it reported so far stands
        if not problems:
            problems.append(Problem(document.position(()), "invalid OpenAPI contract: its structure is broken"))
    return problems


def _clip(message: str) -> str:
    """A validator message quotes the offending value whole; a whole document is not a message."""
    message = message.split("\n", 1)[0]
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + "… (shortened)"


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


def read(sources: Sources) -> Contract:
    """The operations of a valid contract, each with the scopes its `security` requires."""
    data: dict[str, Any] = sources.document.data
    default = data.get("security")
    operations = []
    for path, written in sorted((data.get("paths") or {}).items()):
        _file, item = sources.follow(sources.main, written)
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
    return Contract(str((data.get("info") or {}).get("title", "")), tuple(operations), _declared_scopes(sources))


def _declared_scopes(sources: Sources) -> dict[str, str]:
    data = sources.document.data
    scopes: dict[str, str] = {}
    for written in ((data.get("components") or {}).get("securitySchemes") or {}).values():
        _file, scheme = sources.follow(sources.main, written)
        for flow in (scheme.get("flows") or {}).values() if isinstance(scheme, dict) else ():
            for name, description in (flow.get("scopes") or {}).items():
                scopes.setdefault(name, str(description))
    return dict(sorted(scopes.items()))
