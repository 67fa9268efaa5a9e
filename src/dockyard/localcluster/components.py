"""The command line of each control plane component, on loopback ports.

etcd listens on plain HTTP on 127.0.0.1 only (nothing else can reach it); the API
server serves TLS with the cluster's CA and authenticates every component by its
client certificate. An audit log records every request (who, verb, resource), which
tests use to count what Dockyard wrote.
"""

from __future__ import annotations

from pathlib import Path

from dockyard.localcluster.layout import Layout
from dockyard.localcluster.pki import Pki

SERVICE_RANGE = "10.96.0.0/16"
POD_RANGE = "10.244.0.1/16"

AUDIT_POLICY = """apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    resources:
      - group: coordination.k8s.io
        resources: [leases]
      - group: ""
        resources: [events]
      - group: events.k8s.io
        resources: [events]
  - level: None
    nonResourceURLs: ["/healthz*", "/readyz*", "/livez*", "/version", "/metrics"]
  - level: Metadata
"""
"""Every request at Metadata level (no bodies: Secret data never reaches the log), except heartbeats."""


def etcd(binary: Path, layout: Layout, ports: dict[str, int]) -> list[str]:
    client = f"http://127.0.0.1:{ports['etcd']}"
    peer = f"http://127.0.0.1:{ports['etcd-peer']}"
    return [
        str(binary),
        "--name=dockyard",
        f"--data-dir={layout.etcd_data}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=dockyard={peer}",
        "--listen-metrics-urls=",
        "--unsafe-no-fsync=true",
        "--quota-backend-bytes=2147483648",
        "--log-level=warn",
    ]


def apiserver(binary: Path, layout: Layout, pki: Pki, ports: dict[str, int]) -> list[str]:
    return [
        str(binary),
        f"--etcd-servers=http://127.0.0.1:{ports['etcd']}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        f"--secure-port={ports['apiserver']}",
        f"--cert-dir={layout.pki}",
        f"--tls-cert-file={pki.serving_cert}",
        f"--tls-private-key-file={pki.serving_key}",
        f"--client-ca-file={pki.ca_cert}",
        f"--service-account-key-file={pki.service_account_pub}",
        f"--service-account-signing-key-file={pki.service_account_key}",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        f"--service-cluster-ip-range={SERVICE_RANGE}",
        f"--authentication-config={layout.authentication}",  # besides certificates: JWT issuers (authentication.py)
        "--authorization-mode=Node,RBAC",
        "--allow-privileged=true",
        "--enable-priority-and-fairness=false",
        "--endpoint-reconciler-type=none",
        # KWOK's pods never run, so nothing could answer an admission webhook: webhook
        # configurations are stored like any object and never called (a real cluster calls them).
        "--disable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook",
        f"--audit-policy-file={layout.audit_policy}",
        f"--audit-log-path={layout.audit_log}",
        "--audit-log-format=json",
        "--audit-log-maxsize=100",
        "--audit-log-maxbackup=1",
        "--audit-log-mode=blocking",
        "--v=1",
    ]


def _controller_flags(binary: Path, layout: Layout, component: str, port: int) -> list[str]:
    """What kube-controller-manager and kube-scheduler share: identity, health port, no leader election."""
    kubeconfig = layout.component_kubeconfig(component)
    return [
        str(binary),
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        "--bind-address=127.0.0.1",
        f"--secure-port={port}",
        f"--cert-dir={layout.root / component}",
        "--leader-elect=false",
        "--v=1",
    ]


def controller_manager(binary: Path, layout: Layout, pki: Pki, ports: dict[str, int]) -> list[str]:
    return [
        *_controller_flags(binary, layout, "controller-manager", ports["controller-manager"]),
        f"--root-ca-file={pki.ca_cert}",
        f"--service-account-private-key-file={pki.service_account_key}",
        f"--cluster-signing-cert-file={pki.ca_cert}",
        f"--cluster-signing-key-file={pki.ca_key}",
        "--use-service-account-credentials=true",
        f"--service-cluster-ip-range={SERVICE_RANGE}",
    ]


def scheduler(binary: Path, layout: Layout, ports: dict[str, int]) -> list[str]:
    return _controller_flags(binary, layout, "scheduler", ports["scheduler"])


def kwok(binary: Path, layout: Layout) -> list[str]:
    return [
        str(binary),
        f"--kubeconfig={layout.component_kubeconfig('kwok')}",
        "--manage-all-nodes=false",
        "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
        f"--cidr={POD_RANGE}",
        "--node-ip=127.0.0.1",
        "--node-lease-duration-seconds=40",
    ]
