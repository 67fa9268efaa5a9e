"""Policies written for conftest run in `dockyard check` as they are, and find what conftest (OPA
itself) finds on the rendered files: the same objects, the same messages, the same severities."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from dockyard.render.object_id import ObjectId
from tests.helpers import copy_example, run_cli, write
from tests.peers import conftest

POLICY = """package main

import rego.v1

deny contains msg if {
	input.kind == "Deployment"
	some container in input.spec.template.spec.containers
	not container.resources.limits.cpu
	msg := sprintf("container %s of %s has no CPU limit", [container.name, input.metadata.name])
}

violation contains {"msg": msg} if {
	input.kind == "Deployment"
	input.spec.replicas < 2
	msg := sprintf("%s runs a single replica", [input.metadata.name])
}

warn_files contains msg if {
	input.kind == "ConfigMap"
	endswith(input.metadata.name, "-files")
	msg := sprintf("%s holds files: keep them small", [input.metadata.name])
}
"""


@pytest.mark.tools
def test_a_conftest_policy_finds_what_conftest_finds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_example(tmp_path / "repo")
    write(repo, "policies/limits.rego", POLICY)
    checked = run_cli(capsys, "check", str(repo), "-c", "local", "--output", "json")
    ours = {(f["object"], f["message"], f["severity"]) for f in json.loads(checked.out) if f["rule"] == "limits"}
    out = tmp_path / "rendered"
    assert run_cli(capsys, "render", str(repo), "-c", "local", "--only", "services", "-o", str(out)).code == 0
    files = sorted(str(p) for p in out.rglob("*.yaml") if "4-namespaces" not in str(p))
    done = subprocess.run(
        [str(conftest()), "test", "--no-color", "--output", "json", "-p", str(repo / "policies"), *files],
        capture_output=True,
        text=True,
    )
    theirs = set()
    for result in json.loads(done.stdout):
        manifest = yaml.safe_load(Path(result["filename"]).read_text())
        object_id = str(ObjectId.of(manifest))
        theirs |= {(object_id, f["msg"], "deny") for f in result.get("failures") or []}
        theirs |= {(object_id, w["msg"], "warn") for w in result.get("warnings") or []}
    assert len(theirs) >= 5 and {s for _o, _m, s in theirs} == {"deny", "warn"}
    assert ours == theirs
    assert checked.code == 1  # the deny findings stop an apply, like any other rule's
