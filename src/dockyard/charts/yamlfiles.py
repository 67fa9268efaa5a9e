"""YAML that charts bring (values.yaml, Chart.yaml, plain manifests, helm's output), read fast and
bounded.

libyaml's safe loader builds an alias as one shared object, so a billion-laughs file costs
little to load, and everything that later copies or serialises the data pays the exponential
price. Any document that uses aliases is therefore measured as it would be expanded, and
refused past MAX_NODES, before it is used.
"""

from __future__ import annotations

import re
from typing import Any

import yaml


class BadYaml(Exception):
    """A chart's YAML cannot be read (or expands too far); the message says why."""


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]  # base chosen at run time
    """libyaml's safe loader, reading a bare `=` as the string it is (YAML 1.1 calls it a `value` tag)."""


_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))

MAX_NODES = 2_000_000
"""Values, keys and items of one stream, aliases counted each time they are used."""
_ALIAS = re.compile(r"(?:^|[\s,\[{:-])\*[^\s,\[\]{}]")
"""Something that may be an alias; a stream without any cannot expand."""


def load_all(text: str, what: str) -> list[Any]:
    """Every document of a YAML stream."""
    try:
        documents = list(yaml.load_all(text, Loader=_Loader))
    except yaml.YAMLError as error:
        raise BadYaml(f"{what}: {str(error).replace(chr(10), ' ')}") from None
    except RecursionError:
        raise BadYaml(f"{what}: nesting is too deep") from None
    if _ALIAS.search(text):
        _bounded(documents, what)
    return documents


def load_one(text: str, what: str) -> Any:
    documents = load_all(text, what)
    return documents[0] if documents else None


def _bounded(value: Any, what: str) -> None:
    """Refuse data whose expansion (shared objects counted each time they are used) is too large."""
    sizes: dict[int, int] = {}

    def size(node: Any, depth: int) -> int:
        if depth > 200:
            raise BadYaml(f"{what}: nesting is too deep")
        known = sizes.get(id(node))
        if known is not None:
            return known
        total = 1
        if isinstance(node, dict):
            for item in node.values():
                total += 1 + size(item, depth + 1)
                if total > MAX_NODES:
                    break
        elif isinstance(node, list):
            for item in node:
                total += size(item, depth + 1)
                if total > MAX_NODES:
                    break
        if isinstance(node, dict | list):
            sizes[id(node)] = total
        return total

    if size(value, 0) > MAX_NODES:
        raise BadYaml(f"{what}: its aliases expand it to more than {MAX_NODES:,} nodes")
