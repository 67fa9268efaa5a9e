"""Benchmark the output checks at 10,000 objects, side by side with kubeconform (schemas) and
conftest (the same Rego policies, on OPA), on the same input in the same run.

    uv run python bench/check.py [--services 2000] [--runs 3]

The platform (2,000 services of the render benchmark's workload: about 10,000 objects) is rendered
to files once. Schemas: Dockyard's schema engine (in process, on the rendered objects) against
`kubeconform -strict` on the files, both on the built-in kinds (kubeconform has no schemas for the
custom resources) with the same Kubernetes 1.36 schemas. Policies: Dockyard's policy engine (in
process, regorus) against `conftest test` (OPA) with Dockyard's own Rego library on the same input
document Dockyard evaluates (written as one JSON file), so both run the same rules on the same
data: every object judged, and again with every object's verdict remembered from the run before
(check/remembered.py; nothing changed, so nothing is evaluated). The wiring check (no peer tool
checks this) on the whole render; bench/wiring.py measures it on the platform with every component.
Also the whole `dockyard check` command (load, render, schemas, policies, wiring; warm parse
cache). kubeconform and conftest are built from their Go modules into the cache (tests/peers.py).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

import kubernetes_validate  # noqa: E402
from render import generate  # noqa: E402
from tests.peers import conftest, kubeconform, standalone_schemas  # noqa: E402

SCHEMAS = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / "v1.36.0-local-strict"
CONFTEST_MAIN = """package main

import rego.v1

deny contains msg if {
	some rule, _ in data.dockyard.policies
	some finding in data.dockyard.policies[rule].deny
	msg := sprintf("%s %s %s", [rule, finding.object, finding.message])
}
"""


CONFTEST_PER_FILE = """package main

import rego.v1

# conftest reads each rendered file as `input` (one object): it is given to Dockyard's rules as
# the only object of their input, in the shape check/policy.py gives them (no relations between
# objects: one file cannot see another).

templates := {
	"Deployment": ["spec", "template"],
	"StatefulSet": ["spec", "template"],
	"DaemonSet": ["spec", "template"],
	"ReplicaSet": ["spec", "template"],
	"Job": ["spec", "template"],
	"CronJob": ["spec", "jobTemplate", "spec", "template"],
	"Pod": [],
}

group := split(input.apiVersion, "/")[0] if contains(input.apiVersion, "/")

else := ""

kind := sprintf("%s.%s", [input.kind, group]) if group != ""

else := input.kind

id := sprintf("%s %s/%s", [kind, input.metadata.namespace, input.metadata.name]) if input.metadata.namespace

else := sprintf("%s %s", [kind, input.metadata.name])

entry := object.union(
	{"id": id, "kind": input.kind, "manifest": input, "containers": containers},
	{"pod": pod, "pod_path": concat(".", path), "containers_path": concat(".", array.concat(path, ["containers"]))},
) if {
	path := array.concat(templates[input.kind], ["spec"])
	pod := object.get(input, path, {})
	containers := array.concat(object.get(pod, "initContainers", []), object.get(pod, "containers", []))
}

else := {"id": id, "kind": input.kind, "manifest": input, "containers": []}

deny contains msg if {
	one := entry
	some rule, _ in data.dockyard.policies
	some finding in data.dockyard.policies[rule].deny with input as {"objects": [one], "requireDigest": false}
	msg := sprintf("%s %s %s", [rule, finding.object, finding.message])
}
"""


def timed(action):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def _summary(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout.strip().splitlines()[-1] if done.stdout else done.stderr[-300:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from tests.charts import platform_of

    from dockyard.actions import chart_store
    from dockyard.check.policy import _object, check_policies, library, with_relations
    from dockyard.check.schema import _schema_file, check_schemas
    from dockyard.check.wiring import check_wiring
    from dockyard.cli import GC_THRESHOLDS
    from dockyard.render.bundle import TEAM_STAGES, Bundle
    from dockyard.render.output import write_tree
    from dockyard.render.platform import render_platform

    work = Path(tempfile.mkdtemp(prefix="dockyard-check-bench-"))
    try:
        repo = work / "repo"
        generate(repo, args.services)
        os.environ["DOCKYARD_PARSE_CACHE"] = str(work / "parse")
        platform = platform_of(repo)
        bundle = render_platform(platform, chart_store())
        gc.set_threshold(*GC_THRESHOLDS)  # as every dockyard command sets it: a full collection of
        gc.freeze()  # the render's heap inside a timed check is not the check's cost
        teams = Bundle(tuple(o for o in bundle.objects if o.stage in TEAM_STAGES))
        builtin = Bundle(tuple(o for o in teams.objects if _schema_file(SCHEMAS, o.api_version, o.kind).is_file()))
        write_tree(builtin, work / "files", "yaml")

        names = {_schema_file(SCHEMAS, o.api_version, o.kind).stem for o in builtin.objects}
        schemas = standalone_schemas(SCHEMAS, work / "schemas" / "v1.36.0-standalone-strict", names)
        location = f"{schemas.parent}/{{{{ .NormalizedKubernetesVersion }}}}-standalone{{{{ .StrictSuffix }}}}/"
        location += "{{ .ResourceKind }}{{ .KindSuffix }}.json"
        kubeconform_command = [
            str(kubeconform()),
            "-strict",
            "-summary",
            "-kubernetes-version",
            "1.36.0",
            "-schema-location",
            location,
            str(work / "files"),
        ]

        policy_dir = work / "policy"
        policy_dir.mkdir()
        for name, source in library():
            (policy_dir / f"{name}.rego").write_text(source)
        (policy_dir / "main.rego").write_text(CONFTEST_MAIN)
        document = work / "input.json"
        document.write_text(
            json.dumps({"objects": with_relations([_object(r) for r in builtin.objects]), "requireDigest": False})
        )
        conftest_command = [
            str(conftest()),
            "test",
            "--no-color",
            "--output",
            "json",
            "--policy",
            str(policy_dir),
            str(document),
        ]
        per_file_dir = work / "policy-per-file"
        per_file_dir.mkdir()
        for name, source in library():
            (per_file_dir / f"{name}.rego").write_text(source)
        (per_file_dir / "main.rego").write_text(CONFTEST_PER_FILE)
        tree = work / "tree"  # the whole render, one file per object, as a user would check it
        write_tree(bundle, tree, "yaml")
        kubeconform_tree = [*kubeconform_command[:-1], "-ignore-missing-schemas", str(tree)]
        conftest_tree = [str(conftest()), "test", "--no-color", "--output", "json", "--policy", str(per_file_dir)]
        conftest_tree.append(str(tree))
        dockyard_command = [sys.executable, "-m", "dockyard.cli", "check", str(repo), "-c", "local"]
        subprocess.run(dockyard_command, capture_output=True, check=False)  # fills the parse cache

        samples: dict[str, list[float]] = {
            k: []
            for k in (
                "dy_schemas",
                "kubeconform",
                "dy_policies",
                "dy_policies_remembered",
                "conftest",
                "dy_wiring",
                "dy_check_command",
                "kubeconform_tree",
                "conftest_tree",
            )
        }
        counts: dict[str, int | str] = {}
        for _ in range(args.runs):
            seconds, found = timed(lambda: check_schemas(builtin, "1.36"))
            samples["dy_schemas"].append(seconds)
            counts["dockyard_schema_findings"] = len(found)
            seconds, done = timed(lambda: subprocess.run(kubeconform_command, capture_output=True, text=True))
            samples["kubeconform"].append(seconds)
            counts["kubeconform_summary"] = _summary(done)
            seconds, found = timed(lambda: check_policies(builtin, remember=False))  # every object judged
            samples["dy_policies"].append(seconds)
            counts["dockyard_policy_findings"] = len(found)
            check_policies(builtin)  # judged once, then every object's verdict is remembered
            seconds, remembered_found = timed(lambda: check_policies(builtin))
            samples["dy_policies_remembered"].append(seconds)
            assert remembered_found == found
            seconds, done = timed(lambda: subprocess.run(conftest_command, capture_output=True, text=True))
            samples["conftest"].append(seconds)
            result = json.loads(done.stdout) if done.stdout.strip().startswith("[") else []
            counts["conftest_policy_findings"] = sum(len(r.get("failures") or []) for r in result)
            seconds, found = timed(lambda: check_wiring(bundle, platform.domain))
            samples["dy_wiring"].append(seconds)
            counts["dockyard_wiring_findings"] = len(found)
            seconds, _done = timed(lambda: subprocess.run(dockyard_command, capture_output=True))
            samples["dy_check_command"].append(seconds)
            seconds, done = timed(lambda: subprocess.run(kubeconform_tree, capture_output=True, text=True))
            samples["kubeconform_tree"].append(seconds)
            counts["kubeconform_tree_summary"] = (
                done.stdout.strip().splitlines()[-1] if done.stdout else done.stderr[-300:]
            )
            seconds, done = timed(lambda: subprocess.run(conftest_tree, capture_output=True, text=True))
            samples["conftest_tree"].append(seconds)
            result = json.loads(done.stdout) if done.stdout.strip().startswith("[") else []
            counts["conftest_tree_files"] = len(result)
            counts["conftest_tree_findings"] = sum(len(r.get("failures") or []) for r in result)
            if not result:
                counts["conftest_tree_error"] = done.stderr[-300:]
        report: dict[str, object] = {
            "services": args.services,
            "objects_rendered": len(bundle.objects),
            "objects_compared": len(builtin.objects),
            **counts,
        }
        for name, values in samples.items():
            report[f"{name}_s"] = round(statistics.median(values), 3)
        report["kubeconform_over_dockyard_schemas"] = round(report["kubeconform_s"] / report["dy_schemas_s"], 2)
        report["conftest_over_dockyard_policies"] = round(report["conftest_s"] / report["dy_policies_s"], 2)
        remembered = report["dy_policies_remembered_s"]
        report["conftest_over_dockyard_policies_remembered"] = round(report["conftest_s"] / remembered, 2)
        peers = report["kubeconform_tree_s"] + report["conftest_tree_s"]  # type: ignore[operator]
        report["peers_over_the_tree_s"] = round(peers, 3)
        report["peers_over_dockyard_check_command"] = round(peers / report["dy_check_command_s"], 2)
        print(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
