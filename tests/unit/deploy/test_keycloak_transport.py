"""The Keycloak task over a connection that fails: a clear task failure, never a traceback. The
client is the one the task really uses (the API server's service proxy, built from a kubeconfig);
the failure is a real refused connection on loopback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml

from dockyard.deploy.client import Connection
from dockyard.deploy.tasks import keycloak
from dockyard.deploy.tasks.common import TaskFailed


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _kubeconfig(path: Path, server: str) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server, "insecure-skip-tls-verify": True}}],
        "users": [{"name": "u", "user": {"token": "not-a-real-token"}}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "ctx",
    }
    path.write_text(yaml.safe_dump(config))
    return path


def test_a_refused_connection_through_the_service_proxy_is_a_clear_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keycloak, "READY_WITHIN", 1.0)
    server = f"https://127.0.0.1:{_closed_port()}"
    connection = Connection(_kubeconfig(tmp_path / "kubeconfig", server), "ctx")
    http, prefix = connection.service_proxy("dockyard-identity", *keycloak.SERVICE)
    assert str(http.base_url).rstrip("/") == server
    assert prefix == "/api/v1/namespaces/dockyard-identity/services/keycloak-http:http/proxy"
    with http, pytest.raises(TaskFailed) as failed:
        keycloak.Admin(http, prefix, "admin", "secret")
    assert str(failed.value).startswith("Keycloak did not answer within 1 s (")
    assert "secret" not in str(failed.value)
