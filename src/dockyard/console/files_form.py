"""The form's files: text files mounted into the service's container (a configuration file, say),
each a path in the container and its content. A file written in score.yaml (`content`) is changed
there; one read from a file of the service's folder (`source`) is changed in that file. Files the
form cannot show as text (binary content, a source outside the service's folder or not UTF-8) are
kept as written and never removed by it."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from dockyard.console import settings_form
from dockyard.console.rows import parse_rows, posted_rows
from dockyard.console.text import NOT_TEXT, NOT_TEXT_PROBLEM
from dockyard.errors import printable

ROW_FIELDS = ("file_target", "file_content", "file_placeholders")
"""The page's fields, posted once per file (the API takes `files`, a list of objects)."""
PLACEHOLDERS = ("filled", "as-written")
"""`${...}` in the content filled by the render (Score's default), or left as written (`noExpand`)."""
MAX_CONTENT = 256 * 1024
"""A file's text at most, in bytes (a ConfigMap holds 1 MiB in all)."""


class NotAFile(Exception):
    """A file the form was asked to change is one it keeps as written (binary content, say)."""


@dataclass(frozen=True)
class FileForm:
    target: str
    """Where it is in the container: an absolute path."""
    content: str
    expand: bool = True
    """Whether `${...}` in the content are filled by the render."""

    def as_json(self) -> dict[str, Any]:
        return {"target": self.target, "content": self.content, "placeholders": _placeholders(self.expand)}


def _placeholders(expand: bool) -> str:
    return PLACEHOLDERS[0] if expand else PLACEHOLDERS[1]


def rows(posted: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The page's files as the API's objects (a row with neither path nor content is none); None
    when the page posted none (the request does not name the files)."""
    found = posted_rows(posted, ROW_FIELDS)
    if found is None:
        return None
    return [
        {"target": target.strip(), "content": content, "placeholders": placeholders or "filled"}
        for target, content, placeholders in found
        if target.strip() or content.strip()
    ]


def parse(raw: Any) -> tuple[tuple[FileForm, ...] | None, list[str]]:
    """The files a request names (a list of objects with target, content and placeholders), and what
    is wrong with them; None when it names none. A browser's line ends (CR LF) become LF."""
    return parse_rows(raw, ("file", "files"), ("target", "content", "placeholders"), _file, _same_path)


def _same_path(file: FileForm, before: list[FileForm]) -> str | None:
    return (
        f"`{file.target}` is given twice: one content per path"
        if any(f.target == file.target for f in before)
        else None
    )


def _file(item: Mapping[str, Any]) -> FileForm | str:
    """The file `item` names, or what is wrong with it."""
    target, content = item.get("target"), item.get("content")
    if not isinstance(target, str) or not target:
        return "a file needs the path it has in the container, e.g. /etc/app/config.yaml"
    shown = printable(target[:200])
    if NOT_TEXT.search(target) or "\n" in target or "\r" in target or "\t" in target:
        return (
            f"`{shown}` holds a line end, a tab or a control character, which no path in the container may: remove it"
        )
    if not target.startswith("/") or target.endswith("/") or posixpath.normpath(target) != target:
        return f"`{shown}` is not a file's path in the container: an absolute path such as /etc/app/config.yaml"
    if len(target) > 1024:
        return f"`{shown}...` is longer than 1024 characters"
    if not isinstance(content, str):
        return f"`{shown}`: its content is text"
    if NOT_TEXT.search(content):
        return f"`{shown}`: the content {NOT_TEXT_PROBLEM}"
    content = content.replace("\r\n", "\n").replace("\r", "\n")
    if len(content.encode()) > MAX_CONTENT:
        return f"`{shown}`: the content is larger than {MAX_CONTENT // 1024} KiB; keep a file this large in the image"
    placeholders = item.get("placeholders")
    placeholders = PLACEHOLDERS[0] if placeholders in (None, "") else placeholders
    if placeholders not in PLACEHOLDERS:
        return f"`{shown}`: placeholders are `filled` or left `as-written`"
    return FileForm(target, content, placeholders == PLACEHOLDERS[0])


@dataclass(frozen=True)
class Written:
    """A file of the container as score.yaml has it: where its entry is and what the form shows."""

    key: Any
    """Its index in the list of files, or its target in a mapping of them."""
    target: str
    content: str | None
    """Its text (None: the form keeps it as written)."""
    source: str | None = None
    """The file of the service's folder it is read from (relative to it)."""
    expand: bool = True
    entry: Any = None
    """Its entry in score.yaml (found again by this, never by a position that a removal moves)."""
    crlf: bool = False
    """Its source file ends its lines with CR LF (kept so when the form changes it)."""


def written(container: Any, existing: Mapping[str, bytes], inside: Any) -> list[Written]:
    """The container's files; `existing` holds the service's folder's plain files by relative path
    (a symlink is never among them) and `inside` says whether a relative path is one the form may
    change. A file the form keeps as written has no content: binary, a source outside the folder or
    not UTF-8, over 256 KiB, a source two files share, a path two files have."""
    files = container.get("files") if isinstance(container, dict) else None
    listed = enumerate(files) if isinstance(files, list) else files.items() if isinstance(files, dict) else ()
    entries = [(key, entry) for key, entry in listed if isinstance(entry, dict)]
    targets = [str(entry.get("target", key) if isinstance(files, list) else key) for key, entry in entries]
    shared = [entry.get("source") for _key, entry in entries if isinstance(entry.get("source"), str)]
    found = []
    for (key, entry), target in zip(entries, targets, strict=True):
        expand = not entry.get("noExpand", False)
        content, source = entry.get("content"), entry.get("source")
        text, crlf = None, False
        if targets.count(target) > 1:
            source = None
        elif isinstance(content, str) and "binaryContent" not in entry and "source" not in entry:
            text = str(content) if "\r" not in content else None
            source = None
        elif isinstance(source, str) and "content" not in entry and shared.count(source) == 1:
            text, crlf = _text_of(existing.get(source) if inside(source) else None)
        else:
            source = None
        if text is not None and (NOT_TEXT.search(text) or len(text.encode()) > MAX_CONTENT):
            text = None
        found.append(Written(key, target, text, source if text is not None else None, expand, entry, crlf))
    return found


def _text_of(data: bytes | None) -> tuple[str | None, bool]:
    """A file's text with LF line ends, and whether it had CR LF ones (None: it is not UTF-8 text)."""
    if data is None:
        return None, False
    try:
        text = data.decode()
    except UnicodeDecodeError:
        return None, False
    crlf = "\r\n" in text
    text = text.replace("\r\n", "\n")
    return (None, False) if "\r" in text else (text, crlf)


def sources(container: Any, inside: Any) -> list[str]:
    """The files of the service's folder its files are read from (what the form may show)."""
    files = container.get("files") if isinstance(container, dict) else None
    entries = files if isinstance(files, list) else files.values() if isinstance(files, dict) else ()
    return [
        entry["source"]
        for entry in entries
        if isinstance(entry, dict) and isinstance(entry.get("source"), str) and inside(entry["source"])
    ]


def shown(container: Any, existing: Mapping[str, bytes], inside: Any) -> tuple[list[dict[str, Any]], int]:
    """The rows the edit form starts from, and how many files it keeps as written."""
    found = written(container, existing, inside)
    rows_ = [
        {"target": f.target, "content": f.content, "placeholders": _placeholders(f.expand)}
        for f in found
        if f.content is not None
    ]
    return rows_, len(found) - len(rows_)


def write(
    container: CommentedMap, wanted: tuple[FileForm, ...] | None, existing: Mapping[str, bytes], inside: Any
) -> dict[str, bytes]:
    """The container's files after the form: the ones it shows changed (in score.yaml, or in the
    file of the service's folder they are read from: returned, by relative path), those no longer
    named removed from score.yaml, new ones added with their content there; the ones it keeps as
    written untouched. NotAFile when a path names one of those."""
    if wanted is None:
        return {}
    before = {f.target: f for f in written(container, existing, inside)}
    for file in wanted:
        kept = before.get(file.target)
        if kept is not None and kept.content is None:
            raise NotAFile(
                f"`{printable(file.target[:200])}` is a file the form keeps as written (binary, or read from outside "
                "the service's folder): change it in the files, or give another path"
            )
    files = container.get("files")
    named = {file.target: file for file in wanted}
    gone = [f for f in before.values() if f.content is not None and f.target not in named]
    following = settings_form.following_lines(container, "files", take=True) if isinstance(files, list) else ""
    for removed in sorted(gone, key=lambda f: f.key if isinstance(f.key, int) else 0, reverse=True):
        if isinstance(files, list):
            settings_form.remove_item(files, removed.key)  # from the last: the positions before it stay
        else:
            settings_form.write(files, (removed.key,), None)
    changed: dict[str, bytes] = {}
    for file in wanted:
        old = before.get(file.target)
        if old is not None and old.source is not None:
            if old.content != file.content:
                changed[old.source] = (file.content.replace("\n", "\r\n") if old.crlf else file.content).encode()
            entry = old.entry
        elif old is not None:
            entry = old.entry
            if entry.get("content") != file.content:
                entry["content"] = _text(file.content)
        else:
            if not isinstance(files, list | CommentedMap):
                container["files"] = files = CommentedSeq()
            entry = CommentedMap(target=file.target, content=_text(file.content))
            if isinstance(files, list):
                files.append(entry)
            else:
                del entry["target"]
                files[file.target] = entry
        if file.expand == bool(entry.get("noExpand", False)):
            if file.expand:
                settings_form.write(entry, ("noExpand",), None)
            else:
                entry["noExpand"] = True
    if following:  # the comment lines after the list, after what is its end now
        settings_form.put_after(container, "files", following)
    if isinstance(files, list | dict) and not files:
        settings_form.write(container, ("files",), None)
    return changed


def _text(content: str) -> str:
    """Lines as a literal block (`content: |`), as a person writes a file in YAML."""
    return LiteralScalarString(content) if "\n" in content else content
