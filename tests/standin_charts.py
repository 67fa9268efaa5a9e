"""Stand-in charts, for the benchmarks and the tests that apply the `full` and `complete` profiles:
for every built-in component whose upstream chart this machine cannot pull, a chart of the same
name whose values.yaml has every key Dockyard sets, and whose templates render what the wiring
depends on exactly as the real chart does at its pinned version with Dockyard's values (the
shapes in tests/standin_shapes.py: workloads and their pod labels and container ports, Services
with their labels, selectors and ports, ServiceMonitors, the Prometheus Operator's Prometheus and
Alertmanager, admission webhooks and where they send), plus a realistic number of other objects
(ServiceAccount, ConfigMap, RBAC). Each workload mounts a ConfigMap of the values it was given,
so the addresses in them are its configuration, as they are for the real chart's pods. Served
from a loopback Helm repository."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.standin_shapes import SHAPES

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


RESOURCES = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}}
MONITORING = ("ServiceMonitor", "PodMonitor", "Prometheus", "Alertmanager")
WEBHOOKS = ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration")


def _shaped(name: str) -> tuple[str, str]:
    """The objects of `name` as the real chart renders them (YAML written from data): the plain
    ones, and those of the Prometheus Operator's kinds (rendered only where its CRDs exist)."""
    plain: list[dict[str, Any]] = []
    monitoring: list[dict[str, Any]] = []
    for shape in SHAPES[name]:
        kind = shape["kind"]
        metadata: dict[str, Any] = {"name": shape["name"]}
        if "namespace" in shape:
            metadata["namespace"] = shape["namespace"]
        if shape.get("labels"):
            metadata["labels"] = shape["labels"]
        if kind in ("Deployment", "StatefulSet", "DaemonSet"):
            plain.append(_workload(name, shape, metadata))
        elif kind == "Service":
            spec = {"selector": shape["selector"], "ports": shape["ports"]}
            plain.append({"apiVersion": "v1", "kind": kind, "metadata": metadata, "spec": spec})
        elif kind in MONITORING:
            monitoring.append(
                {
                    "apiVersion": "monitoring.coreos.com/v1",
                    "kind": kind,
                    "metadata": metadata,
                    "spec": shape.get("spec", {}),
                }
            )
        elif kind in WEBHOOKS:
            hooks = [
                {
                    "name": hook["name"],
                    "clientConfig": {"service": hook["service"]},
                    "failurePolicy": hook["failurePolicy"],
                    "sideEffects": "None",
                    "admissionReviewVersions": ["v1"],
                }
                for hook in shape["webhooks"]
            ]
            plain.append(
                {"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind, "metadata": metadata, "webhooks": hooks}
            )
        else:
            raise ValueError(f"{name}: no stand-in for kind {kind}")
    return _documents(plain), _documents(monitoring)


def _workload(name: str, shape: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
    containers = []
    for index, declared in enumerate(shape["containers"]):
        container: dict[str, Any] = {
            "name": declared["name"],
            "image": f"registry.example.org/{shape['name']}-{index}:1.0.0",
            "ports": declared["ports"],
            "resources": RESOURCES,
            # the chart's values are its pods' configuration (addresses included)
            "volumeMounts": [{"name": "config", "mountPath": "/etc/config"}],
        }
        tcp = [p for p in declared["ports"] if p.get("protocol", "TCP") == "TCP" and "name" in p]
        if tcp:
            container["readinessProbe"] = {"tcpSocket": {"port": tcp[0]["name"]}}
        containers.append(container)
    pod = {"containers": containers, "volumes": [{"name": "config", "configMap": {"name": f"{name}-config"}}]}
    spec: dict[str, Any] = {
        "selector": {"matchLabels": shape["selector"]},
        "template": {"metadata": {"labels": shape["labels"]}, "spec": pod},
    }
    if shape["kind"] != "DaemonSet":
        spec = {"replicas": 1, **spec}
    if shape["kind"] == "StatefulSet":
        spec["serviceName"] = shape["name"]
    return {"apiVersion": "apps/v1", "kind": shape["kind"], "metadata": metadata, "spec": spec}


def _documents(objects: list[dict[str, Any]]) -> str:
    return "---\n".join(yaml.safe_dump(d, sort_keys=False) for d in objects)


def make_repository(directory: Path, charts: dict[str, tuple[str, dict]], helm: Path) -> None:
    """Package one chart per entry (name -> (version, values)) into `directory`."""
    sources = directory / "src"
    for name, (version, values) in charts.items():
        chart = sources / name
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text(yaml.safe_dump({"apiVersion": "v2", "name": name, "version": version}))
        (chart / "values.yaml").write_text(yaml.safe_dump({**values, "part": "server"}))
        for file, text in TEMPLATES.items():
            if name in SHAPES and file in ("deployment.yaml", "service.yaml", "servicemonitor.yaml"):
                continue  # the real chart's own objects instead
            (chart / "templates" / file).write_text(text)
        if name in SHAPES:
            plain, monitoring = _shaped(name)
            (chart / "templates" / "workloads.yaml").write_text(plain)
            if monitoring:
                gate = '{{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor" }}\n'
                (chart / "templates" / "monitoring.yaml").write_text(gate + monitoring + "{{- end }}\n")
        if name in CRDS:
            (chart / "crds").mkdir()
            (chart / "crds" / "crds.yaml").write_text(_module_file(*CRDS[name]))
        subprocess.run(
            [str(helm), "package", str(chart), "--destination", str(directory)], check=True, capture_output=True
        )


EXTERNAL_SECRETS = """  external-secrets:
    values:
      extraObjects:
        - apiVersion: external-secrets.io/v1
          kind: ClusterSecretStore
          metadata: {name: vault}
          spec:
            provider:
              vault:
                server: https://vault.example.org
                path: secret
                version: v2
                auth: {kubernetes: {mountPath: kubernetes, role: dockyard}}
"""
"""The External Secrets Operator (which a service's `secret` resource `from: store` switches on), with
the ClusterSecretStore of a Vault: appended to the local cluster's `components`."""
EXTERNAL_SECRETS_WAIVER = """    - rule: component-version
      object: component external-secrets*
      reason: the operator's 1.3 release is tested on Kubernetes 1.34 only; the local cluster runs 1.36
      expires: 2027-11-30
"""


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
    local.write_text(local.read_text().replace("    enabled: false\n", "    enabled: true\n") + EXTERNAL_SECRETS)
    waiver = "checks:\n  waivers:\n" + EXTERNAL_SECRETS_WAIVER
    local.write_text(local.read_text().replace("checks:\n", waiver, 1))
    payments = repo / "services" / "payments" / "score.yaml"  # its provider's key from a secret manager
    payments.write_text(
        payments.read_text().replace("keys: [apiKey]", "keys: [apiKey]\n      from: store\n      store: vault")
    )
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
