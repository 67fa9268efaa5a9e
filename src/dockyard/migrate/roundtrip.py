"""Read and write YAML keeping what a migration does not change: comments, order, quoting, indentation.

ruamel.yaml's round trip gives every file of the example and the test repos back byte for byte
(tests/unit/migrate). Indentation is read from the file itself, so a repo written with four-space
mappings or indented sequences keeps its style.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedBase, CommentedMap
from ruamel.yaml.error import YAMLError
from ruamel.yaml.tokens import CommentToken
from ruamel.yaml.util import load_yaml_guess_indent


class Unreadable(Exception):
    """The text is not YAML ruamel can round-trip (the loader's own checks have run before)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason


class RoundTrip:
    """One file's YAML style, to load its text and dump changed documents in the same style."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        try:
            _data, sequence, offset = load_yaml_guess_indent(text)
        except YAMLError as error:
            raise Unreadable(path, str(error).splitlines()[0]) from None
        self.mapping = mapping_indent(text)
        self._yaml = YAML()
        self._yaml.preserve_quotes = True
        self._yaml.width = 4096  # never re-wrap a long line
        self._yaml.indent(mapping=self.mapping, sequence=sequence or self.mapping, offset=offset or 0)

    def load(self, text: str) -> Any:
        try:
            return self._yaml.load(text)
        except YAMLError as error:
            raise Unreadable(self.path, str(error).splitlines()[0]) from None

    def dump(self, data: Any) -> str:
        stream = io.StringIO()
        self._yaml.dump(data, stream)
        return stream.getvalue()


def mapping_indent(text: str) -> int:
    """The smallest indentation of a nested mapping key: the step the file indents by (2 if none)."""
    steps = []
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if indent and stripped and not stripped.startswith(("#", "-")) and ":" in stripped:
            steps.append(indent)
    return min(steps, default=2)


def comment_lines_before(document: CommentedMap, key: str) -> list[str]:
    """Detach and return the whole comment lines written just above top-level `key` (ruamel keeps
    them on the last node before it, after that node's own end-of-line comment)."""
    keys = list(document)
    index = keys.index(key)
    if index == 0:
        head = document.ca.comment
        tokens = head[1] if head and len(head) > 1 and head[1] else []
        lines = [t.value for t in tokens]
        if head and len(head) > 1:
            head[1] = []
        return [line.rstrip("\n") for text in lines for line in text.splitlines() if line.strip()]
    token, holder, slot = _trailing_token(document, keys[index - 1])
    if token is None or holder is None:
        return []
    own, _newline, rest = token.value.partition("\n")
    moved = [line for line in rest.splitlines() if line.strip()]
    if not own.strip():
        holder[slot] = CommentToken("\n", token.start_mark) if rest else None
    else:
        token.value = own + "\n"
    return moved


def _trailing_token(parent: Any, key: Any) -> tuple[CommentToken | None, list[Any] | None, int]:
    """The comment token after the last scalar of `parent[key]`, the list holding it, its slot:
    ruamel keeps it on the deepest last node that has one (a flow mapping keeps it on its key)."""
    chain = [(parent, key)]
    node, at = parent, key
    while isinstance(node[at], dict | list) and node[at]:
        value = node[at]
        node, at = value, (list(value)[-1] if isinstance(value, dict) else len(value) - 1)
        chain.append((node, at))
    for holder, where in reversed(chain):
        items = holder.ca.items.get(where) if isinstance(holder, CommentedBase) else None
        slot = 0 if isinstance(holder, list) else 2
        if items and len(items) > slot and isinstance(items[slot], CommentToken):
            return items[slot], items, slot
    return None, None, 2


def dedent_comments(node: Any, by: int) -> None:
    """Move the comments inside `node` `by` columns left: for a block lifted to the top level.
    (ruamel may hold one token in two places: each is moved once.)"""
    for token in {id(token): token for token in _subtree_tokens(node)}.values():
        token.value = "\n".join(line[by:] if line.startswith(" " * by) else line for line in token.value.split("\n"))
        if token.start_mark is not None:  # an end-of-line comment keeps its distance from its value
            token.column = max(0, token.column - by)


def _subtree_tokens(node: Any) -> list[CommentToken]:
    if not isinstance(node, CommentedBase):
        return []
    found = _tokens(node.ca.comment) + [t for items in node.ca.items.values() for t in _tokens(items)]
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    for child in children:
        found += _subtree_tokens(child)
    return found


def _tokens(items: Any) -> list[CommentToken]:
    if isinstance(items, CommentToken):
        return [items]
    if isinstance(items, list):
        return [token for item in items for token in _tokens(item)]
    return []


def head_comment(document: CommentedMap, lines: list[str]) -> None:
    """Set the comment lines above the document's first key."""
    document.yaml_set_start_comment("\n".join(line.removeprefix("#").removeprefix(" ") for line in lines))
