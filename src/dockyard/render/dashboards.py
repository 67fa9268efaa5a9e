"""A Grafana dashboard per service, where the platform installs kube-prometheus-stack: a ConfigMap
in the service's namespace labelled `grafana_dashboard: "1"`, which the chart's Grafana sidecar
loads from every namespace (its defaults: `sidecar.dashboards.label`, `labelValue` and
`searchNamespace: ALL`). Removed with the service, like its other objects.

Its panels read what the platform collects for every workload: pods available (kube-state-metrics),
CPU and memory (the kubelet's cAdvisor), restarts, its scrape targets (its ServiceMonitor's `up`, for a
service that is scraped),
and, with `logs`, its log lines (Loki, by the OTLP attribute `service_name` every workload sends).
The pods of a Deployment are named `<name>-<pod-template-hash>-<suffix>`: the expressions match
exactly those, never another Deployment whose name starts with the same words."""

from __future__ import annotations

import hashlib
import json
from typing import Any

LABEL = {"grafana_dashboard": "1"}
UID_LENGTH = 40
"""The longest uid Grafana accepts."""


def uid(namespace: str, service: str) -> str:
    """The dashboard's uid, the same on every render (the console links to `/d/<uid>`); a long one
    ends in a digest of the whole, so two services never share one."""
    whole = f"dockyard-{namespace}-{service}"
    if len(whole) <= UID_LENGTH:
        return whole
    return f"{whole[: UID_LENGTH - 9]}-{hashlib.sha256(whole.encode()).hexdigest()[:8]}"


POD_PREFIX = 58
"""Kubernetes cuts a generated name's prefix to 58 characters before its 5 random ones."""


def pod_pattern(service: str) -> str:
    """The names of the Deployment's pods: `<service>-<pod-template-hash>-<5 random>`, the part
    before the random ones cut to 58 characters (so for a long name the hash, or the dash, or part
    of the name is gone); never a pod of another Deployment whose name starts the same."""
    if len(service) + 1 + 10 + 1 <= POD_PREFIX:
        return f"{service}-[a-z0-9]{{6,10}}-[a-z0-9]{{5}}"
    if len(service) >= POD_PREFIX:
        return f"{service[:POD_PREFIX]}[a-z0-9]{{5}}"
    room = POD_PREFIX - len(service) - 1  # what is left of "<hash>-" after "<service>-"
    return f"{service}-[a-z0-9]{{0,{min(room, 10)}}}-?[a-z0-9]{{5}}"


def service_dashboard(service: str, namespace: str, *, scraped: bool, logs: bool) -> dict[str, Any]:
    """The ConfigMap holding the service's dashboard."""
    pods = f'namespace="{namespace}", pod=~"{pod_pattern(service)}"'
    deployment = f'namespace="{namespace}", deployment="{service}"'
    panels = [
        _panel(
            "Pods available of desired",
            [
                (f"kube_deployment_status_replicas_available{{{deployment}}}", "available"),
                (f"kube_deployment_spec_replicas{{{deployment}}}", "desired"),
            ],
            "short",
        ),
        _panel(
            "CPU (cores)",
            [(f'sum by (pod) (rate(container_cpu_usage_seconds_total{{{pods}, container!=""}}[5m]))', "{{pod}}")],
            "short",
        ),
        _panel(
            "Memory (working set)",
            [(f'sum by (pod) (container_memory_working_set_bytes{{{pods}, container!=""}})', "{{pod}}")],
            "bytes",
        ),
        _panel(
            "Container restarts (1 h)",
            [(f"sum by (pod) (increase(kube_pod_container_status_restarts_total{{{pods}}}[1h]))", "{{pod}}")],
            "short",
        ),
    ]
    if scraped:  # its ServiceMonitor's targets
        panels.append(
            _panel("Scrape targets up", [(f'up{{namespace="{namespace}", service="{service}"}}', "{{pod}}")], "short")
        )
    if logs:
        panels.append(
            {
                "type": "logs",
                "title": "Logs",
                "datasource": {"type": "loki", "uid": "loki"},
                "targets": [{"refId": "A", "expr": f'{{service_name="{service}"}}'}],
            }
        )
    for index, panel in enumerate(panels):  # two columns; the logs below, the whole width
        panel["id"] = index + 1
        panel["gridPos"] = {"h": 8, "w": 12, "x": 12 * (index % 2), "y": 8 * (index // 2)}
        if panel["type"] == "logs":
            panel["gridPos"] = {"h": 10, "w": 24, "x": 0, "y": 8 * ((index + 1) // 2)}
    dashboard = {
        "uid": uid(namespace, service),
        "title": f"{service} ({namespace})",
        "tags": ["dockyard", namespace],
        "timezone": "utc",
        "schemaVersion": 39,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "editable": False,
        "panels": panels,
    }
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": f"{service}-dashboard", "namespace": namespace, "labels": dict(LABEL)},
        "data": {f"{service}.json": json.dumps(dashboard, sort_keys=True, separators=(",", ":"))},
    }


def _panel(title: str, queries: list[tuple[str, str]], unit: str) -> dict[str, Any]:
    return {
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": "prometheus"},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [
            {"refId": chr(ord("A") + index), "expr": expr, "legendFormat": legend}
            for index, (expr, legend) in enumerate(queries)
        ],
    }
