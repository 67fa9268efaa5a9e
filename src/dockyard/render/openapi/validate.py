"""Validate a contract as an OpenAPI 3.0 or 3.1 document, at the line of each problem.

References are checked first, among the loaded documents only (each names something; following
them stays bounded); then the validator runs with a resolver that can only read those documents:
a reference it would fetch from anywhere else is refused, never requested.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

from dockyard.errors import Problem
from dockyard.load.contracts import references
from dockyard.load.words import dotted
from dockyard.load.yamlsafe import Document
from dockyard.render.openapi.quick import proven_valid
from dockyard.render.openapi.sources import Sources, Unresolved

MAX_EXPANDED = 2_000_000
"""Nodes a contract may grow to when its references are followed (a `$ref` fan-out bomb stops here)."""
MAX_MESSAGE = 300
_BASE = "file:///dockyard-platform-repo/"
"""Where the validator believes the repo is: a URI only this module's resolver answers."""


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
    problems = _shape_problems(document) or _reference_problems(sources)
    if problems:
        return problems
    if len(sources.documents) == 1 and proven_valid(data):
        return []  # the full validator would find nothing either (quick.py)
    return _validator_problems(sources, version)


SHAPES: dict[str, type] = {
    "info": dict,
    "servers": list,
    "paths": dict,
    "webhooks": dict,
    "components": dict,
    "security": list,
    "tags": list,
    "externalDocs": dict,
}
"""The type of each top-level field, checked before the validator, which assumes them."""


def _shape_problems(document: Document) -> list[Problem]:
    return [
        Problem(
            document.position((name,)),
            f"`{name}` must be a {'mapping' if shape is dict else 'list'}, but it is the "
            f"{_type_name(document.data[name])} {_short(document.data[name])}",
        )
        for name, shape in SHAPES.items()
        if name in document.data and not isinstance(document.data[name], shape)
    ]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _type_name(value: Any) -> str:
    names = {bool: "boolean", int: "number", float: "number", list: "list", dict: "mapping", str: "text"}
    return names.get(type(value), type(value).__name__)


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
            if not path:
                path = _path_named_in(error.message, document.data)
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


_NAMED_PATH = re.compile(r"(?:operation )?in '(/[^']*)'")


def _path_named_in(message: str, data: Any) -> tuple[str | int, ...]:
    """Some of the validator's errors (a path parameter not declared) name the path only in their
    message: point at that path's key rather than at the top of the file."""
    match = _NAMED_PATH.search(message)
    paths = data.get("paths") if isinstance(data, dict) else None
    if match and isinstance(paths, dict) and match.group(1) in paths:
        return ("paths", match.group(1))
    return ()


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
