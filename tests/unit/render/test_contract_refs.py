"""Contracts are resolved among the repo's documents only: the validator is never able to fetch."""

from __future__ import annotations

import socket

import pytest

from dockyard.errors import Problems
from dockyard.load.yamlsafe import Document
from dockyard.render.openapi.operations import read
from dockyard.render.openapi.sources import Sources
from dockyard.render.openapi.validate import _validator_problems


def _document(path: str, data: object) -> Document:
    return Document(path, data, b"")


CONTRACT = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/a": {"$ref": "items.yaml#/a"},
        "/b": {"get": {"responses": {"200": {"$ref": "REFERENCE"}}}},
    },
}


@pytest.mark.parametrize(
    "reference", ["http://127.0.0.1:9/x.yaml", "https://example.com/x.yaml", "file:///etc/passwd", "/etc/passwd"]
)
def test_the_validator_itself_cannot_fetch_a_reference(reference: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Even a reference that slipped past the checks before it is refused by the validator's resolver,
    without a connection or a file read outside the loaded documents."""
    opened: list[str] = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: opened.append(str(address)))
    contract = {**CONTRACT, "paths": {"/b": {"get": {"responses": {"200": {"$ref": reference}}}}}}
    sources = Sources("c.yaml", {"c.yaml": _document("c.yaml", contract)})
    problems = _validator_problems(sources, "3.0.3")
    assert problems, "an unreadable reference must be a problem"
    assert opened == []


def test_path_items_by_reference_are_read() -> None:
    documents = {
        "api/c.yaml": _document("api/c.yaml", {**CONTRACT, "paths": {"/a": {"$ref": "items.yaml#/a"}}}),
        "api/items.yaml": _document("api/items.yaml", {"a": {"get": {"security": [], "responses": {}}}}),
    }
    problems = Problems()
    contract = read(Sources("api/c.yaml", documents), problems)
    assert not problems, problems.errors
    assert [(o.method, o.path, o.open) for o in contract.operations] == [("GET", "/a", True)]
