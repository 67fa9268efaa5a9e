"""The sync controller as the cluster runs it: installed by `dockyard apply` as the component
`dockyard-controller`, then acting with nothing but its ServiceAccount's token, against the real
API server with RBAC on (the local control plane runs no containers, so the controller's process
runs here with that token, as its pod would)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from lightkube import Client, KubeConfig
from lightkube.core.exceptions import ApiError
from lightkube.generic_resource import get_generic_resource
from lightkube.models.authentication_v1 import TokenRequestSpec
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.autoscaling_v2 import HorizontalPodAutoscaler
from lightkube.resources.coordination_v1 import Lease as LeaseObject
from lightkube.resources.core_v1 import Namespace, Pod, Secret, ServiceAccount
from lightkube.resources.rbac_authorization_v1 import ClusterRole, ClusterRoleBinding

from dockyard import __version__
from dockyard.deploy import client as client_module
from dockyard.deploy.client import Connection
from dockyard.localcluster import control_plane
from dockyard.render.components.controller import LEADER_LABEL, NAME, NAMESPACE
from dockyard.sync.controller import Controller, Settings
from dockyard.sync.lease import Leadership, Lease, leader_label, lease_name
from dockyard.sync.source import GitSource
from tests.cluster.commands import dockyard, plain_platform, platform_name
from tests.helpers import commit_all, replace

AUTOSCALING = "autoscaling: {enabled: true, minReplicas: 2, maxReplicas: 3}\n"
CONTROLLER = """sync:
  controller:
    source: https://git.example.org/plain/platform.git
    image: registry.example.org/dockyard/dockyard
    version: 0.2.0
"""


@pytest.fixture
def origin(tmp_path: Path, api: Client) -> Iterator[Path]:
    root = tmp_path / "origin"
    name = plain_platform(root, "c", CONTROLLER)
    with (root / "services/api/dockyard.yaml").open("a") as settings:
        settings.write(AUTOSCALING)  # the only HorizontalPodAutoscaler: the next commit drops it
    commit_all(root, "the api service scales itself")
    yield root
    for kind, object_name in (
        (ClusterRoleBinding, NAME),
        (ClusterRole, NAME),
        (Namespace, NAMESPACE),
        (Namespace, name),
    ):
        with contextlib.suppress(ApiError):
            api.delete(kind, object_name)
    deadline = time.monotonic() + 60  # the next test installs the controller again: its namespace must be gone
    while time.monotonic() < deadline:
        try:
            api.get(Namespace, NAMESPACE)
        except ApiError:
            break
        time.sleep(0.2)


def _install(
    origin: Path, cluster: control_plane.Running, api: Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Path:
    """`dockyard apply` as an admin (the bootstrap); a kubeconfig with the controller's own token."""
    installed = dockyard(capsys, cluster, "apply", str(origin), "-c", "local", "--yes")
    assert installed.code == 0, installed.err
    return _token_kubeconfig(api, cluster, tmp_path / "controller.kubeconfig")


def _as_a_pod(kubeconfig: Path, cluster: control_plane.Running, where: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a pod of the controller has instead of a kubeconfig: its ServiceAccount's token, CA
    and namespace as files, and the API server's address in KUBERNETES_SERVICE_HOST and _PORT."""
    import base64
    from urllib.parse import urlsplit

    config = yaml.safe_load(kubeconfig.read_text())
    server = config["clusters"][0]["cluster"]
    where.mkdir()
    (where / "token").write_text(config["users"][0]["user"]["token"])
    (where / "ca.crt").write_bytes(base64.b64decode(server["certificate-authority-data"]))
    (where / "namespace").write_text(NAMESPACE)
    address = urlsplit(cluster.server)
    monkeypatch.setattr(client_module, "SERVICE_ACCOUNT", where)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", address.hostname or "")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(address.port))
    monkeypatch.setenv("KUBECONFIG", str(where / "no-kubeconfig"))


def _token_kubeconfig(api: Client, cluster: control_plane.Running, target: Path) -> Path:
    """A kubeconfig with the controller ServiceAccount's token (a TokenRequest, as the kubelet makes one)."""
    token = api.create(
        ServiceAccount.Token(metadata=ObjectMeta(), spec=TokenRequestSpec(audiences=[], expirationSeconds=3600)),
        NAME,
        namespace=NAMESPACE,
    ).status.token
    admin = yaml.safe_load(Path(cluster.kubeconfig).read_text())
    context = next(c for c in admin["contexts"] if c["name"] == cluster.context)
    server = next(c for c in admin["clusters"] if c["name"] == context["context"]["cluster"])
    target.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [server],
                "users": [{"name": NAME, "user": {"token": token}}],
                "contexts": [{"name": "controller", "context": {"cluster": server["name"], "user": NAME}}],
                "current-context": "controller",
            }
        )
    )
    target.chmod(0o600)
    return target


def test_the_installed_controller_syncs_with_only_the_access_its_render_grants(
    origin: Path,
    local_cluster: control_plane.Running,
    api: Client,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = platform_name(origin)
    kubeconfig = _install(origin, local_cluster, api, tmp_path, capsys)
    deployment = api.get(Deployment, NAME, namespace=NAMESPACE)
    assert deployment.spec.replicas == 2
    assert api.get(Secret, "dockyard-webhook", namespace=NAMESPACE).data["secret"]  # made by its lifecycle task
    as_controller = Client(KubeConfig.from_file(kubeconfig))
    with pytest.raises(ApiError) as refused:
        list(as_controller.list(Secret, namespace="kube-system"))
    assert refused.value.status.code == 403  # least privilege: no reading Secrets it does not make
    with pytest.raises(ApiError):
        list(as_controller.list(Pod, namespace=name))

    pods = [p.metadata.name for p in api.list(Pod, namespace=NAMESPACE, labels={"app.kubernetes.io/name": NAME})]
    assert len(pods) == 2
    lines: list[str] = []
    _as_a_pod(kubeconfig, local_cluster, tmp_path / "serviceaccount", monkeypatch)  # no kubeconfig from here on
    settings = Settings("local", interval=0.5, timeout=60)
    controller = Controller(GitSource(str(origin), "main", tmp_path / "sync-cache"), settings, lines.append)
    connection = Connection(None, None)
    lease = Lease(connection, lease_name(str(origin), "main", "local"), pods[0], duration=3.0, namespace=NAMESPACE)
    leadership = Leadership(lease, lines.append, leader_label(connection, pods[0], NAMESPACE))
    replace(origin, "services/api/score.yaml", "MODE: normal", "MODE: in-cluster")
    replace(origin, "services/api/dockyard.yaml", AUTOSCALING, "")
    sha = commit_all(origin, "changed by a commit the controller applies")
    stop, wake = threading.Event(), threading.Event()
    loop = threading.Thread(target=controller.run, args=(stop, wake, leadership), daemon=True)
    loop.start()
    try:
        deadline = time.monotonic() + 90
        while controller.state.applied != sha and time.monotonic() < deadline:
            time.sleep(0.2)
        assert controller.state.applied == sha, "\n".join(lines)
        env = {e.name: e.value for e in api.get(Deployment, "api", namespace=name).spec.template.spec.containers[0].env}
        assert env["MODE"] == "in-cluster"
        assert api.get(Pod, pods[0], namespace=NAMESPACE).metadata.labels[LEADER_LABEL] == "true"
        assert api.get(LeaseObject, lease.name, namespace=NAMESPACE).spec.holderIdentity == pods[0]
        kind = get_generic_resource("dockyard.dev/v1alpha1", "Platform")
        assert kind is not None
        status = api.get(kind, f"{name}-local").to_dict()["status"]
        assert status["lastAppliedRevision"] == sha
        # the role follows the render: the controller may no longer delete the autoscaler it no
        # longer renders, so it is left (reported, kept in the inventory), and the revision applies
        assert api.get(HorizontalPodAutoscaler, "api", namespace=name)
        assert "1 left (no longer rendered; this controller may not delete them)" in controller.state.history[0].message
        left = [line for line in lines if line.startswith("left 1 objects")]
        assert left and f"HorizontalPodAutoscaler.autoscaling {name}/api;" in left[0], "\n".join(lines)
        time.sleep(4)  # longer than the Lease: it is renewed with the Role's verbs alone
        assert leadership.leading.is_set() and not leadership.lost.is_set(), "\n".join(lines)
    finally:
        stop.set()
        wake.set()
        loop.join(30)
        leadership.step_down(release=True)
    assert LEADER_LABEL not in (api.get(Pod, pods[0], namespace=NAMESPACE).metadata.labels or {})


def test_a_commit_for_another_release_moves_the_controller_to_the_release_it_pins(
    origin: Path,
    local_cluster: control_plane.Running,
    api: Client,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    kubeconfig = _install(origin, local_cluster, api, tmp_path, capsys)
    lines: list[str] = []
    settings = Settings("local", kubeconfig=kubeconfig, context="controller", timeout=60, own_namespace=NAMESPACE)
    controller = Controller(GitSource(str(origin), "main", tmp_path / "sync-cache"), settings, lines.append)
    replace(origin, "platform.yaml", 'dockyard: ">=0.2,<0.3"', 'dockyard: ">=0.3,<0.4"')
    unpinned = commit_all(origin, "the repo moves to Dockyard 0.3; the controller's release (0.2.0) is outside it")
    attempt = controller.cycle()
    assert attempt is not None and attempt.result.value == "failed", "\n".join(lines)
    assert "this repo is written for Dockyard >=0.3,<0.4; this is Dockyard" in attempt.message
    assert attempt.revision == unpinned
    image = api.get(Deployment, NAME, namespace=NAMESPACE).spec.template.spec.containers[0].image
    assert image == "registry.example.org/dockyard/dockyard:0.2.0"  # nothing changed

    replace(origin, "platform.yaml", "    version: 0.2.0\n", "    version: 0.3.1\n")
    pinned = commit_all(origin, "and pins the controller's release")
    attempt = controller.cycle()
    assert attempt is not None and attempt.result.value == "handed-over", "\n".join(lines)
    assert attempt.message == (
        f"the repo is for Dockyard >=0.3,<0.4; this is {__version__}: "
        "handed over to registry.example.org/dockyard/dockyard:0.3.1"
    )
    deployment = api.get(Deployment, NAME, namespace=NAMESPACE)
    assert deployment.spec.template.spec.containers[0].image == "registry.example.org/dockyard/dockyard:0.3.1"
    assert deployment.spec.template.spec.containers[0].args[:2] == ["sync", "run"]  # only the image changed
    kind = get_generic_resource("dockyard.dev/v1alpha1", "Platform")
    assert kind is not None
    name = platform_name(origin)
    status = api.get(kind, f"{name}-local").to_dict()["status"]
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "HandedOver")
    assert status["lastAttemptedRevision"] == pinned and status.get("lastAppliedRevision") != pinned
