"""The deploy engine against the real API server: plan, apply, no-op, change, prune, refusals."""

from __future__ import annotations

import contextlib
import shutil
import time
from pathlib import Path

import pytest
import yaml
from lightkube import Client
from lightkube.core.exceptions import ApiError
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import ConfigMap
from lightkube.types import PatchType

from dockyard.localcluster import control_plane
from tests.cluster.commands import dockyard, requests_during, writes_during
from tests.helpers import Result, replace, run_cli


def test_first_apply_then_a_no_op_that_writes_nothing(
    repo: Path, local_cluster: control_plane.Running, api: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    first = dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes")
    assert first.code == 0, first.err
    assert first.out.splitlines()[-1] == "applied: 10 written, 0 pruned, 0 unchanged, 0 tasks run"
    deployment = api.get(Deployment, "api", namespace=repo.name)
    assert deployment.status.availableReplicas == 2
    assert deployment.metadata.annotations["dockyard.dev/source"] == "services/api/score.yaml"

    plan = dockyard(capsys, local_cluster, "plan", str(repo), "-c", "local")
    assert (plan.code, plan.out.splitlines()[-1]) == (0, "plan: +0 ~0 -0 (10 unchanged)")

    writes = writes_during(
        local_cluster, lambda: dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes")
    )
    assert writes == []


def test_a_no_op_plan_reads_by_list_and_still_finds_drift(
    repo: Path, local_cluster: control_plane.Running, api: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    """After an apply the plan lists each kind once per namespace and dry-runs nothing: every object
    is as the apply left it. A live change (drift) is still planned: that object alone is dry-run."""
    assert dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes").code == 0
    result: dict = {}
    seen = requests_during(
        local_cluster, lambda: result.update(r=dockyard(capsys, local_cluster, "plan", str(repo), "-c", "local"))
    )
    assert result["r"].out.splitlines()[-1] == "plan: +0 ~0 -0 (10 unchanged)"
    assert [e["requestURI"] for e in seen if "dryRun" in e["requestURI"]] == []
    assert [e["requestURI"] for e in seen if "objectRef" not in e] == ["/apis"]  # the kinds: one discovery
    reads = [e for e in seen if e["verb"] == "get" and e.get("objectRef", {}).get("name")]
    assert {(e["objectRef"]["resource"], e["objectRef"].get("namespace")) for e in reads} == {
        ("configmaps", "dockyard-system")  # the inventory, and no object of the render one by one
    }
    lists = [e for e in seen if e["verb"] == "list"]
    kinds = {(e["objectRef"]["resource"], e["objectRef"].get("namespace")) for e in lists}
    assert len(lists) == len(kinds)  # each kind once per namespace
    assert ("customresourcedefinitions", None) not in kinds  # megabytes of schemas, not read

    api.patch(
        Deployment,
        "api",
        {"metadata": {"annotations": {"dockyard.dev/source": None}}},
        namespace=repo.name,
        patch_type=PatchType.MERGE,
    )
    seen = requests_during(
        local_cluster, lambda: result.update(r=dockyard(capsys, local_cluster, "plan", str(repo), "-c", "local"))
    )
    assert result["r"].out.splitlines()[-1] == "plan: +0 ~1 -0 (9 unchanged)"
    assert f"~ Deployment.apps {repo.name}/api" in result["r"].out
    assert [e["objectRef"]["name"] for e in seen if "dryRun" in e["requestURI"]] == ["api"]


def test_a_change_patches_only_what_changed(
    repo: Path, local_cluster: control_plane.Running, api: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    assert dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes").code == 0
    replace(repo, "services/api/score.yaml", "MODE: normal", "MODE: fast")
    plan = dockyard(capsys, local_cluster, "plan", str(repo), "-c", "local", "--detailed-exitcode")
    assert plan.code == 2
    assert dockyard(capsys, local_cluster, "plan", str(repo), "-c", "local").code == 0  # changes are no failure
    assert f"~ Deployment.apps {repo.name}/api" in plan.out
    assert "-          value: normal\n+          value: fast" in plan.out
    assert plan.out.splitlines()[-1] == "plan: +0 ~1 -0 (9 unchanged)"
    writes = writes_during(
        local_cluster, lambda: dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes")
    )
    assert [(w["verb"], w["objectRef"]["resource"], w["objectRef"]["name"]) for w in writes] == [
        ("patch", "deployments", "api"),
        ("patch", "configmaps", f"{repo.name}-local"),  # the inventory records what was applied
    ]


def test_a_removed_service_is_pruned(
    repo: Path, local_cluster: control_plane.Running, api: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    assert dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes").code == 0
    shutil.rmtree(repo / "services" / "client")
    result = dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes", "--timeout", "60")
    assert result.code == 0, result.err
    assert f"- Deployment.apps {repo.name}/client" in result.out
    assert result.out.splitlines()[-1] == "applied: 1 written, 3 pruned, 6 unchanged, 0 tasks run"
    with pytest.raises(Exception):  # noqa: B017 - lightkube's ApiError 404
        api.get(Deployment, "client", namespace=repo.name)
    inventory = api.get(ConfigMap, f"{repo.name}-local", namespace="dockyard-system")
    assert "client" not in inventory.data["objects"].replace("client-", "")


def test_an_empty_render_prunes_nothing(
    repo: Path, local_cluster: control_plane.Running, api: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    assert dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes").code == 0
    shutil.rmtree(repo / "services")
    result = dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes")
    assert result.code == 1
    assert result.err.startswith("error: the render is empty; refusing to prune all 10 objects")
    assert api.get(Deployment, "api", namespace=repo.name).metadata.name == "api"


BAD_CONFIGMAP = """apiVersion: dockyard.dev/v1alpha1
kind: Provisioner
description: renders an object the API server refuses
manifests:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: "${service}-${id}"}
    data: {"not a valid key!": "x"}
"""


def test_a_failed_dry_run_writes_nothing(
    repo: Path, local_cluster: control_plane.Running, capsys: pytest.CaptureFixture[str]
) -> None:
    assert dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes").code == 0
    replace(repo, "services/api/score.yaml", "MODE: normal", "MODE: changed")
    (repo / "provisioners").mkdir()
    (repo / "provisioners" / "bad.yaml").write_text(BAD_CONFIGMAP)
    replace(repo, "services/client/score.yaml", "resources:\n", "resources:\n  settings:\n    type: bad\n")
    outcome: dict[str, Result] = {}
    writes = writes_during(
        local_cluster,
        lambda: outcome.setdefault(
            "r", dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes", "--timeout", "20")
        ),
    )
    assert outcome["r"].code == 1
    assert outcome["r"].err.splitlines()[:2] == [
        "error: the dry run failed; nothing was written:",
        f"ConfigMap {repo.name}/client-settings (from services/client/score.yaml): "
        'ConfigMap "client-settings" is invalid: data[not a valid key!]: Invalid value: "not a valid key!": '
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
        "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    ]
    assert writes == []


def test_a_stage_that_never_becomes_healthy_fails_with_reasons(
    repo: Path, local_cluster: control_plane.Running, api: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    replace(
        repo,
        "services/api/score.yaml",
        "    variables:",
        '    resources:\n      requests: {cpu: "500"}\n    variables:',
    )
    result = dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes", "--timeout", "3")
    assert result.code == 1
    assert "error: stage services did not become healthy within 3s:" in result.err
    assert f"Deployment.apps {repo.name}/api (from services/api/score.yaml): progressing: " in result.err
    # the first apply failed, and what it created is still Dockyard's: recorded, to prune when removed
    recorded = api.get(ConfigMap, f"{repo.name}-local", namespace="dockyard-system").data["objects"]
    assert f"{repo.name}_api_apps_Deployment apps/v1" in recorded.splitlines()
    assert f"_{repo.name}__Namespace v1" in recorded.splitlines()


WORKER = """apiVersion: dockyard.dev/v1alpha1
kind: Provisioner
description: a helper Deployment whose selector comes from a param
params:
  app: the selector's app label
manifests:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: "${service}-${id}"}
    spec:
      replicas: 1
      selector: {matchLabels: {app: "${params.app}"}}
      template:
        metadata: {labels: {app: "${params.app}"}}
        spec:
          automountServiceAccountToken: false
          containers: [{name: main, image: registry.example.org/helper:1}]
"""


def _add_resource(repo: Path, type_: str, text: str, params: str = "") -> None:
    (repo / "provisioners").mkdir(exist_ok=True)
    (repo / "provisioners" / f"{type_}.yaml").write_text(text)
    replace(repo, "services/client/score.yaml", "resources:\n", f"resources:\n  extra:\n    type: {type_}\n{params}")


def test_an_immutable_change_is_explained_and_recreated_only_when_asked(
    repo: Path, local_cluster: control_plane.Running, api: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_resource(repo, "worker", WORKER, "    params: {app: one}\n")
    with (repo / "platform.yaml").open("a") as platform:  # the helper Deployment is minimal on purpose
        platform.write("checks:\n  severity: {resources: off, probes: off, security: off}\n")
    assert dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes", "--timeout", "60").code == 0
    replace(repo, "services/client/score.yaml", "params: {app: one}", "params: {app: two}")
    refused = dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes")
    assert refused.code == 1
    assert f"Deployment.apps {repo.name}/client-extra (from services/client/score.yaml):" in refused.err
    assert "field is immutable" in refused.err
    assert (
        f"hint: this field cannot change in place; if deleting and creating the object is acceptable, rerun "
        f"with --recreate deployment/{repo.name}/client-extra" in refused.err
    )
    before = api.get(Deployment, "client-extra", namespace=repo.name).metadata.uid
    recreated = dockyard(
        capsys,
        local_cluster,
        "apply",
        str(repo),
        "-c",
        "local",
        "--yes",
        "--timeout",
        "60",
        "--recreate",
        f"deployment/{repo.name}/client-extra",
    )
    assert recreated.code == 0, recreated.err
    assert f"± Deployment.apps {repo.name}/client-extra" in recreated.out
    after = api.get(Deployment, "client-extra", namespace=repo.name)
    assert after.metadata.uid != before
    assert after.spec.selector.matchLabels == {"app": "two"}


SETTINGS = """apiVersion: dockyard.dev/v1alpha1
kind: Provisioner
description: a ConfigMap with a value
manifests:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: "${service}-${id}"}
    data: {mode: "dockyard"}
"""


def test_a_field_owned_by_another_manager_is_reported_and_taken_over_only_when_asked(
    repo: Path, local_cluster: control_plane.Running, api: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    from lightkube.models.meta_v1 import ObjectMeta

    assert dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes", "--timeout", "60").code == 0
    theirs = ConfigMap(metadata=ObjectMeta(name="client-extra", namespace=repo.name), data={"mode": "theirs"})
    api.apply(theirs, field_manager="someone-else")
    _add_resource(repo, "settings", SETTINGS)
    result = dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes")
    assert result.code == 1
    assert (
        f"ConfigMap {repo.name}/client-extra (from services/client/score.yaml): Apply failed with 1 conflict: "
        'conflict with "someone-else"' in result.err
    )
    assert (
        "hint: another field manager owns these fields; Dockyard does not take them over silently "
        "(--force-conflicts takes them)" in result.err
    )
    assert api.get(ConfigMap, "client-extra", namespace=repo.name).data == {"mode": "theirs"}
    taken = dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes", "--force-conflicts")
    assert taken.code == 0, taken.err
    assert api.get(ConfigMap, "client-extra", namespace=repo.name).data == {"mode": "dockyard"}


CANARY = "canary-3f9c1a7e-never-print-me"
SECRET = f"""apiVersion: dockyard.dev/v1alpha1
kind: Provisioner
description: a Secret with a value (a platform repo should not do this; Dockyard must still not leak it)
manifests:
  - apiVersion: v1
    kind: Secret
    metadata: {{name: "${{service}}-${{id}}"}}
    stringData: {{token: "{CANARY}"}}
"""


def test_secret_values_never_appear_in_output_or_logs(
    repo: Path, local_cluster: control_plane.Running, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_resource(repo, "token", SECRET)
    with (repo / "platform.yaml").open("a") as platform:
        platform.write(
            "checks:\n  waivers:\n    - rule: platform\n      object: Secret */client-extra\n"
            "      reason: this test needs a Secret with a value\n      expires: '2099-12-31'\n"
        )
    results = [
        dockyard(capsys, local_cluster, "plan", str(repo), "-c", "local"),
        dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes", "--timeout", "60"),
    ]
    replace(repo, "provisioners/token.yaml", CANARY, CANARY + "-rotated")
    results.append(dockyard(capsys, local_cluster, "plan", str(repo), "-c", "local"))
    assert results[1].code == 0, results[1].err
    assert "token: '<secret: changed>'" in results[2].out
    for result in results:
        assert CANARY not in result.out + result.err
    logs = Path(local_cluster.kubeconfig).parent / "logs"
    for log in logs.iterdir():
        assert CANARY not in log.read_text(errors="replace"), log.name


SELF_REMOVING_JOB = """apiVersion: dockyard.dev/v1alpha1
kind: Provisioner
description: a one-off Job that removes itself once it has run
manifests:
  - apiVersion: batch/v1
    kind: Job
    metadata: {name: "${service}-${id}"}
    spec:
      ttlSecondsAfterFinished: 0
      template:
        spec:
          restartPolicy: Never
          automountServiceAccountToken: false
          securityContext: {runAsNonRoot: true}
          containers:
            - name: main
              image: registry.example.org/migrate:1
              resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 32Mi}}
              securityContext:
                {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
                 capabilities: {drop: [ALL]}}
"""


FAILING_SELF_REMOVING_JOB = SELF_REMOVING_JOB.replace(
    "      template:\n        spec:\n",
    "      activeDeadlineSeconds: 2\n      backoffLimit: 0\n      template:\n        spec:\n"
    "          nodeSelector: {dockyard.dev/no-such-node: 'true'}\n",
)
"""A Job whose pod is never scheduled: the job controller fails it at its deadline, then the TTL
controller removes it at once."""


def test_a_job_that_fails_and_removes_itself_fails_the_apply(
    repo: Path, local_cluster: control_plane.Running, api: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    """Gone is not done: the wait reads how the run ended from the Job while it is there, else
    from the job controller's event (which of the two is a race with the TTL controller)."""
    from lightkube.resources.batch_v1 import Job

    assert FAILING_SELF_REMOVING_JOB != SELF_REMOVING_JOB
    _add_resource(repo, "migration", FAILING_SELF_REMOVING_JOB)
    result = dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes", "--timeout", "120")
    assert result.code == 1, result.out
    assert "error: stage services cannot become healthy: a Job failed (it will not run again):" in result.err
    # seen failed while still there, or read from its events once the TTL controller removed it
    failed = f"Job.batch {repo.name}/client-extra (from services/client/score.yaml): failed: DeadlineExceeded: "
    failed += "Job was active longer than specified deadline"
    assert failed in result.err.splitlines() or f"{failed} (then it removed itself)" in result.err.splitlines()
    with pytest.raises(ApiError):
        api.get(Job, "client-extra", namespace=repo.name)  # it removed itself before the wait could see it fail


def _removing_itself_is_removed_too(
    repo: Path, local_cluster: control_plane.Running, api: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    """The TTL controller deletes in the foreground: for a while the Job is still there, being
    deleted. A plan in that window must not patch it (the patch would create it again once the
    deletion ends), and an apply must not wait for it. A finalizer of the test's own holds the Job
    in that window."""
    from lightkube.resources.batch_v1 import Job

    out = repo.parent / "rendered"
    assert run_cli(capsys, "render", str(repo), "-c", "local", "-o", str(out)).code == 0
    [written] = out.rglob("*client-extra*")
    job = yaml.safe_load(written.read_text())
    job["metadata"]["finalizers"] = ["dockyard.dev/test-hold"]
    api.create(Job.from_dict(job))
    api.delete(Job, "client-extra", namespace=repo.name)
    try:
        plan = dockyard(capsys, local_cluster, "plan", str(repo), "-c", "local")
        assert (plan.code, plan.out.splitlines()[-1:]) == (0, ["plan: +0 ~0 -0 (11 unchanged)"]), plan.err
        replace(repo, "services/api/score.yaml", "MODE: normal", "MODE: held")  # the Job's stage is applied
        applied: dict = {}
        writes = writes_during(
            local_cluster,
            lambda: applied.update(
                r=dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes", "--timeout", "20")
            ),
        )
        assert applied["r"].code == 0, applied["r"].err
        assert [(w["objectRef"]["resource"], w["objectRef"]["name"]) for w in writes] == [
            ("deployments", "api"),
            ("configmaps", f"{repo.name}-local"),  # the inventory records what was applied
        ]
    finally:
        patch = [{"op": "remove", "path": "/metadata/finalizers"}]
        api.patch(Job, "client-extra", patch, namespace=repo.name, patch_type=PatchType.JSON)
    for _ in range(50):
        with contextlib.suppress(ApiError):
            api.get(Job, "client-extra", namespace=repo.name)
            time.sleep(0.1)
            continue
        return
    raise AssertionError("the held Job was never deleted")


def test_a_job_that_removes_itself_is_done_not_missing(
    repo: Path, local_cluster: control_plane.Running, api: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Job runs (KWOK completes its pod), the TTL controller deletes it, and neither the health
    wait nor the next apply reads that as missing."""
    from lightkube.resources.batch_v1 import Job

    _add_resource(repo, "migration", SELF_REMOVING_JOB)
    first = dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes", "--timeout", "60")
    assert first.code == 0, first.err
    with pytest.raises(ApiError):
        api.get(Job, "client-extra", namespace=repo.name)  # it ran and was removed
    plan = dockyard(capsys, local_cluster, "plan", str(repo), "-c", "local")
    assert (plan.code, plan.out.splitlines()[-1]) == (0, "plan: +0 ~0 -0 (11 unchanged)")
    _removing_itself_is_removed_too(repo, local_cluster, api, capsys)
    writes = writes_during(
        local_cluster, lambda: dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes")
    )
    assert writes == []
    replace(repo, "provisioners/migration.yaml", "migrate:1", "migrate:2")  # a new manifest runs again
    again = dockyard(capsys, local_cluster, "plan", str(repo), "-c", "local", "--detailed-exitcode")
    assert (again.code, again.out.splitlines()[-1]) == (2, "plan: +1 ~0 -0 (10 unchanged)")
