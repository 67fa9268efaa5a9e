"""Dockyard's schema check and kubeconform give the same verdict on a corpus of valid and invalid
manifests (same Kubernetes 1.36 strict schemas, two independent validators).

Where they would disagree, the case says so and why; today there is no disagreement. Both accept
the two mistakes the 1.36 schemas cannot see (an unknown imagePullPolicy, a port above 65535):
the API server's dry run catches those.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from dockyard.check.schema import _schema_file, check_schemas
from dockyard.render.bundle import Bundle, Rendered, Source
from tests.charts import platform_of
from tests.helpers import EXAMPLES
from tests.peers import kubeconform, standalone_schemas

SCHEMAS = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / "v1.36.0-local-strict"


def _shop() -> list[dict[str, Any]]:
    from dockyard.render.services import render

    builtin = ("apps/v1", "v1", "networking.k8s.io/v1", "autoscaling/v2", "policy/v1", "rbac.authorization.k8s.io/v1")
    return [r.manifest for r in render(platform_of(EXAMPLES / "shop", "prod-eu")).objects if r.api_version in builtin]


def _broken(base: dict[str, Any], change: Any) -> dict[str, Any]:
    manifest = copy.deepcopy(base)
    change(manifest)
    return manifest


def _corpus() -> dict[str, tuple[dict[str, Any], bool]]:
    shop = _shop()
    deployment = next(m for m in shop if m["kind"] == "Deployment")
    service = next(m for m in shop if m["kind"] == "Service")
    container = lambda m: m["spec"]["template"]["spec"]["containers"][0]  # noqa: E731
    cases: dict[str, tuple[dict[str, Any], bool]] = {
        f"valid-{m['kind'].lower()}-{m['metadata']['name']}": (m, True) for m in shop
    }
    cases |= {
        "unknown-spec-field": (_broken(deployment, lambda m: m["spec"].update(replicass=2)), False),
        "unknown-metadata-field": (_broken(deployment, lambda m: m["metadata"].update(labelz={})), False),
        "replicas-not-an-integer": (_broken(deployment, lambda m: m["spec"].update(replicas="two")), False),
        "container-without-name": (_broken(deployment, lambda m: container(m).pop("name")), False),
        "port-not-an-integer": (_broken(service, lambda m: m["spec"]["ports"][0].update(port="eighty")), False),
        "configmap-value-not-a-string": (
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": 1}},
            False,
        ),
        "selector-not-a-map": (_broken(deployment, lambda m: m["spec"].update(selector="app=x")), False),
        "unknown-kind": ({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}, False),
        "image-pull-policy-unknown (no enum in 1.36)": (
            _broken(deployment, lambda m: container(m).update(imagePullPolicy="Sometimes")),
            True,
        ),
        "port-above-65535 (no range in 1.36)": (
            _broken(service, lambda m: m["spec"]["ports"][0].update(port=70000)),
            True,
        ),
    }
    return cases


def _dockyard_verdicts(cases: dict[str, tuple[dict[str, Any], bool]]) -> dict[str, bool]:
    verdicts = {}
    for name, (manifest, _expected) in cases.items():
        findings = check_schemas(Bundle.of([Rendered(manifest, "services", Source(name))]), "1.36")
        verdicts[name] = not findings
    return verdicts


def _kubeconform_verdicts(cases: dict[str, tuple[dict[str, Any], bool]], tmp_path: Path) -> dict[str, bool]:
    names = set()
    for manifest, _expected in cases.values():
        schema = _schema_file(SCHEMAS, manifest["apiVersion"], manifest["kind"])
        if schema.is_file():
            names.add(schema.stem)
    schemas = standalone_schemas(SCHEMAS, tmp_path / "schemas" / "v1.36.0-standalone-strict", names)
    files = tmp_path / "corpus"
    files.mkdir()
    order = sorted(cases)
    for index, name in enumerate(order):
        (files / f"{index:03d}.yaml").write_text(yaml.safe_dump(cases[name][0]))
    location = f"{schemas.parent}/{{{{ .NormalizedKubernetesVersion }}}}-standalone{{{{ .StrictSuffix }}}}/"
    location += "{{ .ResourceKind }}{{ .KindSuffix }}.json"
    done = subprocess.run(
        [
            str(kubeconform()),
            "-strict",
            "-kubernetes-version",
            "1.36.0",
            "-output",
            "json",
            "-verbose",
            "-schema-location",
            location,
            str(files),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(done.stdout)
    status = {Path(r["filename"]).stem: r["status"] for r in report["resources"]}
    return {name: status[f"{index:03d}"] == "statusValid" for index, name in enumerate(order)}


@pytest.mark.tools
def test_dockyard_and_kubeconform_agree_on_every_manifest(tmp_path: Path) -> None:
    cases = _corpus()
    ours = _dockyard_verdicts(cases)
    theirs = _kubeconform_verdicts(cases, tmp_path)
    assert {n: v for n, v in ours.items() if v != cases[n][1]} == {}  # Dockyard gives the expected verdict
    assert {n: (ours[n], theirs[n]) for n in cases if ours[n] != theirs[n]} == {}
    assert sum(1 for _m, valid in cases.values() if valid) >= 20


@pytest.mark.parametrize("case", ["unknown-spec-field", "replicas-not-an-integer"])
def test_the_finding_names_the_field(case: str) -> None:
    manifest, _valid = _corpus()[case]
    (finding,) = check_schemas(Bundle.of([Rendered(manifest, "services", Source("x.yaml"))]), "1.36")
    assert finding.path == ("spec" if case == "unknown-spec-field" else "spec.replicas")
