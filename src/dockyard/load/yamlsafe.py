"""Read one YAML file of the platform repo safely, keeping the position of every node.

libyaml (through PyYAML's C parser) composes the node graph, its plain scalars resolved by YAML
1.2's rules (yamlnodes.py; 1.1's for a file that declares `%YAML 1.1`); this module turns it into plain
data (dict, list, str, int, float, bool, None) plus a map from each path to its
position. Everything a hostile or careless file can do is bounded and reported as a
`Problem` with file, line and column: bytes that are not UTF-8, files that are too
large, tabs in indentation, syntax errors, duplicate keys, alias bombs, absurd
nesting, and tags Dockyard does not read.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from dockyard.errors import InputError, Position, Problem

if TYPE_CHECKING:
    from yaml.nodes import MappingNode, Node, ScalarNode

MAX_FILE_BYTES = 1 << 20
"""Platform repo files are small; anything larger than 1 MiB is a mistake or an attack."""

MAX_NODES = 100_000
"""Nodes visited while expanding one file, aliases included (stops billion-laughs bombs)."""

MAX_DEPTH = 64
"""Nesting of mappings and sequences; real platform files stay below ten."""


@dataclass(frozen=True)
class Limits:
    """How large one file may be, in bytes and in nodes (aliases counted each time they are used)."""

    bytes: int = MAX_FILE_BYTES
    nodes: int = MAX_NODES


CONTRACT_LIMITS = Limits(bytes=16 << 20, nodes=2_000_000)
"""OpenAPI contracts of real APIs run to megabytes (Slack's, GitHub's, Stripe's)."""

Path_ = tuple[str | int, ...]
"""A path into a document: mapping keys and sequence indexes."""


@dataclass(frozen=True)
class Marks:
    """Line and column (1-based) of every value, and of every mapping key, by path."""

    values: dict[Path_, tuple[int, int]]
    keys: dict[Path_, tuple[int, int]]


@dataclass(frozen=True, eq=False)
class Document:
    """One parsed file: plain data, and where each value and each key stands.

    Positions are only needed when something is reported, so a document restored
    from the parse cache carries its bytes and finds its marks again on first use.
    """

    file: str
    data: Any
    raw: bytes = field(default=b"", repr=False)
    known_marks: Marks | None = field(default=None, repr=False)
    limits: Limits = field(default=Limits(), repr=False)
    """The limits it was read with: finding its marks again reads it with the same."""

    @cached_property
    def marks(self) -> Marks:
        if self.known_marks is not None:
            return self.known_marks
        try:
            return parse(self.file, self.raw, self.limits).marks
        except InputError:  # the same bytes parsed before: only a changed limit could refuse them
            return Marks({}, {})

    def position(self, path: Path_ = (), *, key: bool = False) -> Position:
        """Position of the value at `path` (or of its key), else of the nearest ancestor."""
        marks = self.marks
        table = marks.keys if key else marks.values
        probe = tuple(path)
        while probe:
            if probe in table:
                line, column = table[probe]
                return Position(self.file, line, column)
            probe = probe[:-1]
            table = marks.values
        line, column = marks.values.get((), (1, 1))
        return Position(self.file, line, column)


class YamlProblem(Exception):
    """Raised inside this module; `parse` turns it into a Problem."""

    def __init__(self, line: int, column: int, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.line, self.column, self.message, self.hint = line, column, message, hint


def parse(file: str, raw: bytes, limits: Limits = Limits()) -> Document:
    """Parse `raw` (the bytes of `file`, a repo-relative path) into a Document; InputError with
    the one problem otherwise."""
    try:
        text = _decode(raw, limits.bytes)
        return _Converter(file, raw, limits.nodes).document(_compose(text))
    except YamlProblem as problem:
        raise InputError(
            [Problem(Position(file, problem.line, problem.column), problem.message, problem.hint)]
        ) from None


def _decode(raw: bytes, limit: int) -> str:
    if len(raw) > limit:
        raise YamlProblem(
            1,
            1,
            f"file is {len(raw):,} bytes; Dockyard reads files of at most {limit:,} bytes",
            "split large values into separate files, or check that this is the file you meant",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        before = raw[: bad.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise YamlProblem(
            line, column, f"not valid UTF-8 (byte 0x{raw[bad.start]:02x})", "save the file as UTF-8"
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def _guard_nesting(text: str) -> None:
    """Reject deep flow (`[[[`), dash (`- - -`) and complex-key (`? ? ?`) nesting before the
    parser sees it: libyaml's composer recurses once per level on the C stack, with no limit of its
    own, so a deep enough file would crash the process. (Nesting by indentation needs a line per
    level, each longer than the one before: the size limit bounds it far below what the stack
    holds.)

    A file with no more brackets than the depth allowed, and no line long enough for that many
    indicators, cannot nest too deep: most files are judged with str.count. The others are scanned
    once, linearly: a `[`, `{`, `- ` or `? ` counts only where a YAML node can start (a tag or an
    anchor may come first), and quoted strings and comments are skipped, so brackets inside
    ordinary values do not count."""
    if text.count("[") + text.count("{") <= MAX_DEPTH and not any(
        len(line) > 2 * MAX_DEPTH for line in text.splitlines()
    ):
        return
    flow_depth = indicators_on_line = 0
    line_number, line_start, index, node_start, quote = 1, 0, 0, True, ""
    while index < len(text):
        char = text[index]
        following = text[index + 1 : index + 2]
        if char == "\n":
            line_number, line_start, node_start, indicators_on_line = line_number + 1, index + 1, True, 0
        elif quote:
            if char == quote:
                quote = ""
            elif char == "\\" and quote == '"':
                index += 1
        elif char == "#" and (index == line_start or text[index - 1] in " \t"):
            newline = text.find("\n", index)
            index = len(text) if newline < 0 else newline
            continue
        elif node_start and char in "!&":  # a node's tag or anchor: its content may still start after it
            end = index
            while end < len(text) and text[end] not in " \t\n[]{},":
                end += 1
            index = end
            continue
        elif node_start and char in "[{":
            flow_depth += 1
        elif node_start and char in "-?" and following in (" ", "\n", ""):
            indicators_on_line += 1
        elif char in "]}" and flow_depth > 0:
            flow_depth -= 1
        elif node_start and char in "'\"":
            quote, node_start = char, False
        if flow_depth + indicators_on_line > MAX_DEPTH:
            raise YamlProblem(
                line_number, index - line_start + 1, f"nesting is too deep; Dockyard reads at most {MAX_DEPTH} levels"
            )
        if not quote:
            if char in "[{,":
                node_start = True
            elif char in ":-?":
                node_start = node_start or following in (" ", "\n", "")
            elif char not in " \t\n":
                node_start = False
        index += 1


def _compose(text: str) -> Node | None:
    from dockyard.load.yamlnodes import YAMLError, compose_all  # imported on a cache miss only

    _guard_nesting(text)
    try:
        nodes = compose_all(text)
    except YAMLError as error:
        if getattr(error, "problem_mark", None) or getattr(error, "context_mark", None):
            raise _syntax_problem(error, text) from None
        raise YamlProblem(1, 1, f"invalid YAML: {error}") from None  # errors without a mark
    except RecursionError:
        raise YamlProblem(1, 1, f"nesting is too deep; Dockyard reads at most {MAX_DEPTH} levels") from None
    if len(nodes) > 1:
        mark = nodes[1].start_mark
        raise YamlProblem(
            mark.line + 1,
            mark.column + 1,
            "a second YAML document (`---`) is not allowed here",
            "keep one document per file",
        )
    return nodes[0] if nodes else None


def _syntax_problem(error: Any, text: str) -> YamlProblem:
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = (error.problem or error.context or "syntax error").strip()
    if "'\\t'" in problem or _tab_in_indent(text, line):
        tab_line = _tab_in_indent(text, line) or line
        tab_column = text.splitlines()[tab_line - 1].index("\t") + 1
        return YamlProblem(
            tab_line,
            tab_column,
            "tab character in indentation",
            "YAML indents with spaces only; replace the tab with spaces",
        )
    if "invalid Unicode character escape" in problem:  # libyaml refuses a surrogate escape as it reads it
        return YamlProblem(line, column, _SURROGATE_MESSAGE)
    context = f" {error.context.strip()}" if error.context and error.problem else ""
    return YamlProblem(line, column, f"invalid YAML: {problem}{context}")


def _tab_in_indent(text: str, near_line: int) -> int | None:
    lines = text.splitlines()
    for number in range(max(1, near_line - 2), min(len(lines), near_line) + 1):
        indent = lines[number - 1][: len(lines[number - 1]) - len(lines[number - 1].lstrip(" \t"))]
        if "\t" in indent:
            return number
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_MESSAGE = "text with a lone surrogate escape (\\ud800-\\udfff), which is not a Unicode character"

_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_BOOL_1_1 = {"yes": True, "no": False, "on": True, "off": False, "y": True, "n": False}
"""Booleans of a file that declares `%YAML 1.1` (YAML 1.2, Dockyard's default, reads these as text)."""
_TAG = "tag:yaml.org,2002:"


class _Converter:
    """Walks a node graph once, bounded in nodes and depth, recording positions."""

    def __init__(self, file: str, raw: bytes, max_nodes: int = MAX_NODES) -> None:
        self.file, self.raw = file, raw
        self.visited, self.max_nodes = 0, max_nodes
        self.positions: dict[Path_, tuple[int, int]] = {}
        self.key_positions: dict[Path_, tuple[int, int]] = {}

    def document(self, root: Node | None) -> Document:
        data = None if root is None else self.value(root, (), 0)
        if root is None:
            self.positions[()] = (1, 1)
        return Document(self.file, data, self.raw, Marks(self.positions, self.key_positions))

    def value(self, node: Node, path: Path_, depth: int) -> Any:
        self.visited += 1
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        if self.visited > self.max_nodes:
            raise YamlProblem(
                line,
                column,
                f"document expands to more than {self.max_nodes:,} nodes",
                "YAML aliases (*name) that repeat large anchors multiply the size; write the values out",
            )
        if depth > MAX_DEPTH:
            raise YamlProblem(line, column, f"nesting is too deep; Dockyard reads at most {MAX_DEPTH} levels")
        self.positions[path] = (line, column)
        kind = node.id  # type: ignore[attr-defined]  # each node class names its kind; the stubs declare none
        if kind in ("mapping", "sequence") and node.tag != _TAG + ("map" if kind == "mapping" else "seq"):
            raise YamlProblem(
                line,
                column,
                f"unsupported YAML tag `{node.tag}` on a {kind}",
                "remove the tag; Dockyard reads plain values",
            )
        if kind == "mapping":
            return self.mapping(cast("MappingNode", node), path, depth)
        if kind == "sequence":
            return [self.value(item, (*path, index), depth + 1) for index, item in enumerate(node.value)]
        return self.scalar(cast("ScalarNode", node))

    def mapping(self, node: MappingNode, path: Path_, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_line, key_column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if key_node.tag == _TAG + "merge":
                raise YamlProblem(
                    key_line,
                    key_column,
                    "merge keys (`<<`) are not supported",
                    "write the keys out; Dockyard's layers already merge values",
                )
            if key_node.id != "scalar":
                raise YamlProblem(key_line, key_column, "mapping keys must be plain strings")
            key = key_node.value
            if isinstance(key, str) and _SURROGATE.search(key):
                raise YamlProblem(key_line, key_column, _SURROGATE_MESSAGE)
            if not isinstance(key, str) or key_node.tag not in (
                _TAG + "str",
                _TAG + "int",
                _TAG + "bool",
                _TAG + "float",
                _TAG + "null",
            ):
                raise YamlProblem(key_line, key_column, f"unsupported key tag {key_node.tag}")
            if key in first_seen:
                raise YamlProblem(
                    key_line,
                    key_column,
                    f"duplicate key `{key}` (first defined at line {first_seen[key]})",
                    "remove one of them",
                )
            first_seen[key] = key_line
            self.key_positions[(*path, key)] = (key_line, key_column)
            result[key] = self.value(value_node, (*path, key), depth + 1)
        return result

    def scalar(self, node: ScalarNode) -> Any:
        tag, text = node.tag, node.value
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        if tag == _TAG + "str":
            if _SURROGATE.search(text):
                raise YamlProblem(line, column, _SURROGATE_MESSAGE)
            return text
        if tag == _TAG + "null":
            return None
        try:
            if tag == _TAG + "bool":
                return _BOOL[text] if text in _BOOL else _BOOL_1_1[text.lower()]
            if tag == _TAG + "int":
                return _int(text)
            if tag == _TAG + "float":
                return _float(text)
        except (KeyError, ValueError):
            what = {"bool": "a boolean", "int": "an integer", "float": "a number"}[str(tag).removeprefix(_TAG)]
            raise YamlProblem(
                line, column, f"`{_clip(text)}` is not {what}", "quote it to make it text, or write a plain value"
            ) from None
        if tag == _TAG + "timestamp":
            return text  # dates stay text (an expiry date, say); schemas check their shape
        raise YamlProblem(line, column, f"unsupported YAML tag `{tag}`", "remove the tag; Dockyard reads plain values")


def _int(text: str) -> int:
    cleaned = text.replace("_", "")
    sign = -1 if cleaned.startswith("-") else 1
    digits = cleaned.lstrip("+-")
    if len(digits) > 100:
        raise ValueError("too many digits")
    for prefix, base in (("0x", 16), ("0o", 8), ("0b", 2)):
        if digits.lower().startswith(prefix):
            return sign * int(digits[2:], base)
    return sign * int(digits, 10)


def _clip(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "…"


def _float(text: str) -> float:
    lowered = text.lower().replace("_", "")
    if lowered in (".nan",):
        return math.nan
    if lowered in (".inf", "+.inf"):
        return math.inf
    if lowered == "-.inf":
        return -math.inf
    return float(lowered)
