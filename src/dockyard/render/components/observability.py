"""Metrics, logs and traces: kube-prometheus-stack (Prometheus, Alertmanager, Grafana), Loki,
Tempo and the OpenTelemetry Collector, wired to each other.

Services send OTLP to the collector; the collector writes metrics to Prometheus, logs to Loki
and traces to Tempo; Grafana has all three as datasources, with trace-to-logs and
trace-to-metrics links; Prometheus picks up every ServiceMonitor in every namespace.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dockyard.charts.source import ChartSource
from dockyard.model.platform import Platform
from dockyard.render import platform_names
from dockyard.render.bundle import Stage, TaskRequest
from dockyard.render.components import signin
from dockyard.render.components.component import Component, Requires, TaskSpec, has
from dockyard.render.components.gateway import edge_route
from dockyard.render.task_data import TaskKind

MONITORING = platform_names.MONITORING_NAMESPACE
OBSERVABILITY = platform_names.OBSERVABILITY_NAMESPACE
PROMETHEUS_URL = f"http://kube-prometheus-stack-prometheus.{MONITORING}.svc.cluster.local:9090"
LOKI_URL = f"http://loki-gateway.{OBSERVABILITY}.svc.cluster.local"
TEMPO_URL = f"http://tempo.{OBSERVABILITY}.svc.cluster.local:3200"
TEMPO_OTLP = f"tempo.{OBSERVABILITY}.svc.cluster.local:4317"
GRAFANA_ADMIN = "grafana-admin"
"""Grafana's admin credentials, made by the ensure-secret task (the chart would render a password)."""
GRAFANA_OIDC = "grafana-oidc"
"""Grafana's client secret in Keycloak, made by the ensure-secret task."""
GRAFANA_CLIENT_SECRET_ENV = "GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET"
"""Grafana reads a setting from GF_<SECTION>_<KEY>: its client secret comes from a Secret, never the render."""
STORAGE_SECRET = "object-store-credentials"
"""The object store's access key Secret, created (never rendered) by the ensure-secret task."""

PROMETHEUS_OPERATOR_CRDS = Component(
    name="prometheus-operator-crds",
    namespace=MONITORING,
    stage=Stage.PLATFORM_SERVICES,
    features=frozenset({"metrics"}),
    source=ChartSource(
        name="prometheus-operator-crds",
        version="v0.93.1",
        kind="manifests",
        gomodule="github.com/prometheus-operator/prometheus-operator",
        path="example/prometheus-operator-crd",
    ),
    kubernetes=("1.25", None),  # Documentation/getting-started/compatibility.md: v0.84 and later need 1.25
    description="Prometheus Operator CRDs (ServiceMonitor, PodMonitor, Prometheus, ...), pinned on their own.",
)


def _datasources(platform: Platform) -> list[dict[str, Any]]:
    sources: list[dict[str, Any]] = []
    if has(platform, "logs"):
        sources.append(
            {
                "name": "Loki",
                "type": "loki",
                "uid": "loki",
                "url": LOKI_URL,
                "access": "proxy",
                "jsonData": {
                    "derivedFields": [
                        {
                            "name": "TraceID",
                            "matcherType": "label",
                            "matcherRegex": "trace_id",
                            "datasourceUid": "tempo",
                            "url": "${__value.raw}",
                        }
                    ]
                },
            }
        )
    if has(platform, "traces"):
        sources.append(
            {
                "name": "Tempo",
                "type": "tempo",
                "uid": "tempo",
                "url": TEMPO_URL,
                "access": "proxy",
                "jsonData": {
                    "tracesToLogsV2": {"datasourceUid": "loki", "filterByTraceID": True, "spanStartTimeShift": "-5m"},
                    "tracesToMetrics": {"datasourceUid": "prometheus"},
                    "serviceMap": {"datasourceUid": "prometheus"},
                    "nodeGraph": {"enabled": True},
                },
            }
        )
    return sources


def kube_prometheus_stack_values(platform: Platform) -> dict[str, Any]:
    return {
        "crds": {"enabled": False},
        "prometheus": {
            "prometheusSpec": {
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "ruleSelectorNilUsesHelmValues": False,
                "enableRemoteWriteReceiver": True,
                "enableFeatures": ["exemplar-storage"],
                "retention": "10d",
                **_external_url(platform, "prometheus"),
            }
        },
        "alertmanager": {"enabled": True, "alertmanagerSpec": _external_url(platform, "alertmanager")},
        "grafana": {
            "enabled": True,
            "grafana.ini": _grafana_ini(platform),
            "admin": {"existingSecret": GRAFANA_ADMIN, "userKey": "admin-user", "passwordKey": "admin-password"},
            "sidecar": {"datasources": {"defaultDatasourceEnabled": True, "uid": "prometheus"}},
            "additionalDataSources": _datasources(platform),
            **(
                {
                    "envValueFrom": {
                        GRAFANA_CLIENT_SECRET_ENV: {"secretKeyRef": {"name": GRAFANA_OIDC, "key": "client-secret"}}
                    }
                }
                if has(platform, "sso")
                else {}
            ),
        },
    }


def _grafana_ini(platform: Platform) -> dict[str, Any]:
    """Grafana at grafana.<domain>; with SSO, people sign in with Keycloak: the browser goes to its
    public address, Grafana redeems the code and reads the user inside the cluster."""
    scheme = "https" if has(platform, "certs") else "http"
    ini: dict[str, Any] = {"server": {"root_url": f"{scheme}://grafana.{platform.domain}"}}
    if has(platform, "sso"):
        realm = platform.name
        internal = f"{platform_names.KEYCLOAK_URL}/realms/{realm}/protocol/openid-connect"
        ini["auth.generic_oauth"] = {
            "enabled": True,
            "name": "Keycloak",
            "client_id": "grafana",
            "scopes": "openid email profile",
            "auth_url": f"https://sso.{platform.domain}/realms/{realm}/protocol/openid-connect/auth",
            "token_url": f"{internal}/token",
            "api_url": f"{internal}/userinfo",
            "use_pkce": True,
        }
    return ini


def kube_prometheus_stack_objects(platform: Platform, _requests: Sequence[TaskRequest]) -> list[dict[str, Any]]:
    """Grafana at grafana.<domain> (it signs people in itself); with SSO, Prometheus and Alertmanager,
    which have no sign-in of their own, at prometheus.<domain> and alertmanager.<domain> behind the
    platform's sign-in (signin.py). Without SSO they are not published."""
    objects = [edge_route(platform, "grafana", MONITORING, "kube-prometheus-stack-grafana", 80)]
    if has(platform, "sso"):
        prometheus, alertmanager = signin.UIS["metrics"]
        objects += signin.signed_in_route(platform, prometheus, MONITORING, "kube-prometheus-stack-prometheus", 9090)
        objects += signin.signed_in_route(
            platform, alertmanager, MONITORING, "kube-prometheus-stack-alertmanager", 9093
        )
        objects.append(signin.sign_in_grant(MONITORING))
    return objects


def _external_url(platform: Platform, name: str) -> dict[str, Any]:
    """Where a UI's links point: its public address when it is published (with SSO)."""
    if not has(platform, "sso"):
        return {}
    scheme = "https" if has(platform, "certs") else "http"
    return {"externalUrl": f"{scheme}://{name}.{platform.domain}"}


def kube_prometheus_stack_tasks(platform: Platform) -> list[TaskSpec]:
    """Grafana's admin (never a rendered value); with SSO, its client in Keycloak and that client's secret."""
    tasks = [
        TaskSpec(
            TaskKind.ENSURE_SECRET,
            GRAFANA_ADMIN,
            {
                "name": GRAFANA_ADMIN,
                "namespaces": [MONITORING],
                "keys": {"admin-user": {"value": "admin"}, "admin-password": {"generate": "password"}},
            },
        )
    ]
    if has(platform, "sso"):
        scheme = "https" if has(platform, "certs") else "http"
        tasks += [
            TaskSpec(
                TaskKind.ENSURE_SECRET,
                GRAFANA_OIDC,
                {"name": GRAFANA_OIDC, "namespaces": [MONITORING], "keys": {"client-secret": {"generate": "password"}}},
            ),
            TaskSpec(
                TaskKind.KEYCLOAK_CLIENT,
                "grafana",
                {
                    "realm": platform.name,
                    "clientId": "grafana",
                    "title": "Grafana",
                    "scopes": {},
                    "redirectUris": [f"{scheme}://grafana.{platform.domain}/login/generic_oauth"],
                    "secretFrom": {"namespace": MONITORING, "name": GRAFANA_OIDC, "key": "client-secret"},
                },
            ),
        ]
    return tasks


KUBE_PROMETHEUS_STACK = Component(
    name="kube-prometheus-stack",
    namespace=MONITORING,
    stage=Stage.PLATFORM_SERVICES,
    features=frozenset({"metrics"}),
    source=ChartSource(
        name="kube-prometheus-stack",
        version="88.6.1",
        repository="https://prometheus-community.github.io/helm-charts",
    ),
    values=kube_prometheus_stack_values,
    requires=(
        Requires(
            "prometheus-operator-crds",
            minimum="v0.93.1",
            reason="the chart's Prometheus Operator is v0.93.1; older CRDs would prune the fields it writes",
        ),
    ),
    sinks=("kube-prometheus-stack-prometheus",),
    objects=kube_prometheus_stack_objects,
    tasks=kube_prometheus_stack_tasks,
    kubernetes=("1.25", None),  # the chart's kubeVersion (read at 88.5.3, the nearest tag this machine has)
    description="Prometheus, Alertmanager and Grafana with the Prometheus Operator.",
)


def _s3(bucket: str) -> dict[str, Any]:
    return {
        "bucket": bucket,
        "endpoint": platform_names.OBJECT_STORE_ENDPOINT.removeprefix("http://"),
        "insecure": True,
    }


def loki_values(_platform: Platform) -> dict[str, Any]:
    return {
        "deploymentMode": "SingleBinary",
        "loki": {
            "auth_enabled": False,
            "commonConfig": {"replication_factor": 1},
            "schemaConfig": {
                "configs": [
                    {
                        "from": "2024-04-01",
                        "store": "tsdb",
                        "object_store": "s3",
                        "schema": "v13",
                        "index": {"prefix": "loki_index_", "period": "24h"},
                    }
                ]
            },
            "storage": {
                "type": "s3",
                "bucketNames": {"chunks": "loki-chunks", "ruler": "loki-ruler", "admin": "loki-admin"},
                "s3": {"endpoint": platform_names.OBJECT_STORE_ENDPOINT, "s3ForcePathStyle": True, "insecure": True},
            },
        },
        "singleBinary": {
            "replicas": 1,
            "extraEnvFrom": [{"secretRef": {"name": STORAGE_SECRET}}],
        },
        "read": {"replicas": 0},
        "write": {"replicas": 0},
        "backend": {"replicas": 0},
        "chunksCache": {"enabled": False},
        "resultsCache": {"enabled": False},
        "monitoring": {"serviceMonitor": {"enabled": True}},
    }


LOKI = Component(
    name="loki",
    namespace=OBSERVABILITY,
    stage=Stage.PLATFORM_SERVICES,
    features=frozenset({"logs"}),
    source=ChartSource(name="loki", version="18.11.7", repository="https://grafana-community.github.io/helm-charts"),
    values=loki_values,
    sinks=("loki-gateway",),
    kubernetes=("1.25", None),  # the chart's kubeVersion (read at 18.11.0, the nearest tag this machine has)
    description="Loki (single binary) storing logs in the platform object store.",
)


def tempo_values(_platform: Platform) -> dict[str, Any]:
    return {
        "tempo": {
            "storage": {"trace": {"backend": "s3", "s3": _s3("tempo-traces")}},
            "extraEnvFrom": [{"secretRef": {"name": STORAGE_SECRET}}],
            "metricsGenerator": {"enabled": True, "remoteWriteUrl": f"{PROMETHEUS_URL}/api/v1/write"},
            "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317"}}}},
        },
        "serviceMonitor": {"enabled": True},
    }


TEMPO = Component(
    name="tempo",
    namespace=OBSERVABILITY,
    stage=Stage.PLATFORM_SERVICES,
    features=frozenset({"traces"}),
    source=ChartSource(name="tempo", version="2.3.0", repository="https://grafana-community.github.io/helm-charts"),
    values=tempo_values,
    sinks=("tempo",),
    description="Tempo storing traces in the platform object store, deriving span metrics into Prometheus.",
)


def collector_values(platform: Platform) -> dict[str, Any]:
    exporters: dict[str, Any] = {"prometheusremotewrite": {"endpoint": f"{PROMETHEUS_URL}/api/v1/write"}}
    pipelines: dict[str, Any] = {
        "metrics": {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["prometheusremotewrite"]}
    }
    if has(platform, "traces"):
        exporters["otlp/tempo"] = {"endpoint": TEMPO_OTLP, "tls": {"insecure": True}}
        pipelines["traces"] = {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["otlp/tempo"]}
    if has(platform, "logs"):
        exporters["otlphttp/loki"] = {"endpoint": f"{LOKI_URL}/otlp"}
        pipelines["logs"] = {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["otlphttp/loki"]}
    return {
        "mode": "deployment",
        "fullnameOverride": "opentelemetry-collector",
        "image": {"repository": "otel/opentelemetry-collector-contrib"},
        "config": {
            "receivers": {
                "otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317"}, "http": {"endpoint": "0.0.0.0:4318"}}}
            },
            "processors": {"batch": {}},
            "exporters": exporters,
            "service": {"pipelines": pipelines},
        },
        # the ServiceMonitor scrapes the port named `metrics` (the collector's own telemetry, 8888),
        # which the chart leaves off its Service unless asked
        "ports": {"metrics": {"enabled": True}},
        "serviceMonitor": {"enabled": True},
    }


OPENTELEMETRY_COLLECTOR = Component(
    name="opentelemetry-collector",
    namespace=OBSERVABILITY,
    stage=Stage.PLATFORM_SERVICES,
    features=frozenset({"logs", "traces"}),
    source=ChartSource(
        name="opentelemetry-collector",
        version="0.120.0",
        repository="https://open-telemetry.github.io/opentelemetry-helm-charts",
    ),
    values=collector_values,
    sinks=("opentelemetry-collector",),
    kubernetes=("1.24", None),  # the chart's README at 0.120.0 (its Chart.yaml declares none)
    description="The OTLP endpoint services send to; forwards metrics, logs and traces.",
)

COMPONENTS = (PROMETHEUS_OPERATOR_CRDS, KUBE_PROMETHEUS_STACK, LOKI, TEMPO, OPENTELEMETRY_COLLECTOR)
