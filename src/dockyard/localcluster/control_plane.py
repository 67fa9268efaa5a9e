"""`up`, `down` and `status` of a local control plane.

`up` starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and KWOK on
free loopback ports, registers fake nodes, and returns only once the cluster is really
usable. On any failure it stops what it started and says which component failed,
with the end of that component's log. Running `up` on a healthy cluster is a no-op.
"""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from dockyard.errors import DockyardError
from dockyard.localcluster import authentication, components, kubeconfig, pki, processes, readiness
from dockyard.localcluster.layout import Layout, State, known_clusters
from dockyard.localcluster.processes import Started
from dockyard.progress import Progress
from dockyard.tools import build

PORTS = ("etcd", "etcd-peer", "apiserver", "controller-manager", "scheduler")
ORDER = ("etcd", "kube-apiserver", "kwok", "kube-controller-manager", "kube-scheduler")
"""KWOK starts before the controllers so that, on a restart, node leases are fresh before the
node lifecycle controller looks at them (otherwise it taints every node unreachable)."""


class LocalClusterError(DockyardError):
    """A local control plane could not be started or stopped."""


@dataclass(frozen=True)
class Running:
    """The result of `up`: where the cluster is and how to reach it."""

    name: str
    server: str
    kubeconfig: Path
    context: str
    processes: tuple[Started, ...]
    nodes: int
    already_running: bool
    seconds: float


def up(
    name: str = "local",
    nodes: int = 1,
    *,
    progress: Progress = lambda _line: None,
    die_with_parent: bool = False,
    user_kubeconfig: bool = True,
    timeout: float = 120.0,
) -> Running:
    started_at = time.monotonic()
    layout = Layout(name)
    state = State.load(layout)
    if state is not None and _healthy(layout, state):
        if state.nodes < nodes:
            _add_nodes(layout, state, nodes, timeout)
        return _running(layout, state, True, started_at, user_kubeconfig)
    if state is not None and _stop_all(state):
        progress(f"cluster {name} was partly running; restarted it")
    binaries = build.build_all(progress, ("etcd", "kubernetes", "kwok"))
    certificates = pki.ensure(layout.pki)
    state = State(name, _ports(state.ports if state else {}), [], 0)
    _write_configs(layout, certificates, state)
    state.save(layout)
    try:
        _start_all(layout, certificates, state, binaries, progress, die_with_parent, timeout)
        _add_nodes(layout, state, nodes, timeout)
        progress("checking that a pod can be scheduled and run")
        api = readiness.client(layout.admin_kubeconfig)
        readiness.wait_for("the smoke test pod", readiness.smoke_pod_runs(api), timeout)
    except (DockyardError, OSError) as error:
        _stop_all(state)
        state.processes = []
        state.save(layout)
        raise LocalClusterError(f"cluster {name} did not start: {error}") from error
    return _running(layout, state, False, started_at, user_kubeconfig)


def trust_issuers(name: str, authenticators: Sequence[Mapping[str, Any]]) -> None:
    """The cluster's API server signs people in with tokens of exactly these JWT issuers (besides
    certificates), from the next seconds on."""
    layout = Layout(name)
    if not layout.authentication.exists():
        raise LocalClusterError(f"cluster {name} does not exist: run `dockyard up --name {name}` first")
    authentication.trust(layout.authentication, authenticators)


def _running(layout: Layout, state: State, already: bool, started_at: float, user_config: bool) -> Running:
    if user_config:
        kubeconfig.merge_into_user_config(kubeconfig.build(state.name, state.server, pki.Pki(layout.pki), "admin"))
    return Running(
        state.name,
        state.server,
        layout.admin_kubeconfig,
        kubeconfig.context_name(state.name),
        tuple(state.processes),
        state.nodes,
        already,
        time.monotonic() - started_at,
    )


def _ports(previous: dict[str, int]) -> dict[str, int]:
    """Reuse the previous ports where they are free (etcd remembers its peer URL), else pick free ones."""
    chosen: dict[str, int] = {}
    holders = []
    try:
        for component in PORTS:
            holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                holder.bind(("127.0.0.1", previous.get(component, 0)))
            except OSError:
                holder.bind(("127.0.0.1", 0))
            holders.append(holder)
            chosen[component] = holder.getsockname()[1]
    finally:
        for holder in holders:
            holder.close()
    return chosen


def _write_configs(layout: Layout, certificates: pki.Pki, state: State) -> None:
    kubeconfig.write(layout.admin_kubeconfig, kubeconfig.build(state.name, state.server, certificates, "admin"))
    for client in ("controller-manager", "scheduler", "kwok"):
        config = kubeconfig.build(state.name, state.server, certificates, client)
        kubeconfig.write(layout.component_kubeconfig(client), config)
    layout.audit_policy.write_text(components.AUDIT_POLICY)
    authentication.ensure(layout.authentication)


def _start_all(
    layout: Layout,
    certificates: pki.Pki,
    state: State,
    binaries: dict[str, Path],
    progress: Progress,
    die_with_parent: bool,
    timeout: float,
) -> None:
    ports = state.ports
    health = {
        "etcd": readiness.http_ok(f"http://127.0.0.1:{ports['etcd']}/health"),
        "kube-apiserver": readiness.http_ok(f"{state.server}/readyz", pki=certificates),
        "kube-controller-manager": readiness.http_ok(f"https://127.0.0.1:{ports['controller-manager']}/healthz"),
        "kube-scheduler": readiness.http_ok(f"https://127.0.0.1:{ports['scheduler']}/healthz"),
    }
    commands = {
        "etcd": components.etcd(binaries["etcd"], layout, ports),
        "kube-apiserver": components.apiserver(binaries["kube-apiserver"], layout, certificates, ports),
        "kube-controller-manager": components.controller_manager(
            binaries["kube-controller-manager"], layout, certificates, ports
        ),
        "kube-scheduler": components.scheduler(binaries["kube-scheduler"], layout, ports),
        "kwok": components.kwok(binaries["kwok"], layout),
    }
    for component in ORDER:
        if component == "kwok":
            readiness.release_node_leases(readiness.client(layout.admin_kubeconfig))
        progress(f"starting {component}")
        process = processes.start(
            component, commands[component], layout.log(component), die_with_parent=die_with_parent
        )
        state.processes.append(process)
        state.save(layout)
        if component in health:
            try:
                readiness.wait_for(component, _alive_and(process, health[component]), timeout)
            except readiness.NotReady as error:
                raise LocalClusterError(f"{error}\n{_log_tail(layout.log(component))}") from error
    api = readiness.client(layout.admin_kubeconfig)
    progress("waiting for the default ServiceAccount")
    readiness.wait_for("the default ServiceAccount", readiness.default_service_account(api), timeout)


def _alive_and(process: Started, check: readiness.Check) -> readiness.Check:
    def combined() -> str | None:
        if not processes.is_running(process):
            raise LocalClusterError(f"{process.name} exited; see {process.log}")
        return check()

    return combined


def _add_nodes(layout: Layout, state: State, count: int, timeout: float) -> None:
    api = readiness.client(layout.admin_kubeconfig)
    names = readiness.node_names(state.name, count)
    readiness.register_nodes(api, names)
    readiness.wait_for(f"{count} KWOK node(s)", readiness.nodes_ready(api, names), timeout)
    state.nodes = max(state.nodes, count)
    state.save(layout)


def _healthy(layout: Layout, state: State) -> bool:
    if len(state.processes) != len(ORDER) or not all(processes.is_running(p) for p in state.processes):
        return False
    check = readiness.http_ok(f"{state.server}/readyz", pki=pki.Pki(layout.pki))
    try:
        return check() is None
    except (httpx.HTTPError, OSError):
        return False


def _stop_all(state: State) -> list[str]:
    stopped = []
    for process in reversed(state.processes):
        if processes.is_running(process):
            processes.stop(process)
            stopped.append(process.name)
    return stopped


def down(name: str = "local", *, purge: bool = False) -> list[str]:
    """Stop exactly the processes `up` started; with `purge`, delete the data and the kubeconfig context."""
    layout = Layout(name)
    state = State.load(layout)
    if state is None and not layout.root.exists():
        raise LocalClusterError(f"no local cluster named `{name}`; clusters: {', '.join(known_clusters()) or 'none'}")
    stopped = _stop_all(state) if state else []
    if state is not None:
        state.processes = []
        state.save(layout)
    if purge:
        shutil.rmtree(layout.root, ignore_errors=True)
        kubeconfig.remove_from_user_config(name)
    return stopped


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    pid: int
    running: bool
    log: str


@dataclass(frozen=True)
class ClusterStatus:
    name: str
    server: str
    kubeconfig: Path
    ports: dict[str, int]
    components: tuple[ComponentStatus, ...]
    versions: dict[str, str]
    nodes: int

    @property
    def running(self) -> bool:
        return bool(self.components) and all(c.running for c in self.components)


def status(name: str) -> ClusterStatus:
    layout = Layout(name)
    state = State.load(layout)
    if state is None:
        raise LocalClusterError(f"no local cluster named `{name}`; clusters: {', '.join(known_clusters()) or 'none'}")
    parts = tuple(ComponentStatus(p.name, p.pid, processes.is_running(p), p.log) for p in state.processes)
    versions = {tool.name: tool.version for tool in build.TOOLS if tool.name != "helm"}
    return ClusterStatus(name, state.server, layout.admin_kubeconfig, state.ports, parts, versions, state.nodes)


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        tail = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return f"(no log at {path})"
    return f"last lines of {path}:\n" + "\n".join(f"  {line}" for line in tail)
