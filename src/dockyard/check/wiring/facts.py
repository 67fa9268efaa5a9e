"""What the wiring checks look things up in, indexed once over the whole render: namespaces and
their labels, Services and their ports, pods (of every workload kind) with their labels, the
Secrets and ConfigMaps that will exist (rendered, made by a lifecycle task, or made at run time
by a controller the render installs), NetworkPolicies by namespace, Gateways and routes."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from dockyard.render.bundle import STAGES, Bundle, Rendered
from dockyard.render.components.catalog import CATALOG
from dockyard.render.components.objects import COMPONENT_LABEL
from dockyard.render.pods import TEMPLATE_PATHS, pod_template
from dockyard.render.task_points import NAMESPACES, POINTS, first_stage_served
from dockyard.render.task_secrets import secrets_made

ALWAYS_NAMESPACES = ("default", "kube-system")
WITHOUT_TEXT = frozenset(
    {
        "CustomResourceDefinition",  # schemas, not configuration
        "Namespace",
        "NetworkPolicy",
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "ClusterRole",
        "ClusterRoleBinding",
        "ResourceQuota",
        "LimitRange",
        "PodDisruptionBudget",
        "PriorityClass",
    }
)
"""Kinds whose fields hold names, selectors, numbers and rules, never an address or a URL: the
rules that search objects' text for those skip them."""
"""Namespaces every cluster has, whose Services the render may name without rendering them."""


@dataclass(frozen=True)
class ServiceInfo:
    namespace: str
    name: str
    ports: frozenset[int] | None
    """None: made at run time, ports not known here."""
    selector: Mapping[str, str] | None
    target_ports: Mapping[int, int | str] = field(default_factory=dict)
    stage: str | None = None
    origin: Rendered | None = None
    sink: bool = False
    """Clients send to it without needing it to start (a component's telemetry receiver)."""


@dataclass(frozen=True)
class Pod:
    owner: Rendered
    namespace: str
    labels: Mapping[str, str]
    spec: Mapping[str, Any]
    path: str
    """Where the pod spec is in its owner (`spec.template.spec`)."""

    @property
    def containers(self) -> list[Mapping[str, Any]]:
        return [*(self.spec.get("initContainers") or []), *(self.spec.get("containers") or [])]

    def container_port(self, name_or_number: int | str) -> int | None:
        if isinstance(name_or_number, int):
            return name_or_number
        for container in self.containers:
            for port in container.get("ports") or []:
                if port.get("name") == name_or_number:
                    return int(port.get("containerPort", 0))
        return None


@dataclass(frozen=True)
class Stored:
    """A Secret or ConfigMap that will exist: its keys when known, and what makes it."""

    keys: frozenset[str] | None
    made_by: str
    stage: str | None = None
    """The first stage whose pods can read it (None: every stage)."""
    after: str | None = None
    """For one a lifecycle task makes once a stage is healthy: that stage."""


@dataclass
class Facts:
    bundle: Bundle
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)
    services: dict[tuple[str, str], ServiceInfo] = field(default_factory=dict)
    pods: list[Pod] = field(default_factory=list)
    stored: dict[tuple[str, str, str], Stored] = field(default_factory=dict)
    """(kind, namespace, name) of Secrets and ConfigMaps."""
    every_namespace: dict[tuple[str, str], Stored] = field(default_factory=dict)
    """(kind, name) of ConfigMaps and Secrets a controller makes in every namespace."""
    policies: dict[str, list[Rendered]] = field(default_factory=dict)
    gateways: dict[tuple[str, str], Rendered] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)
    """What a rule found once and another reads again (by rule's own key)."""
    routes: list[Rendered] = field(default_factory=list)
    security_policies: list[Rendered] = field(default_factory=list)
    """Envoy Gateway's SecurityPolicies."""
    grants: dict[str, list[Rendered]] = field(default_factory=dict)
    """ReferenceGrants by namespace."""
    kinds: dict[str, list[Rendered]] = field(default_factory=dict)
    """Every object by its kind, in the render's order."""
    texts: list[Rendered] = field(default_factory=list)
    """The objects whose text may hold an address or a URL (not the kinds WITHOUT_TEXT), in the render's order."""

    def route(self, namespace: str, name: str) -> Rendered | None:
        return self._routes.get((namespace, name))

    def routes_in(self, namespace: str) -> list[Rendered]:
        return self._routes_in.get(namespace, [])

    def routes_labelled(self, namespace: str, selector: Mapping[str, Any]) -> list[Rendered]:
        """The routes of `namespace` a label selector may select: by one of its matchLabels through
        the index (the caller applies the whole selector), else every route there."""
        labels = selector.get("matchLabels") or {}
        if not labels:
            return self.routes_in(namespace)
        key, value = next(iter(labels.items()))
        return self._routes_by_label.get((namespace, key, str(value)), [])

    def pods_selected(self, namespace: str, selector: Mapping[str, str] | None) -> list[Pod]:
        if not selector:
            return []
        key, value = next(iter(selector.items()))
        candidates = self._by_label.get((namespace, key, str(value)), [])
        return [p for p in candidates if all(p.labels.get(k) == v for k, v in selector.items())]

    def pods_in(self, namespace: str) -> list[Pod]:
        return self._by_namespace.get(namespace, [])

    def service_names(self, namespace: str) -> list[str]:
        if not hasattr(self, "_service_names"):
            self._service_names: dict[str, list[str]] = {}
            for ns, name in sorted(self.services):
                self._service_names.setdefault(ns, []).append(name)
        return self._service_names.get(namespace, [])

    def pods_of(self, owner: Rendered) -> list[Pod]:
        return self._by_owner.get(id(owner), [])

    def stored_object(self, kind: str, namespace: str, name: str) -> Stored | None:
        return self.stored.get((kind, namespace, name)) or self.every_namespace.get((kind, name))

    def of_kind(self, *kinds: str) -> list[Rendered]:
        """The objects of these kinds (in the render's order within each kind)."""
        return [rendered for kind in kinds for rendered in self.kinds.get(kind, [])]

    def with_text(self) -> list[Rendered]:
        """The objects whose text may hold an address or a URL (not the kinds WITHOUT_TEXT)."""
        return self.texts

    def body_text(self, rendered: Rendered) -> str:
        """The object without its metadata, as compact JSON text, made once per object: the
        address and URL rules search it with str.find (a walk of every string in Python, or a
        regular expression over every object, costs many times more)."""
        if not hasattr(self, "_texts"):
            self._texts: dict[int, str] = {}
        text = self._texts.get(id(rendered))
        if text is None:
            text = self._texts[id(rendered)] = compact_json(
                {k: v for k, v in rendered.manifest.items() if k not in ("metadata", "apiVersion", "kind")}
            )
        return text

    def namespace_known(self, namespace: str) -> bool:
        return namespace in self.namespaces or namespace in ALWAYS_NAMESPACES

    def namespace_labels(self, namespace: str) -> dict[str, str]:
        """A namespace's labels; one the render does not make has the label every namespace has."""
        return self.namespaces.get(namespace) or {"kubernetes.io/metadata.name": namespace}

    def index(self) -> None:
        self._routes: dict[tuple[str, str], Rendered] = {}
        self._routes_in: defaultdict[str, list[Rendered]] = defaultdict(list)
        self._routes_by_label: defaultdict[tuple[str, str, str], list[Rendered]] = defaultdict(list)
        for route in self.routes:
            namespace = route.namespace or ""
            self._routes[(namespace, route.name)] = route
            self._routes_in[namespace].append(route)
            for key, value in (route.manifest["metadata"].get("labels") or {}).items():
                self._routes_by_label[(namespace, key, str(value))].append(route)
        self._by_namespace: defaultdict[str, list[Pod]] = defaultdict(list)
        self._by_label: defaultdict[tuple[str, str, str], list[Pod]] = defaultdict(list)
        self._by_owner: defaultdict[int, list[Pod]] = defaultdict(list)
        for pod in self.pods:
            self._by_namespace[pod.namespace].append(pod)
            self._by_owner[id(pod.owner)].append(pod)
            for key, value in pod.labels.items():
                self._by_label[(pod.namespace, key, str(value))].append(pod)


def compact_json(value: Any) -> str:
    """`value` as JSON text without spaces or escapes of non-ASCII characters (orjson; the standard
    encoder for what orjson refuses, such as integers beyond 64 bits)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def facts_of(bundle: Bundle) -> Facts:
    facts = Facts(bundle)
    facts.every_namespace[("ConfigMap", "kube-root-ca.crt")] = Stored(None, "Kubernetes, in every namespace")
    facts.services[("default", "kubernetes")] = ServiceInfo("default", "kubernetes", frozenset({443}), None)
    facts.services[("kube-system", "kube-dns")] = ServiceInfo("kube-system", "kube-dns", frozenset({53}), None)
    for rendered in bundle.objects:
        _add(facts, rendered)
    for sealed in bundle.sealed:  # rendered without data: its keys are the repo's secrets it holds
        stored = facts.stored.get(("Secret", sealed.namespace, sealed.name))
        stage = stored.stage if stored is not None else None
        facts.stored[("Secret", sealed.namespace, sealed.name)] = Stored(
            sealed.keys, "the render (values from the repo's encrypted secrets)", stage
        )
    for secret in bundle.external:
        facts.stored.setdefault(
            ("Secret", secret.namespace, secret.name),
            Stored(secret.keys, f"{secret.by} (as {secret.source.file} says)"),
        )
    for request in bundle.tasks:
        point = POINTS.get(request.kind, NAMESPACES)
        for made in secrets_made(request):
            facts.stored[("Secret", made.namespace, made.name)] = Stored(
                made.keys,
                f"the {request.kind} task {request.name}",
                first_stage_served(point),
                None if point == NAMESPACES else point,
            )
    facts.index()
    return facts


def _add(facts: Facts, rendered: Rendered) -> None:
    manifest, kind, namespace = rendered.manifest, rendered.kind, rendered.namespace or ""
    facts.kinds.setdefault(kind, []).append(rendered)
    if kind not in WITHOUT_TEXT:
        facts.texts.append(rendered)
    if namespace:  # a namespace of the render (its Namespace object, if rendered, sets the labels)
        facts.namespaces.setdefault(namespace, {"kubernetes.io/metadata.name": namespace})
    if kind == "Namespace":
        labels = dict(manifest["metadata"].get("labels") or {})
        labels["kubernetes.io/metadata.name"] = rendered.name
        facts.namespaces[rendered.name] = labels
    elif kind == "Service":
        spec = manifest.get("spec") or {}
        ports = spec.get("ports") or []
        facts.services[(namespace, rendered.name)] = ServiceInfo(
            namespace,
            rendered.name,
            frozenset(int(p["port"]) for p in ports if isinstance(p.get("port"), int)),
            spec.get("selector"),
            {int(p["port"]): p.get("targetPort", p["port"]) for p in ports if isinstance(p.get("port"), int)},
            rendered.stage,
            rendered,
            _is_sink(rendered),
        )
    elif kind in ("Secret", "ConfigMap"):
        keys = {*(manifest.get("data") or {}), *(manifest.get("stringData") or {}), *(manifest.get("binaryData") or {})}
        facts.stored[(kind, namespace, rendered.name)] = Stored(frozenset(keys), "the render", rendered.stage)
    elif kind == "NetworkPolicy":
        facts.policies.setdefault(namespace, []).append(rendered)
    elif kind == "Gateway" and rendered.api_version.startswith("gateway.networking.k8s.io/"):
        facts.gateways[(namespace, rendered.name)] = rendered
    elif kind == "HTTPRoute":
        facts.routes.append(rendered)
    elif kind == "SecurityPolicy" and rendered.api_version.startswith("gateway.envoyproxy.io/"):
        facts.security_policies.append(rendered)
    elif kind == "ReferenceGrant":
        facts.grants.setdefault(namespace, []).append(rendered)
    template = pod_template(manifest)
    if template is not None:
        labels = (template.get("metadata") or {}).get("labels") or {}
        path = ".".join((*TEMPLATE_PATHS[kind], "spec"))
        facts.pods.append(Pod(rendered, namespace, labels, template.get("spec") or {}, path))
    if kind not in RUN_TIME_MAKERS:
        return
    for made in _made_at_run_time(rendered):
        if isinstance(made, ServiceInfo):
            facts.services.setdefault((made.namespace, made.name), made)
        else:
            made_kind, made_namespace, name, stored = made
            facts.stored.setdefault((made_kind, made_namespace, name), stored)


def _is_sink(service: Rendered) -> bool:
    component = CATALOG.get((service.manifest["metadata"].get("labels") or {}).get(COMPONENT_LABEL, ""))
    return component is not None and service.name in component.sinks


RUN_TIME_MAKERS = frozenset({"Cluster", "Prometheus", "Alertmanager", "Certificate", "ExternalSecret"})
"""The kinds whose controllers make Services or Secrets (see _made_at_run_time)."""


def _made_at_run_time(rendered: Rendered) -> Iterator[ServiceInfo | tuple[str, str, str, Stored]]:
    """What controllers the render installs make from an object of theirs."""
    manifest, namespace, name = rendered.manifest, rendered.namespace or "", rendered.name
    group = rendered.api_version.split("/")[0]
    by = f"the controller of {rendered.kind} {namespace}/{name}"
    if group == "postgresql.cnpg.io" and rendered.kind == "Cluster":
        selector = {"cnpg.io/cluster": name}
        for suffix in ("rw", "ro", "r"):
            yield ServiceInfo(namespace, f"{name}-{suffix}", frozenset({5432}), selector, {5432: 5432}, rendered.stage)
        app_keys = frozenset({"username", "password", "dbname", "host", "port", "uri", "jdbc-uri", "pgpass", "user"})
        yield ("Secret", namespace, f"{name}-app", Stored(app_keys, by, rendered.stage))
        for secret in ("ca", "server", "replication", "superuser"):
            yield ("Secret", namespace, f"{name}-{secret}", Stored(None, by, rendered.stage))
    elif group == "monitoring.coreos.com" and rendered.kind in ("Prometheus", "Alertmanager"):
        port = 9090 if rendered.kind == "Prometheus" else 9093
        operated = f"{rendered.kind.lower()}-operated"
        yield ServiceInfo(namespace, operated, frozenset({port}), None, {}, rendered.stage)
    elif group == "external-secrets.io" and rendered.kind == "ExternalSecret":
        spec = manifest.get("spec") or {}
        target = (spec.get("target") or {}).get("name") or name
        data = [d.get("secretKey") for d in spec.get("data") or [] if isinstance(d, dict)]
        keys = None if spec.get("dataFrom") else frozenset(k for k in data if isinstance(k, str))
        yield ("Secret", namespace, str(target), Stored(keys, by, rendered.stage))
    elif group == "cert-manager.io" and rendered.kind == "Certificate":
        secret_name = (manifest.get("spec") or {}).get("secretName")
        if secret_name:
            keys = frozenset({"tls.crt", "tls.key", "ca.crt"})
            yield ("Secret", namespace, str(secret_name), Stored(keys, by, rendered.stage))


def stage_rank(stage: str | None) -> int:
    """A stage's place in the apply; none at all comes first, one past the last stage last."""
    if stage is None:
        return -1
    return STAGES.index(stage) if stage in STAGES else len(STAGES)
