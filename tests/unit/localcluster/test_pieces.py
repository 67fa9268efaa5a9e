"""The local control plane's pure and process-level pieces, without starting Kubernetes."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path

import pytest
import yaml
from cryptography import x509

from dockyard.localcluster import kubeconfig, pki, processes
from dockyard.tools import build


def test_staging_modules_are_read_from_kubernetes_go_mod(tmp_path: Path) -> None:
    gomod = tmp_path / "go.mod"
    gomod.write_text(
        "module k8s.io/kubernetes\n\nreplace (\n"
        "\tk8s.io/api => ./staging/src/k8s.io/api\n"
        "\tk8s.io/client-go => ./staging/src/k8s.io/client-go\n"
        "\tgithub.com/other/thing => github.com/other/thing v1.0.0\n)\n"
    )
    minor = "v0." + build.versions.KUBERNETES.split(".", 1)[1]
    assert build._kubernetes_staging_replaces(gomod) == {
        "k8s.io/api": f"k8s.io/api {minor}",
        "k8s.io/client-go": f"k8s.io/client-go {minor}",
    }


def test_kubernetes_reports_its_real_version() -> None:
    flags = " ".join(build._kubernetes_ldflags())
    assert f"k8s.io/component-base/version.gitVersion=v{build.versions.KUBERNETES}" in flags


def test_a_tool_is_built_only_when_its_manifest_matches_the_binaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    tool = dataclasses.replace(build.TOOLS[0], binaries=("fake",))
    home = build.tool_dir(tool)
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "fake").write_bytes(b"binary")
    assert not build.is_built(tool)
    manifest = {"version": tool.version, "sha256": {"fake": build.sha256_file(home / "bin" / "fake")}}
    (home / "manifest.json").write_text(json.dumps(manifest))
    assert build.is_built(tool)
    (home / "bin" / "fake").write_bytes(b"tampered")
    assert not build.is_built(tool)


def test_certificates_name_the_api_server_and_each_component(tmp_path: Path) -> None:
    paths = pki.ensure(tmp_path / "pki")
    serving = x509.load_pem_x509_certificate(paths.serving_cert.read_bytes())
    names = serving.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "kubernetes.default.svc" in names.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", pki.SERVICE_IP]
    scheduler = x509.load_pem_x509_certificate(paths.client_cert("scheduler").read_bytes())
    assert scheduler.subject.rfc4514_string() == "CN=system:kube-scheduler"
    assert oct(paths.client_key("admin").stat().st_mode & 0o777) == "0o600"
    before = paths.ca_cert.read_bytes()
    pki.ensure(tmp_path / "pki")
    assert paths.ca_cert.read_bytes() == before


def test_merging_a_context_keeps_the_users_other_contexts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user_config = tmp_path / "config"
    monkeypatch.setenv("KUBECONFIG", f"{user_config}{os.pathsep}{tmp_path / 'second'}")
    user_config.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "work",
                "clusters": [{"name": "work", "cluster": {"server": "https://work.example"}}],
                "users": [{"name": "work", "user": {"token": "t"}}],
                "contexts": [{"name": "work", "context": {"cluster": "work", "user": "work"}}],
            }
        )
    )
    certificates = pki.ensure(tmp_path / "pki")
    config = kubeconfig.build("local", "https://127.0.0.1:6443", certificates, "admin")
    kubeconfig.merge_into_user_config(config)
    kubeconfig.merge_into_user_config(config)
    merged = yaml.safe_load(user_config.read_text())
    assert [c["name"] for c in merged["contexts"]] == ["work", "dockyard-local"]
    assert merged["current-context"] == "dockyard-local"
    kubeconfig.remove_from_user_config("local")
    cleaned = yaml.safe_load(user_config.read_text())
    assert [c["name"] for c in cleaned["contexts"]] == ["work"]
    assert cleaned["current-context"] == ""


def test_stop_ends_the_process_it_started(tmp_path: Path) -> None:
    started = processes.start("sleeper", ["/bin/sleep", "60"], tmp_path / "log", die_with_parent=True)
    assert processes.is_running(started)
    processes.stop(started)
    assert not processes.is_running(started)


def test_stop_never_signals_a_reused_pid(tmp_path: Path) -> None:
    started = processes.start("sleeper", ["/bin/sleep", "60"], tmp_path / "log", die_with_parent=True)
    impostor = dataclasses.replace(started, start_ticks=started.start_ticks + 1)
    assert not processes.is_running(impostor)
    processes.stop(impostor)
    time.sleep(0.1)
    assert processes.is_running(started)
    processes.stop(started)


def test_the_kind_driver_says_what_it_needs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from dockyard.localcluster import kind

    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(kind.KindUnavailable) as missing:
        kind.up("local", 1)
    assert str(missing.value) == "the kind driver needs the `kind` CLI on PATH; without Docker use the default driver"
    fake = tmp_path / "kind"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    docker = tmp_path / "docker"
    docker.write_text("#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n")
    docker.chmod(0o755)
    with pytest.raises(kind.KindUnavailable) as no_engine:
        kind.up("local", 1)
    assert "needs a running Docker engine" in str(no_engine.value)


def test_a_kind_config_has_one_control_plane_and_workers_for_the_rest() -> None:
    from dockyard.localcluster import kind

    assert [n["role"] for n in kind.config(3)["nodes"]] == ["control-plane", "worker", "worker"]


def test_a_connection_refused_by_the_api_client_is_waited_out() -> None:
    """lightkube's client raises httpx2's errors, not httpx's: a refused connection while the API
    server starts is a reason to wait, and after the deadline a NotReady naming it (was exit 70)."""
    import httpx2

    from dockyard.localcluster.readiness import NotReady, wait_for

    def refused() -> str | None:
        raise httpx2.ConnectError("connection refused")

    with pytest.raises(NotReady, match="api not ready after 0s: ConnectError: connection refused"):
        wait_for("api", refused, timeout=0.05, interval=0.01)
