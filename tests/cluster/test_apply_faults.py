"""Faults injected into `dockyard apply` through the real API server: its admission refuses a write
after the dry run of the same object passed, so the apply stops between two writes; and, through a
proxy in front of it (fault_proxy.py), a write is done but its answer lost, a write is answered 503
with Retry-After (both tried again), or a write is answered 500 (the apply stops). Nothing is
pruned after a failed or partial apply, the error says what failed, and once the fault is gone
the next apply converges: what the failed apply created is known, and pruned when it is removed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lightkube import Client
from lightkube.resources.apps_v1 import Deployment

from dockyard.localcluster import control_plane
from tests.cluster.admission import denied_writes
from tests.cluster.commands import dockyard
from tests.cluster.fault_proxy import Fault, FaultProxy
from tests.helpers import Result, replace, run_cli


def _deployments(api: Client, namespace: str) -> dict[str, str]:
    """Name -> the MODE variable of its container."""
    found = {}
    for deployment in api.list(Deployment, namespace=namespace):
        env = deployment.spec.template.spec.containers[0].env or []
        found[deployment.metadata.name] = next((e.value for e in env if e.name == "MODE"), "")
    return found


def test_a_write_refused_mid_apply_prunes_nothing_and_the_next_apply_converges(
    repo: Path,
    local_cluster: control_plane.Running,
    api: Client,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes").code == 0
    # the next commit: api changes, a new service `extra` comes, `client` goes
    replace(repo, "services/api/score.yaml", "MODE: normal", "MODE: changed")
    shutil.copytree(repo / "services" / "client", repo / "services" / "extra")
    replace(repo, "services/extra/score.yaml", "name: client", "name: extra")
    shutil.rmtree(repo / "services" / "client")
    policy = f"freeze-{repo.name}"
    with denied_writes(api, policy, repo.name, ["api"], "frozen by the change board"):
        failed = dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes", "--timeout", "60")
    assert failed.code == 1, failed.out + failed.err
    assert failed.err.splitlines() == [
        "applying 5 of 7 stage services",
        "error: applying failed:",
        f'Deployment.apps {repo.name}/api (from services/api/score.yaml): deployments.apps "api" is forbidden: '
        f"ValidatingAdmissionPolicy '{policy}' with binding '{policy}' denied request: frozen by the change board",
    ]
    live = _deployments(api, repo.name)
    assert live == {"api": "normal", "client": "", "extra": ""}  # client not pruned; extra written

    # the fault is gone, and `extra` too, before any apply succeeded: what the failed apply created
    # is still Dockyard's, and pruned with `client`
    shutil.rmtree(repo / "services" / "extra")
    args = ("apply", str(repo), "-c", "local", "--yes", "--timeout", "60", "--allow-mass-prune")  # 3 + 3 objects
    again = dockyard(capsys, local_cluster, *args)
    assert again.code == 0, again.err
    assert again.out.splitlines()[-1] == "applied: 2 written, 6 pruned, 5 unchanged, 0 tasks run"
    assert _deployments(api, repo.name) == {"api": "changed"}


def _next_commit(repo: Path) -> None:
    """api changes, a new service `extra` comes, `client` goes."""
    replace(repo, "services/api/score.yaml", "MODE: normal", "MODE: changed")
    shutil.copytree(repo / "services" / "client", repo / "services" / "extra")
    replace(repo, "services/extra/score.yaml", "name: client", "name: extra")
    shutil.rmtree(repo / "services" / "client")


def _writes_of_api(method: str, path: str) -> bool:
    return method == "PATCH" and "/deployments/api?" in path and "dryRun" not in path


FAULTED_APPLY = ("-c", "local", "--yes", "--timeout", "60", "--allow-mass-prune")


def _applied_then_changed(repo: Path, cluster: control_plane.Running, capsys: pytest.CaptureFixture[str]) -> None:
    assert dockyard(capsys, cluster, "apply", str(repo), "-c", "local", "--yes").code == 0
    _next_commit(repo)


def _apply_through(proxy: FaultProxy, repo: Path, capsys: pytest.CaptureFixture[str]) -> Result:
    with proxy.running():
        return run_cli(
            capsys,
            "apply",
            str(repo),
            *FAULTED_APPLY,
            "--kubeconfig",
            str(proxy.kubeconfig),
            "--context",
            proxy.context,
        )


def test_a_write_whose_answer_is_lost_and_a_503_asking_to_retry_are_retried_and_the_apply_converges(
    repo: Path,
    local_cluster: control_plane.Running,
    api: Client,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    _applied_then_changed(repo, local_cluster, capsys)
    proxy = FaultProxy(local_cluster, tmp_path)
    # the first write is done by the API server but its answer never comes back (the client gives up
    # and sends it again: a server-side apply is the same write twice); the second is refused with 503
    faults = iter([Fault(silence=15.0, lost=True), Fault(status=503, retry_after=1)])
    proxy.rule = lambda method, path: next(faults, None) if _writes_of_api(method, path) else None
    applied = _apply_through(proxy, repo, capsys)
    assert applied.code == 0, applied.err
    assert [(fault.status, fault.silence) for _method, _path, fault in proxy.faults] == [(0, 15.0), (503, 0.0)]
    assert _deployments(api, repo.name) == {"api": "changed", "extra": ""}


def test_a_write_failing_with_a_5xx_prunes_nothing_and_the_next_apply_converges(
    repo: Path,
    local_cluster: control_plane.Running,
    api: Client,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    _applied_then_changed(repo, local_cluster, capsys)
    proxy = FaultProxy(local_cluster, tmp_path)
    proxy.rule = lambda method, path: Fault(status=500) if _writes_of_api(method, path) else None
    failed = _apply_through(proxy, repo, capsys)
    assert failed.code == 1, failed.out + failed.err
    assert failed.err.splitlines()[-2:] == [
        "error: applying failed:",
        f"Deployment.apps {repo.name}/api (from services/api/score.yaml): 500: injected fault: 500 InternalError",
    ]
    assert len(proxy.faults) == 1  # a 500 without Retry-After is not tried again
    assert _deployments(api, repo.name) == {"api": "normal", "client": "", "extra": ""}  # nothing pruned

    again = dockyard(capsys, local_cluster, "apply", str(repo), *FAULTED_APPLY)
    assert again.code == 0, again.err
    assert again.out.splitlines()[-1] == "applied: 1 written, 3 pruned, 9 unchanged, 0 tasks run"
    assert _deployments(api, repo.name) == {"api": "changed", "extra": ""}
