"""The Gatekeeper export: every exported template, evaluated as Gatekeeper would (the object under
review as `input.review.object`, the libraries under `lib.`), finds exactly what `dockyard check`
finds on the same object."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from dockyard.check.gatekeeper import export
from dockyard.check.policy import check_policies
from dockyard.render.bundle import Bundle, Rendered, Source
from tests.helpers import EXAMPLES, run_cli
from tests.peers import conftest
from tests.unit.check.objects import CONTAINER, DEPLOYMENT


def _broken(**container: Any) -> dict[str, Any]:
    manifest = copy.deepcopy(DEPLOYMENT)
    spec = manifest["spec"]["template"]["spec"]
    spec["containers"] = [{k: v for k, v in {**CONTAINER, **container}.items() if v is not None}]
    return manifest


CASES = {
    "clean": _broken(),
    "no-resources": _broken(resources=None),
    "no-probe": _broken(readinessProbe=None),
    "latest-image": _broken(image="registry.example.org/web:latest"),
    "untagged-image": _broken(image="registry.example.org/web"),
    "privileged": _broken(securityContext={"privileged": True}),
    "root": _broken(securityContext={"runAsNonRoot": False, "readOnlyRootFilesystem": False}),
}


def _gatekeeper(template: dict[str, Any], require_digest: bool, tmp_path: Path) -> dict[str, list[str]]:
    """What OPA (through conftest, the engine Gatekeeper embeds) says about every case, as Gatekeeper
    would evaluate the template: the case under review, the parameters, the libraries."""
    (target,) = template["spec"]["targets"]
    policy = tmp_path / template["metadata"]["name"]
    policy.mkdir()
    (policy / "main.rego").write_text(target["rego"])
    for index, library in enumerate(target["libs"]):
        (policy / f"lib{index}.rego").write_text(library)
    inputs = tmp_path / f"inputs-{template['metadata']['name']}"
    inputs.mkdir()
    for case, manifest in CASES.items():
        review = {"review": {"object": manifest}, "parameters": {"requireDigest": require_digest}}
        (inputs / f"{case}.json").write_text(json.dumps(review))
    package = target["rego"].split("\n", 1)[0].removeprefix("package ")
    done = subprocess.run(
        [
            str(conftest()),
            "test",
            "--policy",
            str(policy),
            "--namespace",
            package,
            "--output",
            "json",
            "--no-color",
            *sorted(str(p) for p in inputs.iterdir()),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    results = json.loads(done.stdout)
    return {Path(r["filename"]).stem: sorted(f["msg"] for f in r.get("failures") or []) for r in results}


def _dockyard(rule: str, manifest: dict[str, Any], require_digest: bool) -> list[str]:
    bundle = Bundle.of([Rendered(copy.deepcopy(manifest), "services", Source("x.yaml"))])
    found = [f for f in check_policies(bundle, require_digest=require_digest) if f.rule == rule]
    return sorted(
        f"{f.path}: {f.message} [dockyard {rule}]" if f.path else f"{f.message} [dockyard {rule}]" for f in found
    )


@pytest.mark.parametrize("require_digest", [False, True])
@pytest.mark.tools
def test_each_exported_rule_finds_what_check_finds(require_digest: bool, tmp_path: Path) -> None:
    exported = export({}, require_digest)
    templates = [m for m in exported.manifests if m["kind"] == "ConstraintTemplate"]
    assert sorted(t["metadata"]["name"] for t in templates) == [
        "dockyardimages",
        "dockyardprobes",
        "dockyardresources",
        "dockyardsecurity",
    ]
    found: dict[str, int] = dict.fromkeys(CASES, 0)
    for template in templates:
        rule = template["spec"]["crd"]["spec"]["names"]["kind"].removeprefix("Dockyard").lower()
        assert template["metadata"]["name"] == template["spec"]["crd"]["spec"]["names"]["kind"].lower()
        theirs = _gatekeeper(template, require_digest, tmp_path)
        for case, manifest in CASES.items():
            ours = _dockyard(rule, manifest, require_digest)
            assert theirs[case] == ours, (rule, case)
            found[case] += len(ours)
    assert {case for case, count in found.items() if count == 0} == (set() if require_digest else {"clean"})


def test_severities_become_enforcement_actions_and_off_rules_are_left_out() -> None:
    exported = export({"probes": "warn", "images": "off"}, False)
    actions = {
        m["kind"]: m["spec"]["enforcementAction"] for m in exported.manifests if "enforcementAction" in m["spec"]
    }
    assert actions == {"DockyardProbes": "warn", "DockyardResources": "deny", "DockyardSecurity": "deny"}
    assert exported.skipped["images"] == "switched off (checks.severity) in this cluster's layers"
    assert "platform" in exported.skipped


def test_the_command_writes_one_file_per_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(
        capsys, "policies", "export", str(EXAMPLES / "shop"), "-c", "local", "--gatekeeper", "-o", str(tmp_path)
    )
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        f"wrote 8 objects into {tmp_path}",
        "not exported: platform: compares objects with each other, or is about rendered output; "
        "admission sees one object",
    ]
    constraint = yaml.safe_load((tmp_path / "dockyardprobes-dockyard-probes.yaml").read_text())
    assert constraint["spec"]["match"]["namespaceSelector"] == {
        "matchExpressions": [{"key": "dockyard.dev/team", "operator": "Exists"}]
    }
