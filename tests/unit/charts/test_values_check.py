"""Chart values against the chart's values.yaml: what is an error, a warning, or fine."""

from __future__ import annotations

from pathlib import Path

from dockyard.charts.values_check import check
from dockyard.errors import Position

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


def _chart(tmp_path: Path) -> Path:
    chart = tmp_path / "chart"
    chart.mkdir()
    (chart / "values.yaml").write_text(VALUES_YAML)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: chart\nversion: 1.0.0\ndependencies:\n  - name: minio\n    alias: store\n"
    )
    return chart


def _check(tmp_path: Path, values: dict) -> tuple[list[str], list[str]]:
    result = check(
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
