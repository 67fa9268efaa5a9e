"""Where one local cluster keeps its data, and the state file that records what runs.

$DOCKYARD_HOME (else $XDG_DATA_HOME/dockyard, else ~/.local/share/dockyard)
  clusters/<name>/
    state.json          ports and the processes started (PID, executable, start time)
    pki/                CA, serving and client certificates, service-account keys
    etcd/               etcd's data
    kubeconfig          admin kubeconfig (context dockyard-<name>)
    kubeconfigs/        one kubeconfig per component
    audit-policy.yaml
    authentication.yaml the JWT issuers the API server trusts (authentication.py)
    logs/<component>.log, logs/audit.log
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard import locations
from dockyard.atomic import write_atomic
from dockyard.errors import UsageError
from dockyard.localcluster.processes import Started

NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$")


@dataclass(frozen=True)
class Layout:
    name: str

    def __post_init__(self) -> None:
        if not NAME.match(self.name):
            raise UsageError(f"cluster name `{self.name}` must be lowercase letters, digits and '-', at most 32")

    @property
    def root(self) -> Path:
        return locations.data_home() / "clusters" / self.name

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def etcd_data(self) -> Path:
        return self.root / "etcd"

    @property
    def admin_kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    def component_kubeconfig(self, client: str) -> Path:
        return self.root / "kubeconfigs" / f"{client}.yaml"

    @property
    def audit_policy(self) -> Path:
        return self.root / "audit-policy.yaml"

    @property
    def authentication(self) -> Path:
        return self.root / "authentication.yaml"

    @property
    def audit_log(self) -> Path:
        return self.root / "logs" / "audit.log"

    def log(self, component: str) -> Path:
        return self.root / "logs" / f"{component}.log"


@dataclass
class State:
    """What `up` started: enough for `status` to report and `down` to stop exactly that."""

    name: str
    ports: dict[str, int]
    processes: list[Started] = field(default_factory=list)
    nodes: int = 0

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.ports['apiserver']}"

    def save(self, layout: Layout) -> None:
        layout.root.mkdir(parents=True, exist_ok=True)
        data = {
            "name": self.name,
            "ports": self.ports,
            "processes": [p.to_json() for p in self.processes],
            "nodes": self.nodes,
        }
        write_atomic(layout.state_file, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())

    @classmethod
    def load(cls, layout: Layout) -> State | None:
        try:
            data: dict[str, Any] = json.loads(layout.state_file.read_text())
        except (OSError, ValueError):
            return None
        processes = [Started(**p) for p in data.get("processes", [])]
        return cls(data["name"], data["ports"], processes, data.get("nodes", 0))


def known_clusters() -> list[str]:
    clusters = locations.data_home() / "clusters"
    if not clusters.is_dir():
        return []
    return sorted(p.name for p in clusters.iterdir() if (p / "state.json").exists())
