"""Rendered objects against the Kubernetes schemas of the cluster's version (strict: unknown fields fail)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from dockyard.check.schema import SchemasMissing, check_schemas
from dockyard.load.layers import effective
from dockyard.load.repo import load
from dockyard.model.platform import build_platform
from dockyard.render.services import render
from tests.helpers import EXAMPLES, copy_example, run_cli

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "repos"
CASES = [(EXAMPLES / "shop", "local"), (EXAMPLES / "shop", "prod-eu"), (GOLDEN / "every-field", "lab")]


@pytest.mark.parametrize(("root", "cluster"), CASES, ids=[f"{r.name}-{c}" for r, c in CASES])
def test_every_rendered_built_in_object_is_schema_valid(root: Path, cluster: str) -> None:
    repo = load(root)
    platform = build_platform(repo, effective(repo, cluster))
    findings = check_schemas(render(platform), platform.cluster.kubernetes_version)
    assert [f for f in findings if not f.message.startswith("no schema for ")] == []


def test_custom_resources_without_a_schema_are_findings_not_silence() -> None:
    repo = load(EXAMPLES / "shop")
    platform = build_platform(repo, effective(repo, "local"))
    kinds = sorted({f.object.split(" ")[0] for f in check_schemas(render(platform), "1.36")})
    assert kinds == [
        "Database.postgresql.cnpg.io",
        "HTTPRoute.gateway.networking.k8s.io",
        "ServiceMonitor.monitoring.coreos.com",
    ]


BAD = """apiVersion: dockyard.dev/v1alpha1
kind: Provisioner
description: renders objects with mistakes
manifests:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: "${service}-${id}"}
    data: {a: "1"}
    spec: {}
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: "${service}-${id}"}
    spec:
      replicas: two
      selector: {matchLabels: {a: b}}
      template:
        metadata: {labels: {a: b}}
        spec: {containers: [{name: c, image: i, imagePullPolicy: Always}]}
"""


@pytest.mark.tools
def test_schema_errors_name_the_object_the_field_and_the_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_example(tmp_path)
    (root / "provisioners" / "bad.yaml").write_text(BAD)
    score = root / "services" / "worker" / "score.yaml"
    score.write_text(score.read_text().replace("resources:\n  queue:", "resources:\n  oops:\n    type: bad\n  queue:"))
    result = run_cli(capsys, "check", str(root), "--cluster", "local")
    assert result.code == 1
    lines = [line for line in result.out.splitlines() if "worker-oops" in line and "[schema," in line]
    assert lines == [
        "services/worker/score.yaml:33:3: ConfigMap shop/worker-oops: Additional properties are not allowed "
        "('spec' was unexpected) [schema, deny]",
        'services/worker/score.yaml:33:3: Deployment.apps shop/worker-oops: spec.replicas: "two" is not of types '
        '"null", "integer" [schema, deny]',
    ]
    assert result.out.splitlines()[-1].startswith("check: ")


def test_an_unknown_kubernetes_version_is_a_clear_error() -> None:
    with pytest.raises(SchemasMissing) as missing:
        from dockyard.check.schema import schema_directory

        schema_directory("1.2")
    assert str(missing.value).startswith("no Kubernetes schemas for version 1.2; known: ")


def test_many_objects_of_a_kind_are_judged_alike_without_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From JUDGED_DIRECTLY_FROM objects of a kind on, each is judged with the kind's validator
    instead of looked up by its content: the same findings, and no cache entries for that kind."""
    from dockyard.check.schema import JUDGED_DIRECTLY_FROM
    from dockyard.load.parsed import flush_cache_writes
    from dockyard.render.bundle import Bundle, Rendered, Source, obj

    monkeypatch.setenv("DOCKYARD_PARSE_CACHE", str(tmp_path / "cache"))
    here = Source("services/app/score.yaml", None)

    def bundle(count: int) -> Bundle:
        maps = [obj("v1", "ConfigMap", f"m{i}", "shop", data={"a": "1"}) for i in range(count)]
        maps[-1]["data"] = {"a": 1}  # not a string
        return Bundle.of([Rendered(m, "services", here) for m in maps])

    few, many = JUDGED_DIRECTLY_FROM - 1, JUDGED_DIRECTLY_FROM
    for count in (few, many):
        findings = check_schemas(bundle(count), "1.36")
        assert [(f.object, f.path, f.message) for f in findings] == [
            (f"ConfigMap shop/m{count - 1}", "data.a", '1 is not of types "null", "string"')
        ]
    flush_cache_writes()
    indexes = (tmp_path / "cache" / "packs").glob("*.index")
    entries = [key for index in indexes for key in pickle.loads(index.read_bytes())]
    assert len(entries) == few  # the looked-up kind's verdicts only
