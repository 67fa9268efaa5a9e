"""Chart values against the chart's values.yaml: what is an error, a warning, or fine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dockyard.charts.values_check import check_values
from dockyard.errors import Position, Problems

VALUES_YAML = """\
replicaCount: 1
service:
  enabled: true
  annotations: {}
  spec:
    type: LoadBalancer
ports:
  web: {port: 8000}
storage:
  type: s3
  # Give the buckets when you use object storage:
  # bucketNames:
  #   chunks: FIXME
config:
  exporters:
    debug: {}
"""


def _checked(*arguments: Any) -> Problems:
    found = Problems()
    check_values(*arguments, found)
    return found


def _chart(tmp_path: Path) -> Path:
    chart = tmp_path / "chart"
    chart.mkdir()
    (chart / "values.yaml").write_text(VALUES_YAML)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: chart\nversion: 1.0.0\ndependencies:\n  - name: minio\n    alias: store\n"
    )
    return chart


def _check(tmp_path: Path, values: dict) -> tuple[list[str], list[str]]:
    result = _checked(
        _chart(tmp_path), "demo", values, values, lambda path: Position("p.yaml", len(path), 1), Position("x")
    )
    return [p.message for p in result.errors], [p.message for p in result.warnings]


def test_an_unknown_top_level_key_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    errors, warnings = _check(tmp_path, {"replicas": 2})
    assert errors == ["component `demo`: `replicas` is not a value of its chart (helm would ignore it)"]
    assert warnings == []


def test_subcharts_and_global_are_known(tmp_path: Path) -> None:
    assert _check(tmp_path, {"store": {"anything": 1}, "global": {"domain": "x"}}) == ([], [])


def test_an_unknown_key_in_a_settings_map_is_a_warning(tmp_path: Path) -> None:
    errors, warnings = _check(tmp_path, {"service": {"type": "NodePort"}})
    assert errors == []
    assert warnings == ["component `demo`: `service.type` is not a value of its chart (no template may read it)"]


def test_maps_of_named_things_and_keys_shown_in_comments_are_fine(tmp_path: Path) -> None:
    values = {
        "ports": {"metrics": {"port": 9100}},
        "config": {"exporters": {"otlp": {"endpoint": "x"}}},
        "storage": {"bucketNames": {"chunks": "c"}},
    }
    assert _check(tmp_path, values) == ([], [])


def test_a_key_commented_elsewhere_does_not_count(tmp_path: Path) -> None:
    _errors, warnings = _check(tmp_path, {"service": {"bucketNames": "x"}})
    assert warnings == ["component `demo`: `service.bucketNames` is not a value of its chart (no template may read it)"]


def _with_schema(tmp_path: Path, schema: str, *files: tuple[str, str]) -> Path:
    chart = _chart(tmp_path)
    (chart / "values.schema.json").write_text(schema)
    for name, text in files:
        (chart / name).write_text(text)
    return chart


def _schema_errors(chart: Path, values: dict) -> list[str]:
    result = _checked(chart, "demo", values, values, lambda path: Position("p.yaml", len(path), 1), Position("x"))
    return [p.message for p in result.errors]


def test_the_schema_rejects_a_value_at_its_key_with_a_suggestion(tmp_path: Path) -> None:
    chart = _with_schema(
        tmp_path,
        '{"type": "object", "properties": {"replicaCount": {"type": "integer"}, "service": {"type": "object", '
        '"properties": {"enabled": {"type": "boolean"}, "annotations": {}, "spec": {}}, '
        '"additionalProperties": false}}}',
    )
    assert _schema_errors(chart, {"replicaCount": "two", "service": {"enabld": True}}) == [
        'component `demo`: the chart rejects values.replicaCount: "two" is not of type "integer"',
        "component `demo`: the chart rejects values.service.enabld: not a value the chart knows "
        "(did you mean `enabled`?)",
    ]


def test_a_schema_reference_is_resolved_inside_the_chart_only(tmp_path: Path) -> None:
    chart = _with_schema(
        tmp_path,
        '{"type": "object", "properties": {"replicaCount": {"$ref": "defs.json#/count"}}}',
        ("defs.json", '{"count": {"type": "integer"}}'),
    )
    assert _schema_errors(chart, {"replicaCount": "two"}) == [
        'component `demo`: the chart rejects values.replicaCount: "two" is not of type "integer"'
    ]


@pytest.mark.parametrize(
    "reference", ["https://example.com/schema.json", "file:///etc/passwd", "../../outside.json", "/etc/passwd"]
)
def test_a_schema_reference_outside_the_chart_makes_it_unusable(reference: str, tmp_path: Path) -> None:
    (tmp_path / "outside.json").write_text('{"type": "string"}')
    chart = _with_schema(tmp_path, f'{{"properties": {{"replicaCount": {{"$ref": "{reference}"}}}}}}')
    [message] = _schema_errors(chart, {"replicaCount": 1})
    assert message.startswith("component `demo`: the chart's values.schema.json is unusable (")


def test_a_catastrophic_pattern_is_bounded(tmp_path: Path) -> None:
    """`^(a+)+$` backtracks exponentially in a backtracking engine; the limit makes it a quick answer."""
    chart = _with_schema(tmp_path, '{"properties": {"replicaCount": {"type": "string", "pattern": "^(a+)+$"}}}')
    errors = _schema_errors(chart, {"replicaCount": "a" * 5000 + "!"})
    assert len(errors) == 1 and errors[0].startswith("component `demo`: the chart rejects values.replicaCount: ")


def test_a_billion_laughs_values_yaml_is_not_expanded(tmp_path: Path) -> None:
    chart = _chart(tmp_path)
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]
    (chart / "values.yaml").write_text("\n".join(lines) + "\n")
    assert _check_chart(chart, {"a1": 1}) == ([], [])


def _check_chart(chart: Path, values: dict) -> tuple[list[str], list[str]]:
    result = _checked(chart, "demo", values, values, lambda path: Position("p.yaml", len(path), 1), Position("x"))
    return [p.message for p in result.errors], [p.message for p in result.warnings]


def test_istio_style_internal_defaults_and_values_only_templates_read_are_known(tmp_path: Path) -> None:
    """Istio's charts keep their defaults under `_internal_defaults_do_not_set` and read `profile`
    in a template without declaring it: neither is a reason to refuse a value."""
    chart = tmp_path / "istiod"
    (chart / "templates").mkdir(parents=True)
    (chart / "values.yaml").write_text("_internal_defaults_do_not_set:\n  env: {}\n  meshConfig: {}\n")
    (chart / "templates" / "zzz_profile.yaml").write_text("{{ $profile := .Values.profile }}\n")
    values = {"env": {"X": "1"}, "meshConfig": {"accessLogFile": "/dev/stdout"}, "profile": "ambient"}
    assert _check_chart(chart, values) == ([], [])
    assert _check_chart(chart, {"pilot": {"env": {}}})[0] == [
        "component `demo`: `pilot` is not a value of its chart (helm would ignore it)"
    ]


def test_dockyards_own_values_are_checked_too(tmp_path: Path) -> None:
    """A key Dockyard itself sets that the chart does not have is reported as Dockyard's mistake."""
    chart = _chart(tmp_path)
    result = _checked(chart, "demo", {}, {"replicas": 2}, lambda path: Position("p.yaml", len(path), 1), Position("x"))
    assert [(str(p.position), p.message) for p in result.errors] == [
        (
            "x",
            "component `demo`: `replicas` is not a value of its chart (helm would ignore it) (a value Dockyard sets "
            "for this component: please report it)",
        )
    ]
