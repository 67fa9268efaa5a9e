"""The JSON API's OpenAPI description is a valid OpenAPI document that types every body and answer,
and every answer the API gives holds to the schema the description shows for its status."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
from fastapi.testclient import TestClient

BODY = {"name": "billing", "team": "shop", "image": "ghcr.io/acme/billing:1.0", "port": 8080, "health_path": "/healthz"}


def _description(client: TestClient) -> dict[str, Any]:
    answer = client.get("/api/openapi.json")
    assert answer.status_code == 200
    return dict(answer.json())


def test_the_description_is_openapi_and_types_every_body_and_answer(signed_in: Callable[..., TestClient]) -> None:
    from openapi_spec_validator import validate

    description = _description(signed_in("viewer"))
    validate(description)  # raises on any problem
    for path, operations in description["paths"].items():
        for method, operation in operations.items():
            answers = operation["responses"]
            good = [code for code in answers if code.startswith("2")]
            assert good, (method, path)
            for code in good:
                schema = answers[code]["content"]["application/json"]["schema"]
                assert schema != {} and (path == "/api/openapi.json" or "$ref" in schema), (method, path, schema)
            if method in ("post", "put") and path in (
                "/api/drafts",
                "/api/drafts/plan",
                "/api/services",
                "/api/services/{name}",
            ):
                body = operation["requestBody"]["content"]["application/json"]["schema"]
                assert {"name", "team", "image", "port", "variables"} <= set(body["properties"]), path


def _checker(description: dict[str, Any], path: str, method: str, status: int) -> Callable[[Any], None]:
    """A validator of the answer the description shows for `status` (its `#/components/...`
    references resolved in the description itself)."""
    schema = description["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
    whole = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "components": description["components"],
    }
    validator = jsonschema.Draft202012Validator(whole)
    return validator.validate


def test_every_answer_holds_to_its_description(signed_in: Callable[..., TestClient], repo: Path) -> None:
    client = signed_in("editor")
    description = _description(client)
    calls: list[tuple[str, str, str, dict[str, Any] | None]] = [
        ("get", "/api/me", "/api/me", None),
        ("get", "/api/services", "/api/services", None),
        ("get", "/api/services/{name}", "/api/services/orders", None),
        ("get", "/api/services/{name}", "/api/services/nowhere", None),
        ("get", "/api/jobs", "/api/jobs", None),
        ("post", "/api/drafts", "/api/drafts", {**BODY, "new": True}),
        ("post", "/api/drafts", "/api/drafts", {**BODY, "image": "", "new": True}),
        ("post", "/api/drafts/plan", "/api/drafts/plan", {**BODY, "image": "", "new": True}),
        ("post", "/api/drafts/plan", "/api/drafts/plan", {**BODY, "new": True}),  # no cluster here: 502
        ("post", "/api/services/{name}/plan", "/api/services/orders/plan", None),  # no cluster: 502
        ("post", "/api/services", "/api/services", {**BODY, "image": ""}),
        ("post", "/api/services", "/api/services", BODY),
        ("put", "/api/services/{name}", "/api/services/billing", {**BODY, "image": "ghcr.io/acme/billing:1.1"}),
    ]
    seen = set()
    for method, template, url, body in calls:
        answer = client.request(method.upper(), url, json=body)
        status = answer.status_code
        documented = description["paths"][template][method]["responses"]
        assert str(status) in documented, (method, url, status, answer.text)
        _checker(description, template, method, status)(answer.json())
        seen.add((template, status))
    assert ("/api/services", 201) in seen and ("/api/services", 422) in seen and ("/api/drafts/plan", 422) in seen
