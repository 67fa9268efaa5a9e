"""The quick proof of a contract's validity (render/openapi/quick.py) never says valid where the
full validator (openapi-spec-validator) finds a problem: on real contracts, on one broken contract
per rule the full validator applies, and on thousands of contracts broken at random places."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import OpenAPIV30SpecValidator

from dockyard.render.openapi.quick import proven_valid
from tests.helpers import EXAMPLES

CONTRACTS = Path(__file__).parent / "contracts"
QUICK = Path(__file__).parent / "contracts-quick"
"""Valid contracts that reach every part of the quick walk: references to parameters, responses
and schemas, path-level parameters, tags, anyOf, nullable, enums and patterns."""
SEEDS = sorted(
    [*CONTRACTS.glob("*.yaml"), *QUICK.glob("*.yaml"), *EXAMPLES.glob("shop/services/*/openapi.yaml")],
    key=lambda p: p.name,
)
TRICKY: list[Any] = ["", "(", "[a-", "x", 0, -1, 1.5, 2.0, True, None, [], {}, [1, 1], ["a", "a"], {"type": "string"}]


def _full_finds_nothing(document: Any) -> bool:
    try:
        return next(iter(OpenAPIV30SpecValidator(document).iter_errors()), None) is None
    except Exception:  # what Dockyard reports as "its structure is broken"
        return False


def _seed(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def test_real_contracts_are_proven_valid_as_the_full_validator_finds_them() -> None:
    proven = 0
    for path in SEEDS:
        document = _seed(path)
        if proven_valid(document):
            proven += 1
            assert _full_finds_nothing(document), path
    assert proven >= 3  # the quick path is taken for real contracts, not only refused (3.1, defaults: the full one)


def _orders() -> Any:
    return _seed(EXAMPLES / "shop/services/orders/openapi.yaml")


def _first_operation(document: Any) -> dict[str, Any]:
    path = next(iter(document["paths"].values()))
    return next(v for k, v in path.items() if k in ("get", "post", "put", "delete", "patch"))


def _a_schema(document: Any) -> dict[str, Any]:
    schemas = document["components"].setdefault("schemas", {})
    return schemas.setdefault("Order", {"type": "object", "properties": {"id": {"type": "string"}}})


BROKEN = {
    "an operation id twice": lambda d: [
        op.update(operationId="same") for p in d["paths"].values() for k, op in p.items() if k in ("get", "post")
    ],
    "a path parameter not declared": lambda d: d["paths"].update(
        {"/x/{id}": {"get": {"responses": {"200": {"description": "ok"}}}}}
    ),
    "a declared path parameter not in the path": lambda d: d["paths"].update(
        {
            "/x": {
                "get": {
                    "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        }
    ),
    "a parameter twice": lambda d: d["paths"].update(
        {
            "/y": {
                "get": {
                    "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}] * 2,
                    "responses": {"200": {"description": "ok"}},
                }
            }
        }
    ),
    "a pattern that is not a regular expression": lambda d: _a_schema(d).update(pattern="(unclosed"),
    "an empty required list": lambda d: _a_schema(d).update(required=[]),
    "an empty enum": lambda d: _a_schema(d).update(enum=[]),
    "a type that is not a type": lambda d: _a_schema(d).update(type="text"),
    "a tag twice": lambda d: d.update(tags=[{"name": "a"}, {"name": "a"}]),
    "a schema that is a list": lambda d: d["components"].setdefault("schemas", {}).update(Bad=["a"]),
    "a negative maxLength": lambda d: _a_schema(d).update(maxLength=-1),
    "a percent-encoded reference to a broken schema beside a good one": lambda d: (
        d.update({"x-defs": {"a b": {"type": 5}, "a%20b": {"type": "string"}}}),
        d["paths"].update(
            {
                "/z": {
                    "get": {
                        "responses": {
                            "200": {
                                "description": "ok",
                                "content": {"application/json": {"schema": {"$ref": "#/x-defs/a%20b"}}},
                            }
                        }
                    }
                }
            }
        ),
    ),
}


@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_a_contract_broken_by_each_rule_is_not_proven_and_the_full_validator_says_why(broken: str) -> None:
    document = _orders()
    BROKEN[broken](document)
    assert not _full_finds_nothing(document), broken
    assert not proven_valid(document)


def _places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _places(value, (*path, index))
    return found


def _mutated(document: Any, chance: random.Random) -> Any:
    result = copy.deepcopy(document)
    for _ in range(chance.randint(1, 3)):
        places = [p for p in _places(result) if p]
        path = chance.choice(places)
        parent = result
        for part in path[:-1]:
            parent = parent[part]
        action = chance.random()
        if action < 0.3 and isinstance(parent, dict):
            del parent[path[-1]]
        elif action < 0.4 and isinstance(parent, dict) and isinstance(path[-1], str):
            parent[path[-1] + "x"] = parent.pop(path[-1])  # a key misspelt, or a path template changed
        elif action < 0.5 and isinstance(parent, dict):
            parent[
                chance.choice(["pattern", "default", "allOf", "required", "enum", "$ref", "items", "operationId"])
            ] = chance.choice(TRICKY)
        else:
            parent[path[-1]] = copy.deepcopy(chance.choice(TRICKY))
    return result


@pytest.mark.parametrize("seed", [p.name for p in SEEDS])
def test_contracts_broken_at_random_are_never_proven_valid_where_the_full_validator_finds_a_problem(seed: str) -> None:
    document = _seed(next(p for p in SEEDS if p.name == seed))
    chance = random.Random(f"quick-{seed}")  # the same mutants every run
    proven = refused = 0
    for _ in range(300):
        mutant = _mutated(document, chance)
        if proven_valid(mutant):
            proven += 1
            assert _full_finds_nothing(mutant), yaml.safe_dump(mutant)[:2000]
        elif not _full_finds_nothing(mutant):
            refused += 1
    if proven_valid(document):
        assert proven > 0 and refused > 0, (proven, refused)  # both sides of the question were asked
