"""Compose a YAML text into its node graph with libyaml (PyYAML's C parser; its pure-Python parser
where the C one is missing), plain scalars resolved by YAML 1.2's rules as Dockyard reads them,
or 1.1's for a file that declares `%YAML 1.1`.

The rules, per version, are those of ruamel.yaml's resolver (the parser Dockyard used before, and
still uses to edit files by round trip), so a file reads the same as it did: YAML 1.2's core
schema, plus what ruamel reads there too (underscores in numbers, `0b` integers, timestamps, `<<`
and `=`). tests/unit/load/test_yamlnodes.py holds the two to the same tag for every scalar of a
corpus. libyaml parses about thirty times faster than ruamel's pure-Python parser."""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.error import YAMLError
from yaml.nodes import Node
from yaml.resolver import BaseResolver

__all__ = ["YAMLError", "compose_all"]

TAG = "tag:yaml.org,2002:"
NULL = (re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
MERGE = (re.compile(r"^(?:<<)$"), ["<"])
VALUE = (re.compile(r"^(?:=)$"), ["="])
TIMESTAMP = (
    re.compile(
        r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}"
        r"|[0-9]{4}-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
        r"(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9]{2})?))?)$"
    ),
    list("0123456789"),
)
RULES: dict[str, dict[str, tuple[re.Pattern[str], list[str]]]] = {
    "1.2": {
        "bool": (re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")),
        "float": (
            re.compile(
                r"^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
                r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
                r"|[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?"
                r"|[-+]?\.(?:inf|Inf|INF)"
                r"|\.(?:nan|NaN|NAN))$"
            ),
            list("-+0123456789."),
        ),
        "int": (
            re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)$"),
            list("-+0123456789"),
        ),
    },
    "1.1": {
        "bool": (
            re.compile(r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$"),
            list("yYnNtTfFoO"),
        ),
        "float": (
            re.compile(
                r"^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
                r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
                r"|\.[0-9_]+(?:[eE][-+][0-9]+)?"
                r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*"
                r"|[-+]?\.(?:inf|Inf|INF)"
                r"|\.(?:nan|NaN|NAN))$"
            ),
            list("-+0123456789."),
        ),
        "int": (
            re.compile(
                r"^(?:[-+]?0b[0-1_]+|[-+]?0?[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
                r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$"
            ),
            list("-+0123456789"),
        ),
    },
}
ORDER = ("bool", "float", "int", "merge", "null", "timestamp", "value")
"""ruamel's order: the first rule that matches a scalar names its tag."""
DECLARES_1_1 = re.compile(r"\A(?:\ufeff)?(?:[ \t]*(?:#.*)?\n)*%YAML[ \t]+1\.1[ \t]*(?:#.*)?$", re.MULTILINE)


def _resolver(version: str) -> type[BaseResolver]:
    class Resolver(BaseResolver):
        pass

    rules = {**RULES[version], "merge": MERGE, "null": NULL, "timestamp": TIMESTAMP, "value": VALUE}
    for name in ORDER:
        pattern, first = rules[name]
        Resolver.add_implicit_resolver(TAG + name, pattern, first)
    return Resolver


def _parser() -> type[Any]:
    try:
        from yaml._yaml import CParser
    except ImportError:  # PyYAML built without libyaml
        return _PurePython
    return CParser


def _loader(resolver: type[BaseResolver]) -> type[Any]:
    parser = _parser()

    class Loader(parser, resolver):  # type: ignore[valid-type,misc]
        def __init__(self, stream: str) -> None:
            parser.__init__(self, stream)
            resolver.__init__(self)

    return Loader


class _PurePython(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer):
    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)


LOADERS = {version: _loader(_resolver(version)) for version in RULES}


def compose_all(text: str) -> list[Node]:
    """Every document's root node; YAMLError (with marks where the parser knows them) otherwise."""
    loader = LOADERS["1.1" if DECLARES_1_1.search(text[:4096]) else "1.2"](text)
    try:
        nodes = []
        while loader.check_node():
            nodes.append(loader.get_node())
        return nodes
    finally:
        loader.dispose()
