"""`dockyard up --driver kind`: a kind cluster where a Docker engine is available.

Kept deliberately thin (it cannot be tested on machines without Docker): it checks that
`kind` and a running Docker engine are there, writes a kind config with the requested
number of worker nodes, and lets kind do the rest. kind names the context `kind-<name>`.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile

import yaml

from dockyard.errors import DockyardError


class KindUnavailable(DockyardError):
    """kind or a Docker engine is missing."""


def config(nodes: int) -> dict[str, object]:
    return {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "nodes": [{"role": "control-plane"}] + [{"role": "worker"} for _ in range(max(0, nodes - 1))],
    }


def check_available() -> None:
    if shutil.which("kind") is None:
        raise KindUnavailable("the kind driver needs the `kind` CLI on PATH; without Docker use the default driver")
    if shutil.which("docker") is None:
        raise KindUnavailable("the kind driver needs Docker; without Docker use the default driver")
    probe = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise KindUnavailable(
            "the kind driver needs a running Docker engine (`docker info` failed); "
            "without Docker use the default driver"
        )


def up(name: str, nodes: int) -> str:
    """Create the kind cluster (or reuse it); return its kubeconfig context."""
    check_available()
    existing = subprocess.run(["kind", "get", "clusters"], capture_output=True, text=True, check=True).stdout.split()
    if name not in existing:
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as file:
            yaml.safe_dump(config(nodes), file)
            file.flush()
            subprocess.run(
                ["kind", "create", "cluster", "--name", name, "--config", file.name, "--wait", "120s"], check=True
            )
    return f"kind-{name}"


def down(name: str) -> None:
    check_available()
    subprocess.run(["kind", "delete", "cluster", "--name", name], check=True)
