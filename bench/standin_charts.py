"""Stand-in charts for the benchmark: for every built-in component whose upstream chart cannot be
pulled on this machine, a chart of the same name whose values.yaml has every key Dockyard sets and
whose templates render a realistic number of objects (a Deployment, Service, ServiceAccount,
ConfigMap, RBAC, ServiceMonitor), served from a loopback Helm repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

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


def make_repository(directory: Path, charts: dict[str, tuple[str, dict]], helm: Path) -> None:
    """Package one chart per entry (name -> (version, values)) into `directory`."""
    sources = directory / "src"
    for name, (version, values) in charts.items():
        chart = sources / name
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text(yaml.safe_dump({"apiVersion": "v2", "name": name, "version": version}))
        (chart / "values.yaml").write_text(yaml.safe_dump({**values, "part": "server"}))
        for file, text in TEMPLATES.items():
            (chart / "templates" / file).write_text(text)
        subprocess.run(
            [str(helm), "package", str(chart), "--destination", str(directory)], check=True, capture_output=True
        )
