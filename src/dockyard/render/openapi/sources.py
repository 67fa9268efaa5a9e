"""A contract's documents, and `$ref` resolution among them only.

A contract is its file and the files its `$ref`s name, all loaded from the repo beforehand
(`load.contracts`); every reference is resolved among those documents, offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from dockyard.errors import Position
from dockyard.load.contracts import referenced_file
from dockyard.load.yamlsafe import Document

Path_ = tuple[str | int, ...]


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

    def position(self, file: str, path: Path_) -> Position:
        return self.documents[file].position(path)

    def resolve(self, file: str, reference: str) -> tuple[str, Path_, Any]:
        """(file, path in it, value) that `reference`, written in `file`, names."""
        try:
            target = referenced_file(file, reference) or file
        except ValueError as refused:
            raise Unresolved(str(refused)) from None
        if target not in self.documents:
            raise Unresolved(f"`$ref` `{reference}`: {target} was not loaded")
        pointer = pointer_path(urlsplit(reference).fragment)
        node: Any = self.documents[target].data
        for part in pointer:
            if isinstance(node, dict) and isinstance(part, str) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                raise Unresolved(f"`$ref` `{reference}` names nothing: {target} has no `{shown_pointer(pointer)}`")
        return target, pointer, node

    def follow(self, file: str, path: Path_, node: Any, limit: int = 32) -> tuple[str, Path_, Any]:
        """`node` (at `path` of `file`) with its own `$ref` chain followed: a path item or a
        security scheme given by reference."""
        for _step in range(limit):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                return file, path, node
            file, path, node = self.resolve(file, node["$ref"])
        raise Unresolved("a `$ref` chain longer than 32 steps (or a loop)")


def pointer_path(fragment: str) -> Path_:
    """The path a JSON pointer (`/components/schemas/A~1B`) names."""
    if not fragment:
        return ()
    if not fragment.startswith("/"):
        raise Unresolved(f"`#{fragment}` is not a JSON pointer (`#/components/...`)")
    parts: list[str | int] = []
    for raw in unquote(fragment)[1:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        parts.append(int(part) if part.isdigit() and part == str(int(part)) else part)
    return tuple(parts)


def shown_pointer(pointer: Path_) -> str:
    return "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in pointer)
