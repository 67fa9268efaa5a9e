"""Is the local control plane really usable? Health endpoints, then the API itself.

`wait_for` polls a check until it passes or a deadline; each check returns None when
satisfied, or a sentence saying what is still missing (shown if the wait times out).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import httpx2
from lightkube import Client, KubeConfig
from lightkube.core.exceptions import ApiError
from lightkube.models.core_v1 import Container, NodeSpec, NodeStatus, PodSpec
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.coordination_v1 import Lease
from lightkube.resources.core_v1 import Node, Pod, ServiceAccount

from dockyard.errors import DockyardError
from dockyard.localcluster.pki import Pki

Check = Callable[[], str | None]


class NotReady(DockyardError):
    """The local control plane did not become usable in time."""


def wait_for(what: str, check: Check, timeout: float, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    missing = "not checked yet"
    while time.monotonic() < deadline:
        try:
            missing = check() or ""
        except (httpx.HTTPError, httpx2.HTTPError, ApiError, OSError) as error:  # lightkube's client is httpx2
            missing = f"{type(error).__name__}: {error}"
        if not missing:
            return
        time.sleep(interval)
    raise NotReady(f"{what} not ready after {timeout:.0f}s: {missing}")


def http_ok(url: str, *, pki: Pki | None = None, client: str = "admin") -> Check:
    """200 from `url`; with `pki`, verify the server and authenticate as `client`."""
    if pki is not None:
        context = ssl.create_default_context(cafile=str(pki.ca_cert))
        context.load_cert_chain(str(pki.client_cert(client)), str(pki.client_key(client)))
        verify: ssl.SSLContext | bool = context
    else:
        verify = False  # component health endpoints on loopback serve self-signed certificates

    def check() -> str | None:
        response = httpx.get(url, verify=verify, timeout=2.0)
        return None if response.status_code == 200 else f"{url} answered {response.status_code}"

    return check


def client(kubeconfig: Path) -> Client:
    return Client(config=KubeConfig.from_file(str(kubeconfig)), field_manager="dockyard", trust_env=False)


def default_service_account(api: Client) -> Check:
    def check() -> str | None:
        try:
            api.get(ServiceAccount, "default", namespace="default")
        except ApiError as error:
            if error.status.code == 404:
                return "the default ServiceAccount does not exist yet"
            raise
        return None

    return check


def node_names(cluster: str, count: int) -> list[str]:
    return [f"{cluster}-node-{index}" for index in range(count)]


def register_nodes(api: Client, names: list[str]) -> None:
    """Create fake nodes for KWOK to manage (it marks them Ready and runs their pods)."""
    existing = {n.metadata.name for n in api.list(Node) if n.metadata}
    for name in names:
        if name in existing:
            continue
        capacity = {"cpu": "32", "memory": "256Gi", "pods": "110", "ephemeral-storage": "1Ti"}
        api.create(
            Node(
                metadata=ObjectMeta(
                    name=name,
                    annotations={"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
                    labels={
                        "type": "kwok",
                        "kubernetes.io/hostname": name,
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64",
                        "node-role.kubernetes.io/agent": "",
                    },
                ),
                spec=NodeSpec(),
                status=NodeStatus(capacity=capacity, allocatable=capacity),
            )
        )


def release_node_leases(api: Client) -> None:
    """Delete node leases left by a previous KWOK, so the new one need not wait for them to expire."""
    for lease in api.list(Lease, namespace="kube-node-lease"):
        if lease.metadata and lease.metadata.name:
            api.delete(Lease, lease.metadata.name, namespace="kube-node-lease")


def nodes_ready(api: Client, names: list[str]) -> Check:
    def check() -> str | None:
        ready = set()
        for node in api.list(Node):
            conditions = node.status.conditions or [] if node.status else []
            if node.metadata and any(c.type == "Ready" and c.status == "True" for c in conditions):
                ready.add(node.metadata.name)
        missing = sorted(set(names) - ready)
        return f"nodes not Ready: {', '.join(missing)}" if missing else None

    return check


SMOKE_POD = "dockyard-smoke-test"


def smoke_pod_runs(api: Client) -> Check:
    """A pod is admitted, scheduled onto a node and reported Running."""
    try:
        api.delete(Pod, SMOKE_POD, namespace="default", grace_period=0)
    except ApiError as error:
        if error.status.code != 404:
            raise
    pod = Pod(
        metadata=ObjectMeta(name=SMOKE_POD, namespace="default"),
        spec=PodSpec(containers=[Container(name="pause", image="registry.k8s.io/pause:3.10")]),
    )
    created = False

    def check() -> str | None:
        nonlocal created
        if not created:
            try:
                api.create(pod)
            except ApiError as error:
                if error.status.code != 409:
                    raise
                return "the previous smoke test pod is still being deleted"
            created = True
        current = api.get(Pod, SMOKE_POD, namespace="default")
        phase = current.status.phase if current.status else None
        if phase != "Running":
            node = current.spec.nodeName if current.spec else None
            return f"smoke test pod is {phase or 'new'}" + (f" on {node}" if node else " (not scheduled)")
        api.delete(Pod, SMOKE_POD, namespace="default", grace_period=0)
        return None

    return check
