"""A quick proof that an OpenAPI 3.0 contract is valid, for the common case, before the full validator.

openapi-spec-validator checks a document against the OpenAPI schema (with jsonschema-rs, fast),
then walks it through jsonschema-path, checking each schema against JSON Schema draft 4 with the
Python jsonschema, the operations' ids, parameters and path templates: about 1.4 ms a contract,
nearly all of it the walk. This module does the same walk over plain dictionaries, with
jsonschema-rs for the schemas, in about a tenth of that time.

It only ever proves validity: `proven_valid` answers True when every check the full validator
makes passes here too, and False whenever anything fails *or is outside what it knows* (another
OpenAPI version, more than one file, a reference that is not local, a schema with `default` or
`allOf`, a value YAML gives that JSON has not). Then the full validator judges, and its messages
are the ones a person sees. So the verdicts are the full validator's by construction, and
tests/unit/render/test_openapi_quick.py holds the quick path to them on a corpus of valid and
broken contracts.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from functools import cache
from typing import Any

OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
"""The operations of a path item the full validator walks (OpenAPI 3.0)."""
_MAX_REF_HOPS = 32


class _Unsure(Exception):
    """Something the quick path does not judge: the full validator will."""


@cache
def _spec_validator() -> Any:
    from openapi_spec_validator.schemas import openapi_v30_schema_validator

    return openapi_v30_schema_validator


@cache
def _schema_validator() -> Any:
    import jsonschema_rs
    from openapi_schema_validator import OAS30Validator

    return jsonschema_rs.Draft4Validator(OAS30Validator.META_SCHEMA, validate_formats=False)


def proven_valid(data: Any) -> bool:
    """True only when the full validator would find nothing wrong with this single-file 3.0 contract."""
    if not isinstance(data, dict) or not str(data.get("openapi", "")).startswith("3.0."):
        return False
    try:
        _json_only(data)
        if next(iter(_spec_validator().iter_errors(data)), None) is not None:
            return False
        return _Walk(data).valid()
    except _Unsure:
        return False
    except Exception:  # whatever surprises the quick path, the full validator judges
        return False


def _json_only(node: Any) -> None:
    """Only what JSON has (YAML's dates, a float that is a whole number: the two validators may
    read them differently)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(key, str):
                raise _Unsure
            _json_only(value)
    elif isinstance(node, list):
        for item in node:
            _json_only(item)
    elif isinstance(node, float):
        if node != node or node in (float("inf"), float("-inf")) or node.is_integer():
            raise _Unsure
    elif node is not None and not isinstance(node, str | int | bool):
        raise _Unsure


class _Walk:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.operation_ids: set[Any] = set()
        self.meta_checked: set[int] = set()
        self.visited: set[int] = set()

    def valid(self) -> bool:
        tags = self.data.get("tags")
        if isinstance(tags, list) and len({tag.get("name") for tag in tags}) != len(tags):
            return False
        paths = self.data.get("paths")
        if isinstance(paths, dict):
            for url, item in paths.items():
                if not self._path(url, self._resolved(item)):
                    return False
        components = self.data.get("components")
        if isinstance(components, dict) and "schemas" in components:
            schemas = self._resolved(components["schemas"])
            for schema in schemas.values():
                if not self._schema(schema):
                    return False
        return True

    def _resolved(self, node: Any) -> Any:
        """A local reference followed (jsonschema-path follows every `$ref` it meets)."""
        for _hop in range(_MAX_REF_HOPS):
            if not (isinstance(node, dict) and "$ref" in node):
                return node
            reference = node["$ref"]
            if not isinstance(reference, str) or not reference.startswith("#/") or "%" in reference:
                raise _Unsure  # elsewhere, or percent-encoded: the full validator's resolver decodes it
            node = self.data
            for part in reference[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(node, dict) or part not in node:
                    raise _Unsure
                node = node[part]
        raise _Unsure

    def _path(self, url: str, item: Any) -> bool:
        if not isinstance(item, dict):
            raise _Unsure
        shared = self._parameters(item["parameters"]) if "parameters" in item else []
        if shared is None:
            return False
        for name, operation in item.items():
            if name not in OPERATIONS:
                continue
            if not self._operation(url, self._resolved(operation), shared):
                return False
        return True

    def _operation(self, url: str, operation: Any, shared: list[dict[str, Any]]) -> bool:
        if not isinstance(operation, dict):
            raise _Unsure
        if "operationId" in operation:
            identifier = operation["operationId"]
            if identifier is not None and identifier in self.operation_ids:
                return False
            self.operation_ids.add(identifier)
        if "responses" in operation:
            for response in self._resolved(operation["responses"]).values():
                response = self._resolved(response)
                if "content" in response:
                    for media in self._resolved(response["content"]).values():
                        media = self._resolved(media)
                        if "schema" in media and not self._schema(media["schema"]):
                            return False
        own = self._parameters(operation["parameters"]) if "parameters" in operation else []
        if own is None:
            return False
        declared = {p["name"] for p in [*own, *shared] if p.get("in") == "path"}
        try:
            in_url = {field for _text, field, _spec, _conv in string.Formatter().parse(url) if field}
        except ValueError:
            return False
        return declared == in_url

    def _parameters(self, parameters: Any) -> list[dict[str, Any]] | None:
        """Each parameter resolved, or None (a duplicate, or a schema the full validator refuses)."""
        resolved = [self._resolved(p) for p in self._resolved(parameters)]
        seen = set()
        for parameter in resolved:
            if not isinstance(parameter, dict):
                raise _Unsure
            key = (parameter["name"], parameter["in"])
            if key in seen:
                return None
            seen.add(key)
            if "schema" in parameter and not self._schema(parameter["schema"]):
                return None
        return resolved

    def _schema(self, node: Any, top: bool = True) -> bool:
        value = self._resolved(node)
        if not isinstance(value, Mapping | bool):
            return False
        if top and id(value) not in self.meta_checked:
            self.meta_checked.add(id(value))
            if not _meets_draft_4(value):
                return False
        if id(value) in self.visited:
            return True
        self.visited.add(id(value))
        if isinstance(value, bool):
            return True
        if "allOf" in value or "default" in value:
            raise _Unsure  # the required-properties and default checks are left to the full validator
        for keyword in ("anyOf", "oneOf"):
            if keyword in value and not all(self._schema(inner, False) for inner in self._resolved(value[keyword])):
                return False
        for keyword in ("not", "items"):
            if keyword in value and not self._schema(value[keyword], False):
                return False
        if "properties" in value:
            properties = self._resolved(value["properties"])
            if not all(self._schema(inner, False) for inner in properties.values()):
                return False
        return True


def _meets_draft_4(schema: Any) -> bool:
    """What `OAS30Validator.check_schema` asks: draft 4's meta-schema, and every `pattern` a
    regular expression Python compiles (its format checker's `regex`)."""
    if not _schema_validator().is_valid(schema):
        return False
    return all(_compiles(pattern) for pattern in _patterns(schema))


def _patterns(node: Any) -> list[Any]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                found.append(value)
            found += _patterns(value)
    elif isinstance(node, list):
        for item in node:
            found += _patterns(item)
    return found


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True
