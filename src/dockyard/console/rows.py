"""The form's repeated rows (secrets, files, disks, other ports): the page posts each column as a
field once per row, the JSON API a list of objects. Both are read here, each kind's one object by
its own module."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from dockyard.errors import printable

Row = TypeVar("Row")


def posted_rows(posted: Mapping[str, Any], fields: Sequence[str]) -> list[tuple[str, ...]] | None:
    """The page's rows: one value per field (a field posted fewer times reads as empty); None when
    the page posted none of `fields` (the request does not name these rows at all)."""
    if not any(name in posted for name in fields):
        return None
    columns = [posted.get(name) or [] for name in fields]
    columns = [column if isinstance(column, list) else [column] for column in columns]
    return [
        tuple(str(column[index]) if index < len(column) else "" for column in columns)
        for index in range(max(len(column) for column in columns))
    ]


def parse_rows(
    raw: Any,
    what: tuple[str, str],
    keys: Sequence[str],
    one: Callable[[Mapping[str, Any]], Row | str],
    clash: Callable[[Row, list[Row]], str | None],
) -> tuple[tuple[Row, ...] | None, list[str]]:
    """The rows a request names (`what`: the kind of row, one and many; `keys`: the keys an object
    may have), read by `one` (a row, or what is wrong with it) and each judged against those before
    it by `clash`; with what is wrong. None when the request names none."""
    if raw is None:
        return None, []
    given = ", ".join(f"`{key}`" for key in keys[:-1]) + f" and `{keys[-1]}`"
    if not isinstance(raw, list) or not all(isinstance(item, Mapping) for item in raw):
        return None, [f"must be a list of {what[1]}, each with {given}"]
    problems: list[str] = []
    found: list[Row] = []
    for item in raw:
        unknown = sorted(str(key) for key in set(item) - set(keys))
        row = f"a {what[0]} has no `{printable(unknown[0][:63])}`: give {given}" if unknown else one(item)
        if not isinstance(row, str):
            row = clash(row, found) or row
        if isinstance(row, str):
            problems.append(row)
        else:
            found.append(row)
    return tuple(found), problems
