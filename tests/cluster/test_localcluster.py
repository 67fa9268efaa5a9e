"""The local control plane is real Kubernetes: workloads roll out, namespaces delete, `down` cleans up."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from lightkube import Client
from lightkube.core.exceptions import ApiError
from lightkube.models.apps_v1 import DeploymentSpec
from lightkube.models.core_v1 import Container, PodSpec, PodTemplateSpec
from lightkube.models.meta_v1 import LabelSelector, ObjectMeta
from lightkube.resources.apps_v1 import Deployment, ReplicaSet
from lightkube.resources.core_v1 import ConfigMap, Namespace, Node, Pod

from dockyard.localcluster import components, control_plane, processes
from dockyard.localcluster.layout import Layout, State
from dockyard.tools import versions
from tests.helpers import run_cli


def eventually(check: Callable[[], object], timeout: float = 60.0) -> object:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"not true after {timeout}s: {check.__doc__ or check}; last value {last!r}")


def test_reports_the_pinned_kubernetes_version(local_cluster: control_plane.Running, api: Client) -> None:
    kubeconfig = readiness_context(local_cluster)
    response = httpx.get(f"{local_cluster.server}/version", verify=kubeconfig, timeout=5)
    assert response.json()["gitVersion"] == f"v{versions.KUBERNETES}"


def readiness_context(running: control_plane.Running):
    import ssl

    pki = Path(running.kubeconfig).parent / "pki"
    context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    context.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
    return context


def test_nodes_are_kwok_nodes_and_ready(api: Client) -> None:
    nodes = {n.metadata.name: n for n in api.list(Node)}
    assert sorted(nodes) == ["pytest-node-0", "pytest-node-1"]
    for node in nodes.values():
        assert node.metadata.annotations["kwok.x-k8s.io/node"] == "fake"
        assert any(c.type == "Ready" and c.status == "True" for c in node.status.conditions)


def test_a_deployment_gets_its_replicaset_and_running_ready_pods(api: Client, namespace: str) -> None:
    labels = {"app": "web"}
    api.create(
        Deployment(
            metadata=ObjectMeta(name="web", namespace=namespace),
            spec=DeploymentSpec(
                replicas=3,
                selector=LabelSelector(matchLabels=labels),
                template=PodTemplateSpec(
                    metadata=ObjectMeta(labels=labels),
                    spec=PodSpec(containers=[Container(name="web", image="registry.example/web:1.0")]),
                ),
            ),
        )
    )

    def rolled_out() -> bool:
        """the Deployment reports 3 available replicas"""
        status = api.get(Deployment, "web", namespace=namespace).status
        return bool(status and status.availableReplicas == 3 and status.readyReplicas == 3)

    eventually(rolled_out)
    replica_sets = list(api.list(ReplicaSet, namespace=namespace))
    assert len(replica_sets) == 1
    assert replica_sets[0].metadata.ownerReferences[0].name == "web"
    pods = list(api.list(Pod, namespace=namespace))
    assert len(pods) == 3
    for pod in pods:
        assert pod.status.phase == "Running"
        assert pod.spec.nodeName in ("pytest-node-0", "pytest-node-1")
        assert any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions)


def test_deleting_a_namespace_completes(api: Client) -> None:
    name = "t-delete-me"
    api.create(Namespace(metadata=ObjectMeta(name=name)))
    api.create(ConfigMap(metadata=ObjectMeta(name="settings", namespace=name), data={"a": "1"}))
    api.create(
        Pod(
            metadata=ObjectMeta(name="one", namespace=name),
            spec=PodSpec(containers=[Container(name="c", image="registry.example/c:1")]),
        )
    )
    eventually(lambda: api.get(Pod, "one", namespace=name).status.phase == "Running")
    api.delete(Namespace, name)

    def gone() -> bool:
        """the namespace no longer exists"""
        try:
            api.get(Namespace, name)
        except ApiError as error:
            return error.status.code == 404
        return False

    eventually(gone, timeout=90)
    with pytest.raises(ApiError):
        api.get(ConfigMap, "settings", namespace=name)


def test_up_on_a_running_cluster_is_a_no_op(local_cluster: control_plane.Running) -> None:
    again = control_plane.up(local_cluster.name, 2, die_with_parent=True, user_kubeconfig=False)
    assert again.already_running
    assert [p.pid for p in again.processes] == [p.pid for p in local_cluster.processes]


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_up_status_down_restart_and_purge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("DOCKYARD_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    try:
        _cycle(tmp_path, capsys)
    finally:
        if Layout("cycle").root.exists():
            control_plane.down("cycle", purge=True)  # never leave processes behind, also when an assertion fails


def _cycle(tmp_path: Path, capsys) -> None:
    started = run_cli(capsys, "up", "--name", "cycle")
    assert started.code == 0, started.err
    assert started.out.startswith("cluster cycle is up (")
    state = State.load(Layout("cycle"))
    assert state is not None
    pids = [p.pid for p in state.processes]
    assert [p.name for p in state.processes] == [
        "etcd",
        "kube-apiserver",
        "kwok",
        "kube-controller-manager",
        "kube-scheduler",
    ]
    assert "dockyard-cycle" in (tmp_path / "kubeconfig").read_text()

    shown = run_cli(capsys, "status", "--name", "cycle")
    assert shown.out.splitlines()[0] == "cluster cycle: running"
    assert f"kubernetes {versions.KUBERNETES}" in shown.out

    stopped = run_cli(capsys, "down", "--name", "cycle")
    assert stopped.out.splitlines()[0] == (
        "cluster cycle: stopped kube-scheduler, kube-controller-manager, kwok, kube-apiserver, etcd"
    )
    assert not any(os.path.exists(f"/proc/{pid}") and processes._state(pid) not in ("Z", None) for pid in pids)
    assert not any(_port_open(port) for port in state.ports.values())
    assert run_cli(capsys, "status", "--name", "cycle").out.splitlines()[0] == "cluster cycle: stopped"

    restarted = run_cli(capsys, "up", "--name", "cycle")
    assert restarted.code == 0, restarted.err
    run_cli(capsys, "down", "--name", "cycle", "--purge")
    assert not Layout("cycle").root.exists()
    assert "dockyard-cycle" not in (tmp_path / "kubeconfig").read_text()


def test_a_component_that_fails_to_start_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKYARD_HOME", str(tmp_path / "home"))
    real = components.scheduler
    monkeypatch.setattr(components, "scheduler", lambda *args: [*real(*args), "--no-such-flag"])
    with pytest.raises(control_plane.LocalClusterError) as failure:
        control_plane.up("broken", die_with_parent=True, user_kubeconfig=False, timeout=30)
    assert "kube-scheduler exited" in str(failure.value)
    state = State.load(Layout("broken"))
    assert state is not None and state.processes == []
    for name in ("etcd", "kube-apiserver", "kwok", "kube-controller-manager"):
        log = Layout("broken").log(name)
        assert log.exists()
    assert not any(_port_open(port) for port in state.ports.values())


def test_down_of_an_unknown_cluster_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("DOCKYARD_HOME", str(tmp_path / "home"))
    result = run_cli(capsys, "down", "--name", "nope")
    assert result.code == 1
    assert result.err == "error: no local cluster named `nope`; clusters: none\n"


def test_up_with_a_profile_installs_the_platform_and_a_second_up_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from dockyard.cli.local_platform import platform_dir

    monkeypatch.setenv("DOCKYARD_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    try:
        first = run_cli(capsys, "up", "--name", "prof", "--profile", "dev-fast", "--with-example")
        assert first.code == 0, first.err
        assert "the platform and the example's services (dev-fast): 104 written, 0 pruned, 4 tasks run" in first.out
        assert (platform_dir("prof") / "services" / "orders" / "score.yaml").is_file()
        assert "    http://api.shop.localtest.me/orders  shop/orders-public\n" in first.out
        assert f"  console: dockyard console {platform_dir('prof')} -c prof --dev-login\n" in first.out
        again = run_cli(capsys, "up", "--name", "prof", "--profile", "dev-fast", "--with-example")
        assert "the platform and the example's services (dev-fast): 0 written, 0 pruned, 4 tasks run" in again.out
        platform_only = run_cli(capsys, "up", "--name", "prof", "--profile", "dev-fast")
        assert "the platform (dev-fast): 1 written, 25 pruned, 0 tasks run" in platform_only.out  # and the inventory
        refused = run_cli(capsys, "up", "--name", "prof", "--profile", "tiny")
        assert (refused.code, refused.err.strip()) == (
            2,
            "error: --profile must be one of dev-fast, full, complete, not `tiny`",
        )
    finally:
        if Layout("prof").root.exists():
            run_cli(capsys, "down", "--name", "prof", "--purge")
    assert not platform_dir("prof").exists()
