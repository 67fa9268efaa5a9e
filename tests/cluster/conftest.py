"""The cluster test harness: one real local control plane per test session.

Every test here runs on the same pytest-xdist worker (group "cluster"), against Kubernetes'
own binaries started by `dockyard up`. If the binaries cannot be built, these tests fail
with the build error; they never skip. The processes die with the test session, also when
it crashes (the kernel kills them), and are stopped and deleted at its end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from lightkube import Client
from lightkube.core.exceptions import ApiError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Namespace

from dockyard.deploy import tasks
from dockyard.deploy.client import Connection
from dockyard.doctor import KEYCLOAK_JAVA, java_home
from dockyard.localcluster import control_plane, pki, readiness
from dockyard.render.bundle import Source, TaskRequest
from dockyard.render.components.identity import admin_secret_task
from dockyard.render.task_points import NAMESPACES
from tests.browsers import chromium_page
from tests.cluster.commands import PLAIN, plain_platform
from tests.helpers import ensure_namespace, free_port, replace

PROJECT = Path(__file__).resolve().parents[2]
HERE = Source("test.yaml")

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
def repo(tmp_path: Path, api: Client) -> Iterator[Path]:
    """The plain repo under a platform and team name of its own (so its namespace is the test's
    own; the directory has that name), its namespace deleted afterwards."""
    name = f"p{uuid.uuid4().hex[:8]}"
    root = tmp_path / name
    shutil.copytree(PLAIN, root)
    replace(root, "platform.yaml", "name: plain", f"name: {name}")
    replace(root, "platform.yaml", "team: plain", f"team: {name}")
    yield root
    with contextlib.suppress(ApiError):  # already gone, or never created
        api.delete(Namespace, name)


@pytest.fixture
def origin(tmp_path: Path, api: Client) -> Iterator[Path]:
    """The plain repo, under a platform and team of its own, as a git repository with one commit
    (its namespace deleted afterwards)."""
    root = tmp_path / "origin"
    name = plain_platform(root, "p")
    yield root
    with contextlib.suppress(ApiError):
        api.delete(Namespace, name)


@pytest.fixture
def namespace(api: Client) -> Iterator[str]:
    """A fresh namespace for one test, deleted afterwards."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    api.create(Namespace(metadata=ObjectMeta(name=name, labels={"dockyard.dev/test": "true"})))
    yield name
    api.delete(Namespace, name)


def _java() -> str:
    """A Java Keycloak 26 can run on, found as `dockyard doctor` looks for it."""
    home, found = java_home()
    if home is None:
        raise AssertionError(f"Keycloak needs Java {KEYCLOAK_JAVA} or later ({found}): install one or set JAVA_HOME")
    return home


@dataclass(frozen=True)
class Keycloak:
    url: str
    """Plain HTTP on loopback (what most tests use)."""
    tls_url: str
    """HTTPS on loopback, with a certificate of `ca` (an API server trusts only an HTTPS issuer)."""
    ca: str
    """The PEM of the CA that signed Keycloak's certificate."""


@pytest.fixture(scope="session")
def keycloak(local_cluster: control_plane.Running, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keycloak]:
    """A real Keycloak on loopback whose admin password is the one the ensure-secret task generated."""
    ensure_namespace(readiness.client(local_cluster.kubeconfig), "dockyard-identity")
    connection = Connection(local_cluster.kubeconfig, local_cluster.context)
    spec = admin_secret_task()
    runner = tasks.runner(connection, [TaskRequest(spec.kind, spec.name, spec.data, HERE)], lambda _line: None)
    runner.after(NAMESPACES)
    admin = tasks.common.read_secret(connection, "dockyard-identity", "keycloak-admin")
    assert admin is not None
    home = subprocess.run([str(PROJECT / "scripts" / "install-keycloak")], capture_output=True, text=True, check=True)
    port, tls_port = free_port(), free_port()
    files = tmp_path_factory.mktemp("keycloak")
    certificates = pki.ensure(files / "pki")  # a CA and a serving certificate for 127.0.0.1
    log = (files / "keycloak.log").open("w")
    env = {**os.environ, "JAVA_HOME": _java(), **admin}
    server = subprocess.Popen(
        [
            f"{home.stdout.strip()}/bin/kc.sh",
            "start-dev",
            "--db=dev-mem",
            f"--http-port={port}",
            f"--https-port={tls_port}",
            f"--https-certificate-file={certificates.serving_cert}",
            f"--https-certificate-key-file={certificates.serving_key}",
            "--http-host=127.0.0.1",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/realms/master", timeout=2).status_code == 200:
                    break
            assert server.poll() is None, "Keycloak exited; see its log"
            time.sleep(1)
        else:
            raise AssertionError("Keycloak did not start within 180 s")
        yield Keycloak(url, f"https://127.0.0.1:{tls_port}", certificates.ca_cert.read_text())
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="session")
def keycloak_url(keycloak: Keycloak) -> str:
    return keycloak.url


@pytest.fixture
def page() -> Iterator[Any]:
    """A page of the distribution's Chromium (the console's tests against the cluster)."""
    with chromium_page() as opened:
        yield opened
