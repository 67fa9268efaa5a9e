"""Validate a Document against its JSON Schema and say what is wrong in a person's words.

jsonschema finds the errors; this module turns each into a `Problem` at the line and
column of the offending key or value, with a suggestion where one helps.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from dockyard import __version__
from dockyard.errors import Problem
from dockyard.load.words import did_you_mean, dotted
from dockyard.load.yamlsafe import Document, Path_

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


_VALIDATORS: dict[str, Draft202012Validator] = {}


def validator_for(schema: dict[str, Any]) -> Draft202012Validator:
    """One compiled validator per schema, reused for every file of its kind."""
    if schema["$id"] not in _VALIDATORS:
        from jsonschema import Draft202012Validator  # imported on a cache miss only

        _VALIDATORS[schema["$id"]] = Draft202012Validator(schema)
    return _VALIDATORS[schema["$id"]]


def schema_problems(document: Document, schema: dict[str, Any]) -> list[Problem]:
    """Every problem of `document` against `schema`, at most one per place."""
    if not isinstance(document.data, dict):
        got = "an empty file" if document.data is None else _describe(document.data)
        return [Problem(document.position(()), f"expected a mapping at the top of the file, got {got}")]
    problems: dict[tuple[Any, ...], Problem] = {}
    for error in validator_for(schema).iter_errors(document.data):
        for problem in _explain(document, error):
            problems.setdefault((problem.position, problem.message), problem)
    return list(problems.values())


def _explain(document: Document, error: ValidationError) -> list[Problem]:
    if error.validator in ("anyOf", "oneOf") and error.context:
        from jsonschema.exceptions import best_match

        # a branch whose type does not even match the value explains nothing: the other branches do
        fitting = [e for e in error.context if not (e.validator == "type" and not e.relative_path)]
        return _explain(document, best_match(fitting or error.context))
    path: Path_ = tuple(error.absolute_path)
    where = dotted(path)
    kind = error.validator
    value, schema, instance = _value(error), _schema(error), _instance(error)
    if kind == "additionalProperties":
        return _unknown_fields(document, error, path)
    if kind == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)[0]
        inside = f" in `{where}`" if where else ""
        return [Problem(document.position(path, key=True), f"missing required field `{missing}`{inside}")]
    if kind == "propertyNames":
        return _bad_key(document, error, path)
    if kind == "type":
        expected = value if isinstance(value, str) else value[0]
        message = f"`{where}` must be {_TYPE_NAMES.get(expected, expected)}, got {_describe(instance)}"
        return [Problem(document.position(path), message)]
    if kind == "const":
        return [_wrong_const(document, path, error)]
    if kind == "enum":
        options = [str(o) for o in value]
        message = f"`{where}` must be one of {', '.join(options)}; got {_describe(instance)}"
        return [Problem(document.position(path), message, did_you_mean(str(instance), options))]
    if kind in ("minimum", "maximum"):
        low, high = schema.get("minimum"), schema.get("maximum")
        span = (
            f"{low}-{high}" if low is not None and high is not None else (f">= {low}" if high is None else f"<= {high}")
        )
        return [Problem(document.position(path), f"`{where}` is {instance}, out of range {span}")]
    if kind in ("pattern", "format"):
        reason = schema.get("x-dockyard-error", f"must match {schema.get('pattern')}")
        if _is_key_of(document, path, instance):  # a propertyNames rule, reported at the key
            return [
                Problem(document.position((*path, instance), key=True), f"name `{instance}` in `{where}`: {reason}")
            ]
        return [Problem(document.position(path), f"`{where}` {reason}; got {_describe(instance)}")]
    if kind == "maxLength" and _is_key_of(document, path, instance):  # a propertyNames limit, reported per key
        return [
            Problem(
                document.position((*path, instance), key=True),
                f"name `{instance}` in `{where}` is longer than {value} characters",
                "Kubernetes limits port names to 15" if path[-1:] == ("ports",) else None,
            )
        ]
    if kind == "maxLength":
        return [Problem(document.position(path), f"`{where}` is longer than {value} characters")]
    if kind == "minLength" and _is_key_of(document, path, instance):
        return [
            Problem(
                document.position((*path, instance), key=True),
                f"name `{instance}` in `{where}` is shorter than {value} characters",
                "Score's names have 2 to 63 characters" if value == 2 else None,
            )
        ]
    if kind == "minLength":
        return [Problem(document.position(path), f"`{where}` must not be empty")]
    if kind == "minProperties" and value == 1:
        return [Problem(document.position(path), f"`{where}` must have at least one entry")]
    if kind == "maxProperties" and value == 1:
        return [Problem(document.position(path), f"`{where}` takes only one of {', '.join(sorted(instance))}")]
    return [Problem(document.position(path), f"`{where}`: {error.message}")]


def _is_key_of(document: Document, path: Path_, instance: Any) -> bool:
    node: Any = document.data
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return isinstance(node, dict) and isinstance(instance, str) and instance in node


def _unknown_fields(document: Document, error: ValidationError, path: Path_) -> list[Problem]:
    schema, instance = _schema(error), _instance(error)
    known = sorted(schema.get("properties", {}))
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    problems = []
    for key in instance:
        if key in known or any(p.search(key) for p in patterns):
            continue
        inside = f" in `{dotted(path)}`" if path else ""
        hint = did_you_mean(key, known) or (f"known fields: {', '.join(known)}" if known else None)
        problems.append(Problem(document.position((*path, key), key=True), f"unknown field `{key}`{inside}", hint))
    return problems


def _bad_key(document: Document, error: ValidationError, path: Path_) -> list[Problem]:
    key = _instance(error)
    sub = error.context[0] if error.context else error
    reason = _schema(sub).get("x-dockyard-error")
    if sub.validator == "maxLength":
        reason = f"must be at most {_value(sub)} characters"
    reason = reason or "must be a DNS-1123 label: lowercase letters, digits and '-'"
    return [Problem(document.position((*path, key), key=True), f"name `{key}` in `{dotted(path)}` {reason}")]


def _wrong_const(document: Document, path: Path_, error: ValidationError) -> Problem:
    where, expected, instance = dotted(path), _value(error), _instance(error)
    if path == ("apiVersion",) and expected == "score.dev/v1b1":
        return Problem(
            document.position(path),
            f"unsupported Score apiVersion `{instance}`",
            "Dockyard reads Score workloads with `apiVersion: score.dev/v1b1`",
        )
    if path == ("apiVersion",) and isinstance(instance, str) and instance.startswith("dockyard.dev/"):
        return Problem(
            document.position(path),
            f"`apiVersion` must be `{expected}`, got {_describe(instance)}",
            f"Dockyard {__version__} reads this kind of file as {expected}; a newer apiVersion needs a newer "
            "Dockyard (the range platform.yaml's `dockyard` names), an older one `dockyard migrate`",
        )
    return Problem(document.position(path), f"`{where}` must be `{expected}`, got {_describe(instance)}")


def _value(error: ValidationError) -> Any:
    """The keyword's value in the schema (a validator's errors always carry it)."""
    return error.validator_value


def _schema(error: ValidationError) -> dict[str, Any]:
    return error.schema if isinstance(error.schema, dict) else {}


def _instance(error: ValidationError) -> Any:
    return error.instance


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean `{str(value).lower()}`"
    if isinstance(value, str):
        return f'string "{value}"' if len(value) <= 60 else f'string "{value[:57]}..."'
    if isinstance(value, int | float):
        return f"number `{value}`"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    return "a mapping"
