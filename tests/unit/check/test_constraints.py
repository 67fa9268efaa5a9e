"""Gatekeeper ConstraintTemplates and their Constraints run in `dockyard check` as they are, and
find what OPA finds (through conftest) when the same Rego gets the admission review Gatekeeper
would send: the same objects, the same messages; the Constraint's match and action decide."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from dockyard.render.object_id import ObjectId
from tests.helpers import copy_example, run_cli, write
from tests.peers import conftest

TEMPLATE = """apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: requiredlabels
spec:
  crd:
    spec:
      names:
        kind: RequiredLabels
      validation:
        openAPIV3Schema:
          type: object
          properties:
            labels: {type: array, items: {type: string}}
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package requiredlabels

        import rego.v1

        violation contains {"msg": msg} if {
          some wanted in input.parameters.labels
          not input.review.object.metadata.labels[wanted]
          msg := sprintf("%s %s has no label %s", [input.review.kind.kind, input.review.name, wanted])
        }
"""
OWNER = """apiVersion: constraints.gatekeeper.sh/v1beta1
kind: RequiredLabels
metadata:
  name: deployments-have-an-owner
spec:
  match:
    kinds: [{apiGroups: [apps], kinds: [Deployment]}]
    namespaces: [shop]
    labelSelector: {matchExpressions: [{key: app.kubernetes.io/instance, operator: NotIn, values: [web]}]}
  parameters:
    labels: [owner, app.kubernetes.io/part-of]
"""
COST = """apiVersion: constraints.gatekeeper.sh/v1beta1
kind: RequiredLabels
metadata:
  name: configmaps-have-a-cost-centre
spec:
  enforcementAction: warn
  match:
    kinds: [{apiGroups: [""], kinds: [ConfigMap]}]
  parameters:
    labels: [cost-centre]
"""


def _review(manifest: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    group, _slash, version = manifest["apiVersion"].rpartition("/")
    kind = {"group": group, "version": version, "kind": manifest["kind"]}
    metadata = manifest["metadata"]
    review = {"object": manifest, "kind": kind, "name": metadata["name"], "namespace": metadata.get("namespace", "")}
    return {"review": {**review, "operation": "CREATE"}, "parameters": parameters}


@pytest.mark.tools
def test_constraints_find_what_opa_finds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_example(tmp_path / "repo")
    write(repo, "policies/required-labels.yaml", TEMPLATE)
    write(repo, "policies/owner.yaml", OWNER)
    write(repo, "policies/cost.yaml", COST)
    checked = run_cli(capsys, "check", str(repo), "-c", "local", "--output", "json")
    ours = {
        (f["rule"], f["object"], f["message"], f["severity"])
        for f in json.loads(checked.out)
        if f["rule"] in ("deployments-have-an-owner", "configmaps-have-a-cost-centre")
    }
    out = tmp_path / "rendered"
    assert run_cli(capsys, "render", str(repo), "-c", "local", "--only", "services", "-o", str(out)).code == 0
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "template.rego").write_text(yaml.safe_load(TEMPLATE)["spec"]["targets"][0]["rego"])
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    chosen: dict[str, tuple[str, str, str]] = {}
    for index, path in enumerate(sorted(out.rglob("*.yaml"))):
        manifest = yaml.safe_load(path.read_text())
        labels = manifest["metadata"].get("labels") or {}
        if manifest["kind"] == "Deployment" and manifest["metadata"].get("namespace") == "shop":
            if labels.get("app.kubernetes.io/instance") != "web":
                constraint, action, parameters = "deployments-have-an-owner", "deny", yaml.safe_load(OWNER)
            else:
                continue
        elif manifest["kind"] == "ConfigMap":
            constraint, action, parameters = "configmaps-have-a-cost-centre", "warn", yaml.safe_load(COST)
        else:
            continue
        name = f"{index}.json"
        (inputs / name).write_text(json.dumps(_review(manifest, parameters["spec"]["parameters"])))
        chosen[name] = (constraint, str(ObjectId.of(manifest)), action)
    done = subprocess.run(
        [
            str(conftest()),
            "test",
            "--no-color",
            "--output",
            "json",
            "-p",
            str(policy),
            "--namespace",
            "requiredlabels",
            *sorted(str(inputs / n) for n in chosen),
        ],
        capture_output=True,
        text=True,
    )
    theirs = set()
    for result in json.loads(done.stdout):
        constraint, object_id, action = chosen[Path(result["filename"]).name]
        theirs |= {(constraint, object_id, f["msg"], action) for f in result.get("failures") or []}
    assert len(theirs) >= 4 and {a for *_rest, a in theirs} == {"deny", "warn"}
    assert ours == theirs


@pytest.mark.tools
def test_a_constraint_without_its_template_is_refused_when_the_repo_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_example(tmp_path)
    write(repo, "policies/owner.yaml", OWNER)
    for command in (("validate", str(repo)), ("check", str(repo), "-c", "local")):
        result = run_cli(capsys, *command)
        assert result.code == 1
        assert result.err.splitlines()[:2] == [
            "policies/owner.yaml:2:7: no ConstraintTemplate in policies/ defines the kind RequiredLabels",
            "  hint: add its template (from the gatekeeper-library) beside it",
        ]
