"""Stand-in charts, for the benchmarks and the tests that apply the `full` and `complete` profiles:
for every built-in component whose upstream chart this machine cannot pull, a chart of the same
name whose values.yaml has every key Dockyard sets, and whose templates render what the wiring
depends on exactly as the real chart does at its pinned version (SHAPES: Service names, ports
and target ports, pod labels, container ports; read from the real charts' templates, see each
entry), plus a realistic number of other objects (ServiceAccount, ConfigMap, RBAC, ServiceMonitor).
Served from a loopback Helm repository."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[1]

TEMPLATES = {
    "deployment.yaml": """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-{{ .Values.part }}
  labels: {app.kubernetes.io/name: {{ .Release.Name }}, app.kubernetes.io/instance: {{ .Release.Name }}}
spec:
  replicas: 1
  selector: {matchLabels: {app.kubernetes.io/name: {{ .Release.Name }}}}
  template:
    metadata: {labels: {app.kubernetes.io/name: {{ .Release.Name }}}}
    spec:
      serviceAccountName: {{ .Release.Name }}
      containers:
        - name: main
          image: registry.example.org/{{ .Release.Name }}:1.0.0
          args: [{{- range $k, $v := .Values }}"--{{ $k }}",{{- end }}"--end"]
          ports: [{containerPort: 8080, name: http}]
          readinessProbe: {httpGet: {path: /ready, port: http}}
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi}}
""",
    "service.yaml": """apiVersion: v1
kind: Service
metadata: {name: {{ .Release.Name }}}
spec:
  selector: {app.kubernetes.io/name: {{ .Release.Name }}}
  ports: [{name: http, port: 80, targetPort: http}]
""",
    "serviceaccount.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: {{ .Release.Name }}}\n",
    "configmap.yaml": """apiVersion: v1
kind: ConfigMap
metadata: {name: {{ .Release.Name }}-config}
data:
  values.json: {{ toJson .Values | quote }}
""",
    "rbac.yaml": """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: {{ .Release.Name }}-{{ .Release.Namespace }}}
rules: [{apiGroups: [""], resources: [pods, services, endpoints], verbs: [get, list, watch]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: {{ .Release.Name }}-{{ .Release.Namespace }}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {{ .Release.Name }}-{{ .Release.Namespace }}}
subjects: [{kind: ServiceAccount, name: {{ .Release.Name }}, namespace: {{ .Release.Namespace }}}]
""",
    "servicemonitor.yaml": """{{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor" }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: {{ .Release.Name }}}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: {{ .Release.Name }}}}
  endpoints: [{port: http}]
{{- end }}
""",
}


@dataclass(frozen=True)
class Workload:
    """One workload of a real chart, as the wiring sees it."""

    name: str
    labels: dict[str, str]
    """Its pods' labels (the real chart's selector labels)."""
    ports: dict[str, int]
    """Container ports by name."""
    services: dict[str, list[tuple[str, int, int | str]]] = field(default_factory=dict)
    """Services selecting these pods: name -> [(port name, port, target port)]."""


SHAPES: dict[str, list[Workload]] = {
    # keycloakx 7.0.1 (codecentric/helm-charts tag keycloakx-7.0.1): templates/service-http.yaml,
    # statefulset.yaml; fullnameOverride keycloak
    "keycloak": [
        Workload(
            "keycloak",
            {"app.kubernetes.io/name": "keycloakx", "app.kubernetes.io/instance": "keycloak"},
            {"http": 8080, "http-internal": 9000, "https": 8443},
            {
                "keycloak-http": [
                    ("http-internal", 9000, "http-internal"),
                    ("http", 80, "http"),
                    ("https", 8443, "https"),
                ]
            },
        )
    ],
    # oauth2-proxy 7.12.0 (oauth2-proxy/manifests tag oauth2-proxy-7.12.0): templates/service.yaml
    "oauth2-proxy": [
        Workload(
            "oauth2-proxy",
            {"app.kubernetes.io/name": "oauth2-proxy", "app.kubernetes.io/instance": "oauth2-proxy"},
            {"http": 4180, "metrics": 44180},
            {"oauth2-proxy": [("http", 80, "http"), ("metrics", 44180, "metrics")]},
        )
    ],
    # opentelemetry-collector 0.120.0 (tag opentelemetry-collector-0.120.0): ports from .Values.ports
    "opentelemetry-collector": [
        Workload(
            "opentelemetry-collector",
            {
                "app.kubernetes.io/name": "opentelemetry-collector",
                "app.kubernetes.io/instance": "opentelemetry-collector",
                "component": "standalone-collector",
            },
            {"otlp": 4317, "otlp-http": 4318},
            {"opentelemetry-collector": [("otlp", 4317, 4317), ("otlp-http", 4318, 4318)]},
        )
    ],
    # loki (grafana-community/helm-charts tag loki-18.11.0): monolithic/service.yaml, gateway/service.yaml
    "loki": [
        Workload(
            "loki",
            {
                "app.kubernetes.io/name": "loki",
                "app.kubernetes.io/instance": "loki",
                "app.kubernetes.io/component": "single-binary",
            },
            {"http-metrics": 3100, "grpc": 9095},
            {"loki": [("http-metrics", 3100, "http-metrics"), ("grpc", 9095, "grpc")]},
        ),
        Workload(
            "loki-gateway",
            {
                "app.kubernetes.io/name": "loki",
                "app.kubernetes.io/instance": "loki",
                "app.kubernetes.io/component": "gateway",
            },
            {"http": 8080},
            {"loki-gateway": [("http", 80, "http")]},
        ),
    ],
    # tempo (grafana-community/helm-charts tag tempo-2.2.4; 2.3.0 changes only Chart.yaml): templates/service.yaml
    "tempo": [
        Workload(
            "tempo",
            {"app.kubernetes.io/name": "tempo", "app.kubernetes.io/instance": "tempo"},
            {"prom-metrics": 3200, "otlp-grpc": 4317, "otlp-http": 4318},
            {
                "tempo": [
                    ("tempo-prom-metrics", 3200, 3200),
                    ("grpc-tempo-otlp", 4317, 4317),
                    ("tempo-otlp-http", 4318, 4318),
                ]
            },
        )
    ],
    # kube-prometheus-stack (prometheus-community/helm-charts tag kube-prometheus-stack-88.5.3): the
    # Prometheus and Alertmanager pods come from the operator; Grafana from the grafana subchart
    "kube-prometheus-stack": [
        Workload(
            "prometheus",
            {"app.kubernetes.io/name": "prometheus", "operator.prometheus.io/name": "kube-prometheus-stack-prometheus"},
            {"http-web": 9090, "reloader-web": 8080},
            {"kube-prometheus-stack-prometheus": [("http-web", 9090, 9090), ("reloader-web", 8080, "reloader-web")]},
        ),
        Workload(
            "alertmanager",
            {"app.kubernetes.io/name": "alertmanager", "alertmanager": "kube-prometheus-stack-alertmanager"},
            {"http-web": 9093, "reloader-web": 8080},
            {"kube-prometheus-stack-alertmanager": [("http-web", 9093, 9093)]},
        ),
        Workload(
            "grafana",
            {"app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": "kube-prometheus-stack"},
            {"grafana": 3000},
            {"kube-prometheus-stack-grafana": [("http-web", 80, "grafana")]},
        ),
    ],
    # istiod (istio/istio tag 1.30.3, manifests/charts/istio-control/istio-discovery): templates/service.yaml,
    # deployment.yaml
    "istiod": [
        Workload(
            "istiod",
            {"app": "istiod", "istio": "pilot"},
            {
                "http-debug": 8080,
                "grpc-xds": 15010,
                "tls-xds": 15012,
                "https-webhooks": 15017,
                "http-monitoring": 15014,
            },
            {
                "istiod": [
                    ("grpc-xds", 15010, 15010),
                    ("https-dns", 15012, 15012),
                    ("https-webhook", 443, 15017),
                    ("http-monitoring", 15014, 15014),
                ]
            },
        )
    ],
}


CRDS: dict[str, tuple[str, str, str]] = {
    # Istio's CRDs, from its API module at the release's branch (the istio-base chart installs these)
    "istio-base": ("istio.io/api", "v1.30.8", "kubernetes/customresourcedefinitions.gen.yaml"),
}
"""The real CRDs a stand-in installs, from the upstream's Go module: (module, version, file)."""


def _module_file(module: str, version: str, path: str) -> str:
    done = subprocess.run(
        ["go", "mod", "download", "-json", f"{module}@{version}"], capture_output=True, text=True, check=True
    )
    return (Path(json.loads(done.stdout)["Dir"]) / path).read_text()


def _shaped(name: str) -> str:
    """The workloads and Services of `name` as the real chart names them (YAML written from data)."""
    documents: list[dict] = []
    for workload in SHAPES[name]:
        container = {
            "name": "main",
            "image": f"registry.example.org/{workload.name}:1.0.0",
            "ports": [{"name": port, "containerPort": number} for port, number in workload.ports.items()],
            "readinessProbe": {"tcpSocket": {"port": next(iter(workload.ports))}},
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        }
        documents.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": workload.name, "labels": workload.labels},
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": workload.labels},
                    "template": {
                        "metadata": {"labels": workload.labels},
                        "spec": {
                            "containers": [
                                {**container, "volumeMounts": [{"name": "config", "mountPath": "/etc/config"}]}
                            ],
                            # the chart's values are its pods' configuration (addresses included)
                            "volumes": [{"name": "config", "configMap": {"name": f"{name}-config"}}],
                        },
                    },
                },
            }
        )
        for service, ports in workload.services.items():
            documents.append(
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": service},
                    "spec": {
                        "selector": workload.labels,
                        "ports": [{"name": n, "port": p, "targetPort": t} for n, p, t in ports],
                    },
                }
            )
    return "---\n".join(yaml.safe_dump(d, sort_keys=False) for d in documents)


def make_repository(directory: Path, charts: dict[str, tuple[str, dict]], helm: Path) -> None:
    """Package one chart per entry (name -> (version, values)) into `directory`."""
    sources = directory / "src"
    for name, (version, values) in charts.items():
        chart = sources / name
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text(yaml.safe_dump({"apiVersion": "v2", "name": name, "version": version}))
        (chart / "values.yaml").write_text(yaml.safe_dump({**values, "part": "server"}))
        for file, text in TEMPLATES.items():
            if name in SHAPES and file in ("deployment.yaml", "service.yaml"):
                continue  # the real chart's own names and ports instead
            (chart / "templates" / file).write_text(text)
        if name in SHAPES:
            (chart / "templates" / "workloads.yaml").write_text(_shaped(name))
        if name in CRDS:
            (chart / "crds").mkdir()
            (chart / "crds" / "crds.yaml").write_text(_module_file(*CRDS[name]))
        subprocess.run(
            [str(helm), "package", str(chart), "--destination", str(directory)], check=True, capture_output=True
        )


def complete_repo(root: Path) -> tuple[Path, int]:
    """The example shop with profile `complete` and every component on, its charts pulled: the real
    pinned ones, and stand-ins (same names) for those this machine cannot pull; and how many
    stand-ins. Shared with the wiring benchmark."""
    from dockyard.errors import Problems
    from dockyard.render.components.catalog import choose
    from dockyard.tools.build import binary_path
    from tests.charts import index, platform_of, serve

    repo = root / "repo"
    shutil.copytree(PROJECT / "examples" / "shop", repo)
    dev = repo / "environments" / "dev.yaml"
    dev.write_text(dev.read_text().replace("profile: dev-fast", "profile: complete"))
    local = repo / "clusters" / "local.yaml"
    local.write_text(local.read_text().replace("    enabled: false\n", "    enabled: true\n"))
    platform = platform_of(repo)
    standins = {  # a Go module's chart is the real one: this machine reaches the module proxy
        c.component.name: ("1.0.0", c.component.values(platform))
        for c in choose(platform, Problems())
        if c.component.source is not None and c.component.source.gomodule is None
    }
    helm = binary_path("helm")
    make_repository(root / "charts-repo", standins, helm)
    with serve(root / "charts-repo") as url:
        index(root / "charts-repo", url)
        overrides = "".join(
            f"  {name}:\n    chart: {{repository: '{url}', name: {name}, version: 1.0.0}}\n"
            for name in sorted(standins)
        )
        (repo / "platform.yaml").write_text((repo / "platform.yaml").read_text() + "components:\n" + overrides)
        subprocess.run(
            [sys.executable, "-m", "dockyard.cli", "charts", "pull", str(repo)], check=True, capture_output=True
        )
    return repo, len(standins)
