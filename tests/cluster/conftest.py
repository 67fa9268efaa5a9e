"""The cluster test harness: one real local control plane per test session.

Every test here runs on the same pytest-xdist worker (group "cluster"), against Kubernetes'
own binaries started by `dockyard up`. If the binaries cannot be built, these tests fail
with the build error; they never skip. The processes die with the test session, also when
it crashes (the kernel kills them), and are stopped and deleted at its end.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from lightkube import Client
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Namespace

from dockyard.localcluster import control_plane, readiness

CLUSTER = "pytest"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.cluster)
            item.add_marker(pytest.mark.xdist_group("cluster"))


@pytest.fixture(scope="session")
def cluster_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dockyard-home")


@pytest.fixture(scope="session")
def local_cluster(cluster_home: Path) -> Iterator[control_plane.Running]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DOCKYARD_HOME", str(cluster_home))
        running = control_plane.up(CLUSTER, 2, die_with_parent=True, user_kubeconfig=False)
        try:
            yield running
        finally:
            control_plane.down(CLUSTER, purge=True)


@pytest.fixture
def api(local_cluster: control_plane.Running) -> Client:
    return readiness.client(local_cluster.kubeconfig)


@pytest.fixture
def namespace(api: Client) -> Iterator[str]:
    """A fresh namespace for one test, deleted afterwards."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    api.create(Namespace(metadata=ObjectMeta(name=name, labels={"dockyard.dev/test": "true"})))
    yield name
    api.delete(Namespace, name)
