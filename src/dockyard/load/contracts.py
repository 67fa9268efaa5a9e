"""Load an OpenAPI contract and every file its `$ref`s name, from the platform repo only.

A contract may be split over files (`$ref: schemas/order.yaml#/Order`). Each reference is
read here, once, as a repo file: relative to the file that holds it, inside the repo once
resolved, a regular file of bounded size. Anything else (a URL of any scheme, an absolute
path, a path out of the repo) is a problem at the `$ref`'s line; nothing is ever fetched.
Whether a reference's `#/pointer` exists is render's to check, over the loaded documents.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from dockyard.errors import Position, Problem
from dockyard.load.files import RepoFile, read_inside
from dockyard.load.parsed import parse_all
from dockyard.load.yamlsafe import CONTRACT_LIMITS, Document

MAX_FILES = 200
"""Files one contract may span; real multi-file contracts have tens."""

OFFLINE_HINT = (
    "Dockyard resolves only references to files of the platform repo, relative to the file that "
    "refers to them, and never fetches anything; copy the document into the repo and refer to it by path"
)


def references(data: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path of the `$ref` value, the reference) for every `$ref` with a text value, in document order."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [(path, data)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str):
                yield (*where, "$ref"), reference
            stack.extend(((*where, key), value) for key, value in reversed(node.items()) if key != "$ref")
        elif isinstance(node, list):
            stack.extend(((*where, index), value) for index, value in reversed(list(enumerate(node))))


def referenced_file(referrer: str, reference: str) -> str | None:
    """The repo-relative file a reference names (None: the referrer itself), or ValueError with why
    it cannot be read."""
    parts = urlsplit(reference)
    if parts.scheme or parts.netloc:
        raise ValueError(f"`$ref` `{_clip(reference)}` is a URL")
    if not parts.path:
        return None
    target = unquote(parts.path)
    if target.startswith("/"):
        raise ValueError(f"`$ref` `{_clip(reference)}` is an absolute path")
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(referrer), target))
    if joined == ".." or joined.startswith("../"):
        raise ValueError(f"`$ref` `{_clip(reference)}` leads out of the platform repo")
    return joined


def load_contract(
    root: Path, relative: str, problems: list[Problem], referrer: Callable[[], Position], written: str
) -> dict[str, Document]:
    """The contract at `relative` and every file it references, transitively, by repo path."""
    documents: dict[str, Document] = {}
    failed: set[str] = set()
    pending: list[tuple[str, Callable[[], Position], str]] = [(relative, referrer, written)]
    while pending:
        path, where, shown = pending.pop(0)
        if path in documents or path in failed:
            continue
        if len(documents) >= MAX_FILES:
            problems.append(Problem(where(), f"the contract spans more than {MAX_FILES} files"))
            break
        raw = read_inside(root, path, problems, referrer=where, written=shown, limit=CONTRACT_LIMITS.bytes)
        parsed = parse_all([RepoFile("contract", path, raw)])[0] if raw is not None else None
        if parsed is None or parsed.document is None:
            failed.add(path)
            problems.extend(parsed.problems if parsed else ())
            continue
        document = parsed.document
        documents[path] = document
        for ref_path, reference in references(document.data):
            try:
                target = referenced_file(path, reference)
            except ValueError as refused:
                problems.append(Problem(document.position(ref_path), str(refused), OFFLINE_HINT))
                continue
            if target is not None and target not in documents:
                pending.append((target, _locator(document, ref_path), reference.split("#", 1)[0]))
    return documents


def _locator(document: Document, path: tuple[str | int, ...]) -> Callable[[], Position]:
    return lambda: document.position(path)


def _clip(text: str) -> str:
    shown = text.encode("unicode_escape").decode("ascii")
    return shown if len(shown) <= 120 else shown[:120] + "…"
