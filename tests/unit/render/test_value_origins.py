"""Where a value of a rendered object was set: the line of a Score file that holds it (or the
variable a placeholder filled), a layer's component value, else Dockyard's or the chart's default,
named with the key that overrides it."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from dockyard.errors import Position
from dockyard.load.yamlsafe import parse
from dockyard.render.bundle import Origin, Source
from dockyard.render.components.catalog import CATALOG, Chosen
from dockyard.render.components.origins import traced
from dockyard.render.value_paths import dotted, holding

SCORE = b"""apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  main:
    image: registry.example.org/web:1
    args: ["--upstream", "api:8080"]
    variables:
      API_URL: ${resources.api.url}
      CACHE: http://cache.shop.svc:6379
"""
POD = {
    "spec": {
        "template": {
            "spec": {
                "containers": [
                    {
                        "name": "main",
                        "args": ["--upstream", "api:8080"],
                        "env": [
                            {"name": "API_URL", "value": "http://api.shop.svc:80"},
                            {"name": "CACHE", "value": "http://cache.shop.svc:6379"},
                        ],
                    }
                ]
            }
        }
    }
}
ENV = ("spec", "template", "spec", "containers", 0, "env")


def test_paths_to_a_value_and_how_people_read_them() -> None:
    assert holding(POD, "cache.shop.svc") == (*ENV, 1, "value")
    assert holding(POD, "api", whole=True) is None
    assert holding(POD, "API_URL", whole=True) == (*ENV, 0, "name")
    assert dotted((*ENV, 1, "value")) == "spec.template.spec.containers[0].env[1].value"
    assert dotted(("data", "grafana.ini", 0)) == 'data["grafana.ini"][0]'


def test_a_score_file_traces_a_value_to_its_line_or_to_the_variable_a_placeholder_filled() -> None:
    document = parse("services/web/score.yaml", SCORE)
    source = Source.at(document, ("metadata", "name"))
    assert source.position == Position("services/web/score.yaml", 3, 9)
    written = source.origin("cache.shop.svc", POD, (*ENV, 1, "value"))
    assert written == Origin(Position("services/web/score.yaml", 10, 14))
    filled = source.origin("api.shop.svc", POD, (*ENV, 0, "value"))  # the Score has `${resources.api.url}`
    assert filled == Origin(Position("services/web/score.yaml", 9, 16))
    argument = source.origin("api:8080", POD, ("spec", "template", "spec", "containers", 0, "args", 1), whole=True)
    assert argument == Origin(Position("services/web/score.yaml", 7, 26))
    elsewhere = source.origin("db.shop.svc", {"data": {"x": "db.shop.svc"}}, ("data", "x"))
    assert elsewhere == Origin(source.position)  # not from the file: the object's own origin


class _Platform:
    """What the trace asks of a platform: where a layer set a value."""

    def locate(self, path: tuple[str | int, ...]) -> Position:
        return Position("clusters/local.yaml", 30 + len(path), 7)


def test_a_components_value_is_traced_to_its_layer_else_named_with_the_key_that_overrides_it(tmp_path: Path) -> None:
    (tmp_path / "values.yaml").write_text("server:\n  upstream: http://chart.default.svc\n  other: 1\n")
    own: dict[str, Any] = {"config": {"backend": "http://dockyard.default.svc"}}
    component = dataclasses.replace(CATALOG["envoy-gateway"], values=lambda _platform: own)
    layers = {"deployment": {"pod": {"annotations": {"x": "http://layer.default.svc"}}}}
    item = Chosen(component, values=layers)
    source = traced(
        Source("clusters/local.yaml", lambda: Position("clusters/local.yaml", 17, 3)), _Platform(), item, (), tmp_path
    )  # type: ignore[arg-type]

    def origin(text: str) -> Origin:
        return source.origin(text, {}, ())

    assert origin("layer.default.svc") == Origin(Position("clusters/local.yaml", 37, 7))
    assert origin("dockyard.default.svc") == Origin(
        Position("clusters/local.yaml", 17, 3),
        "Dockyard's value `config.backend` of component `envoy-gateway`: set "
        "components.envoy-gateway.values.config.backend to change it",
    )
    assert origin("chart.default.svc") == Origin(
        Position("clusters/local.yaml", 17, 3),
        "the chart's default `server.upstream` of component `envoy-gateway`: set "
        "components.envoy-gateway.values.server.upstream to change it",
    )
    assert origin("nowhere.default.svc") == Origin(Position("clusters/local.yaml", 17, 3))
