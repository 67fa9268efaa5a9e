"""A service's own objects: ServiceAccount, Deployment, Service, files, autoscaling, disruption
budget, scrape target and its network policy, all with secure defaults.

Containers run as non-root with a read-only root filesystem (an emptyDir is mounted at /tmp),
no privilege escalation and every capability dropped; the pod does not mount an API token.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from typing import Any

from dockyard.errors import printable
from dockyard.load.schemas import IMAGE_REFERENCE
from dockyard.model.consistency import quantity
from dockyard.model.service import Container, ExecProbe, Probe, Ready, Service
from dockyard.model.settings import Autoscaling, Job
from dockyard.render import platform_names
from dockyard.render.bundle import obj
from dockyard.render.labels import selector
from dockyard.render.placeholders import Context, Piece, SecretRef, Unresolvable, expand, expand_plain
from dockyard.render.provisioners.base import Peer

OTLP_PORT = 4318


class WorkloadProblem(Exception):
    """A part of score.yaml cannot be rendered; `path` says which. `more`: further problems of the
    same service, so every one is reported at once."""

    def __init__(self, path: tuple[str | int, ...], message: str, more: tuple[WorkloadProblem, ...] = ()) -> None:
        super().__init__(message)
        self.path, self.message, self.more = path, message, more

    def each(self) -> list[WorkloadProblem]:
        return [self, *(p for problem in self.more for p in problem.each())]


def _gathered(problems: list[WorkloadProblem]) -> None:
    """Raise every problem found (none: return)."""
    every = [each for problem in problems for each in problem.each()]
    if every:
        raise WorkloadProblem(every[0].path, every[0].message, tuple(every[1:]))


@dataclass
class Wiring:
    """What the provisioners and other services add to this service's objects."""

    context: Context
    egress: list[Peer] = field(default_factory=list)
    ingress: list[Peer] = field(default_factory=list)
    """Connections this service accepts: from the gateway, from services that depend on it."""
    service_labels: dict[str, str] = field(default_factory=dict)
    telemetry: bool = True
    """Whether the cluster runs the OTLP collector services send to (else the SDKs are told to stay off)."""


def render_service(
    service: Service, namespace: str, wiring: Wiring, environment: str, repo_files: Mapping[str, bytes]
) -> list[dict[str, Any]]:
    settings = service.settings
    named = settings.metrics.port
    if settings.job is None and named and all(port.name != named for port in service.ports):
        ports = ", ".join(port.name for port in service.ports) or "none"
        raise WorkloadProblem(
            ("service", "ports") if service.ports else ("metadata", "name"),
            f"the layers name `{named}` as the metrics port (metrics.port), but the service has no port of that name "
            f"(ports: {ports}): name one of its ports there, or give it that port",
        )
    files = _files(service, wiring.context, repo_files)
    volumes, mounts = _volumes(service, wiring.context, files)
    built, problems = {}, []
    for container in service.containers:
        try:
            built[container.name] = _container(
                service, container, wiring, environment, namespace, mounts.get(container.name, [])
            )
        except WorkloadProblem as problem:
            problems.append(problem)
    _gathered(problems)
    containers = [built[c.name] for c in service.containers if c.starts_first is None]
    init_containers = [built[c.name] for c in _started_first(service.containers)]
    manifests: list[dict[str, Any]] = [
        obj("v1", "ServiceAccount", service.name, namespace, automountServiceAccountToken=False)
    ]
    if files:
        data = {key: c for key, (_target, _mode, c) in sorted(files.items()) if not isinstance(c, Binary)}
        binary = {key: c.text for key, (_target, _mode, c) in sorted(files.items()) if isinstance(c, Binary)}
        contents: dict[str, Any] = {"data": data} if data else {}
        if binary:
            contents["binaryData"] = binary
        manifests.append(obj("v1", "ConfigMap", f"{service.name}-files", namespace, **contents))
    template = _pod_template(service, init_containers, containers, volumes, files)
    if settings.job is not None:  # runs to completion: no Service, autoscaler, budget or scrape target
        manifests.append(_cron_job(service, namespace, template, settings.job))
        manifests.append(_network_policy(service, namespace, wiring, None))
        return manifests
    manifests.append(_deployment(service, namespace, template))
    if service.ports:
        manifests.append(_service_object(service, namespace, wiring.service_labels))
    if settings.autoscaling.enabled:
        manifests.append(_autoscaler(service, namespace, settings.autoscaling))
    budget = settings.disruption_budget
    if budget:
        limits = {"minAvailable": budget.min_available, "maxUnavailable": budget.max_unavailable}
        manifests.append(
            obj(
                "policy/v1",
                "PodDisruptionBudget",
                service.name,
                namespace,
                spec={
                    **{k: v for k, v in limits.items() if v is not None},
                    "selector": {"matchLabels": selector(service)},
                },
            )
        )
    metrics_port = settings.metrics.port
    if metrics_port:
        manifests.append(_service_monitor(service, namespace, metrics_port, settings.metrics.path))
    manifests.append(_network_policy(service, namespace, wiring, metrics_port))
    return manifests


def _container(
    service: Service,
    container: Container,
    wiring: Wiring,
    environment: str,
    namespace: str,
    mounts: list[dict[str, Any]],
) -> dict[str, Any]:
    image = _plain(container.image, wiring, ("containers", container.name, "image"))
    if image != container.image and not IMAGE_REFERENCE.search(image):
        raise WorkloadProblem(
            ("containers", container.name, "image"),
            f"with its placeholders filled, the image is `{printable(image)}`, not an image reference such as "
            "registry.example.org/team/app:1.2.3",
        )
    result: dict[str, Any] = {"name": container.name, "image": image}
    for field_name, given in (("command", container.command), ("args", container.args)):
        if given is not None:  # escaped: Kubernetes would expand a (secret) variable there
            result[field_name] = [
                kubernetes_literal(_plain(arg, wiring, ("containers", container.name, field_name, index)))
                for index, arg in enumerate(given)
            ]
    env = _env(container, wiring)
    names = {e["name"] for e in env}
    own = any(
        n == "OTEL_SDK_DISABLED" or (n.startswith("OTEL_EXPORTER_OTLP_") and n.endswith("ENDPOINT")) for n in names
    )
    sending = [("OTEL_EXPORTER_OTLP_ENDPOINT", platform_names.OTLP_ENDPOINT)] if wiring.telemetry else []
    if not wiring.telemetry and not own:  # no collector here: not an address that nothing answers
        sending = [("OTEL_SDK_DISABLED", "true")]  # (a container that sends elsewhere decides for itself)
    for name, value in (
        ("OTEL_SERVICE_NAME", service.name),
        *sending,
        ("OTEL_RESOURCE_ATTRIBUTES", f"deployment.environment={environment},service.namespace={namespace}"),
    ):
        if name not in names:
            env.append({"name": name, "value": value})
    result["env"] = env
    if container.name == _main(service).name and service.ports:
        result["ports"] = [
            {"name": p.name, "containerPort": p.target_port, "protocol": p.protocol} for p in service.ports
        ]
    result["resources"] = _resources(service, container)
    probes = (("livenessProbe", container.liveness_probe), ("readinessProbe", container.readiness_probe))
    for probe, written in probes:
        if written is not None:
            result[probe] = _probe(written)
    if container.starts_first in (Ready.STARTED, Ready.HEALTHY):
        result["restartPolicy"] = "Always"  # a native sidecar: it keeps running beside the others
    if container.starts_first is Ready.HEALTHY and container.readiness_probe is not None:
        # the kubelet starts the next container once a sidecar's startup probe passes (load requires the probe)
        result["startupProbe"] = {**_probe(container.readiness_probe), **HEALTHY_WITHIN}
    result["securityContext"] = {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }
    targets = {m["mountPath"] for m in mounts}
    result["volumeMounts"] = [*mounts, *([] if "/tmp" in targets else [{"name": "tmp", "mountPath": "/tmp"}])]
    return result


HEALTHY_WITHIN = {"periodSeconds": 2, "failureThreshold": 150}
"""How long a `ready: healthy` container has to pass its probe before it is restarted: five minutes."""


def _main(service: Service) -> Container:
    """The container that serves the workload's ports: the first (by name) that starts no other."""
    return next(c for c in service.containers if c.starts_first is None)


def _started_first(containers: tuple[Container, ...]) -> list[Container]:
    """The containers with `before`, in an order that keeps every `before` (ties by name)."""
    first = {c.name: c for c in containers if c.starts_first is not None}
    waits_for = {name: sorted(n for n, c in first.items() if name in c.before) for name in sorted(first)}
    order = TopologicalSorter(waits_for)
    order.prepare()
    ordered: list[Container] = []
    while order.is_active():
        ready = sorted(order.get_ready())
        ordered += [first[name] for name in ready]
        order.done(*ready)
    return ordered


def _plain(text: str, wiring: Wiring, path: tuple[str | int, ...]) -> str:
    try:
        return expand_plain(text, wiring.context, f"`{path[-1]}`")
    except Unresolvable as error:
        raise WorkloadProblem(path, str(error)) from None


def _env(container: Container, wiring: Wiring) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = []
    problems = []
    for name, value in container.variables.items():
        try:
            pieces = expand(value, wiring.context)
        except Unresolvable as error:
            problems.append(WorkloadProblem(("containers", container.name, "variables", name), str(error)))
            continue
        env.extend(_variable(name, pieces))
    _gathered(problems)
    return env


def kubernetes_literal(text: str) -> str:
    """`text` as Kubernetes reads a value, command or argument back unchanged: it expands `$(NAME)`
    and reduces `$$` to `$`, so a `$` before `(` or `$` is doubled (`$5` stays as it is)."""
    return re.sub(r"\$(?=[$(])", "$$", text)


def _variable(name: str, pieces: list[Piece]) -> list[dict[str, Any]]:
    """One variable; a value mixing text and secrets reads each secret into a helper variable first.

    Kubernetes expands `$(NAME)` in values and reduces `$$` to `$`; Score text means what it says,
    so it is escaped (kubernetes_literal).
    """
    if not any(isinstance(p, SecretRef) for p in pieces):
        return [{"name": name, "value": kubernetes_literal("".join(p for p in pieces if isinstance(p, str)))}]
    if len(pieces) == 1 and isinstance(pieces[0], SecretRef):
        return [{"name": name, "valueFrom": _secret_key(pieces[0])}]
    helpers: list[dict[str, Any]] = []
    parts: list[str] = []
    for piece in pieces:
        if isinstance(piece, SecretRef):
            helper = f"DOCKYARD_SECRET_{name}_{len(helpers)}"
            helpers.append({"name": helper, "valueFrom": _secret_key(piece)})
            parts.append(f"$({helper})")
        else:
            parts.append(kubernetes_literal(piece))
    return [*helpers, {"name": name, "value": "".join(parts)}]


def _secret_key(reference: SecretRef) -> dict[str, Any]:
    return {"secretKeyRef": {"name": reference.secret, "key": reference.key}}


def _resources(service: Service, container: Container) -> dict[str, Any]:
    """The container's requests and limits over the service's defaults, key by key. A limit the
    container sets without a request is also its request (Kubernetes' own rule), never the default
    request, which may be above it; a request above the limit it ends up with is an error."""
    defaults = service.settings.resources
    own_requests, own_limits = container.resources.requests, container.resources.limits
    requests = {**defaults.requests, **own_requests}
    for resource, limit in own_limits.items():
        if resource not in own_requests:
            requests[resource] = limit
    limits = {**defaults.limits, **own_limits}
    for resource, asked in requests.items():
        low, high = quantity(asked), quantity(limits.get(resource))
        if low is not None and high is not None and low > high:
            where = "the container's" if resource in own_limits else "the service's default"
            section = "requests" if resource in own_requests else "limits"
            raise WorkloadProblem(
                ("containers", container.name, "resources", section, resource),
                f"requests.{resource} {asked} is more than {where} limits.{resource} {limits[resource]}: lower "
                f"the request or raise the limit (`dockyard explain services.{service.name}.resources` shows the "
                "defaults and where they are set)",
            )
    result: dict[str, Any] = {}
    for section, merged in (("requests", requests), ("limits", limits)):
        if merged:
            result[section] = dict(sorted(merged.items()))
    return result


def _probe(probe: Probe) -> dict[str, Any]:
    if isinstance(probe, ExecProbe):
        return {"exec": {"command": list(probe.command)}}
    http: dict[str, Any] = {}
    if probe.host is not None:
        http["host"] = probe.host
    if probe.scheme is not None:
        http["scheme"] = probe.scheme
    http["path"], http["port"] = probe.path, probe.port
    if probe.headers:
        http["httpHeaders"] = [{"name": name, "value": value} for name, value in probe.headers]
    return {"httpGet": http}


def _files(
    service: Service, context: Context, repo_files: Mapping[str, bytes]
) -> dict[str, tuple[str, int | None, str | Binary]]:
    """ConfigMap key -> (container:target, mode, content) for every file of every container."""
    files: dict[str, tuple[str, int | None, str | Binary]] = {}
    for container in service.containers:
        for entry in container.files:
            path = ("containers", container.name, "files", entry.key)
            target = entry.target
            if entry.binary_content is not None:
                files[_config_key(files, container.name, target)] = (
                    f"{container.name}:{target}",
                    entry.mode,
                    Binary(entry.binary_content),
                )
                continue
            content = entry.content
            if content is None and entry.source is not None:
                raw = repo_files.get(service.repo_path(entry.source))
                try:
                    content = raw.decode("utf-8") if raw is not None else None
                except UnicodeDecodeError:
                    raise WorkloadProblem((*path, "source"), "file sources must be UTF-8 text") from None
                if content is None:
                    raise WorkloadProblem((*path, "source"), f"`{entry.source}` was not loaded")
            if content is None:
                raise WorkloadProblem(path, "a file needs exactly one of `content`, `binaryContent` or `source`")
            if not entry.no_expand:
                try:
                    content = expand_plain(content, context, "file content")
                except Unresolvable as error:
                    raise WorkloadProblem(path, str(error)) from None
            files[_config_key(files, container.name, target)] = (f"{container.name}:{target}", entry.mode, content)
    return files


@dataclass(frozen=True)
class Binary:
    """A file's bytes as Score's binaryContent gives them (base64): ConfigMap binaryData."""

    text: str


def _config_key(files: Mapping[str, object], container: str, target: str) -> str:
    """The file's key in the ConfigMap: its path with what a key may not hold replaced; two paths
    that come out the same (`/etc/a.b`, `/etc/a_b`) keep apart by a digest of the path."""
    key = re.sub(r"[^-._a-zA-Z0-9]", "_", f"{container}{target}")
    if key in files:
        key = f"{key}-{hashlib.sha256(f'{container}:{target}'.encode()).hexdigest()[:8]}"
    return key


def _volumes(
    service: Service, context: Context, files: dict[str, tuple[str, int | None, str | Binary]]
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    volumes: list[dict[str, Any]] = [{"name": "tmp", "emptyDir": {}}]
    mounts: dict[str, list[dict[str, Any]]] = {c.name: [] for c in service.containers}
    if files:
        items = []
        for key, (owner, mode, _content) in sorted(files.items()):
            owner_name, target = owner.split(":", 1)
            item: dict[str, Any] = {"key": key, "path": key}
            if mode is not None:
                item["mode"] = mode
            items.append(item)
            mounts[owner_name].append({"name": "files", "mountPath": target, "subPath": key, "readOnly": True})
        volumes.append({"name": "files", "configMap": {"name": f"{service.name}-files", "items": items}})
    for container in service.containers:
        for entry in container.volumes:
            claim = _claim(entry.source, context, ("containers", container.name, "volumes", entry.key, "source"))
            name = f"volume-{len(volumes)}"
            volumes.append({"name": name, "persistentVolumeClaim": {"claimName": claim}})
            mount: dict[str, Any] = {"name": name, "mountPath": entry.target}
            if entry.path:
                mount["subPath"] = entry.path.lstrip("/")
            if entry.read_only:
                mount["readOnly"] = True
            mounts[container.name].append(mount)
    return volumes, mounts


def _claim(source: str, context: Context, path: tuple[str | int, ...]) -> str:
    whole = re.fullmatch(r"\$\{resources\.([^.}]+)\}", source)
    if whole:
        outputs = context.outputs.get(whole.group(1))
        if outputs is None or not isinstance(outputs.get("source"), str):
            raise WorkloadProblem(path, f"`{source}` must name a `volume` resource of this workload")
        return str(outputs["source"])
    try:
        return expand_plain(source, context, "a volume source")
    except Unresolvable as error:
        raise WorkloadProblem(path, str(error)) from None


def _workload_annotations(service: Service) -> dict[str, str]:
    """The workload's `metadata.annotations` (Score), for its pods (load checked their keys)."""
    written = service.source.data["metadata"].get("annotations") or {}
    return {str(k): str(v) for k, v in written.items()}


def _pod_template(
    service: Service,
    init_containers: list[dict[str, Any]],
    containers: list[dict[str, Any]],
    volumes: list[dict[str, Any]],
    files: dict[str, tuple[str, int | None, str | Binary]],
) -> dict[str, Any]:
    """The pods' template, with the platform's secure defaults, for a Deployment or a job."""
    template_metadata: dict[str, Any] = {"labels": selector(service)}
    annotations = _workload_annotations(service)
    if files:
        digest = hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest()[:16]
        annotations["dockyard.dev/files-checksum"] = digest
    if annotations:
        template_metadata["annotations"] = dict(sorted(annotations.items()))
    return {
        "metadata": template_metadata,
        "spec": {
            "serviceAccountName": service.name,
            "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            **({"initContainers": init_containers} if init_containers else {}),
            "containers": containers,
            "volumes": volumes,
        },
    }


def _deployment(service: Service, namespace: str, template: dict[str, Any]) -> dict[str, Any]:
    rollout = service.settings.rollout
    strategy: dict[str, Any] = {"type": rollout.strategy}
    if rollout.strategy == "RollingUpdate":
        strategy["rollingUpdate"] = {"maxSurge": rollout.max_surge, "maxUnavailable": rollout.max_unavailable}
    spec: dict[str, Any] = {}
    if not service.settings.autoscaling.enabled:
        spec["replicas"] = service.settings.replicas
    spec.update(selector={"matchLabels": selector(service)}, strategy=strategy, template=template)
    return obj("apps/v1", "Deployment", service.name, namespace, spec=spec)


ON_DEMAND = "0 0 1 1 *"
"""The schedule of a job that runs only when started: never reached, because the CronJob is suspended."""


def _cron_job(service: Service, namespace: str, template: dict[str, Any], job: Job) -> dict[str, Any]:
    """A CronJob: scheduled, or suspended with its template ready for runs started by hand."""
    pods = {**template, "spec": {**template["spec"], "restartPolicy": "Never"}}
    run: dict[str, Any] = {"backoffLimit": job.retries, "ttlSecondsAfterFinished": job.finished_ttl_seconds}
    if job.timeout_seconds is not None:
        run["activeDeadlineSeconds"] = job.timeout_seconds
    run["template"] = pods
    spec: dict[str, Any] = {"schedule": job.schedule or ON_DEMAND}
    if job.schedule is None:
        spec["suspend"] = True
    if job.time_zone:
        spec["timeZone"] = job.time_zone
    spec.update(
        concurrencyPolicy=job.concurrency,
        successfulJobsHistoryLimit=job.keep_succeeded,
        failedJobsHistoryLimit=job.keep_failed,
        jobTemplate={"metadata": {"labels": selector(service)}, "spec": run},
    )
    manifest = obj("batch/v1", "CronJob", service.name, namespace, spec=spec)
    manifest["metadata"]["annotations"] = {"dockyard.dev/runs": "on-schedule" if job.schedule else "when-started"}
    return manifest


def _service_object(service: Service, namespace: str, labels: Mapping[str, str]) -> dict[str, Any]:
    manifest = obj(
        "v1",
        "Service",
        service.name,
        namespace,
        spec={
            "selector": selector(service),
            "ports": [
                {"name": p.name, "port": p.port, "targetPort": p.target_port, "protocol": p.protocol}
                for p in service.ports
            ],
        },
    )
    if labels:
        manifest["metadata"]["labels"] = dict(sorted(labels.items()))
    return manifest


def _autoscaler(service: Service, namespace: str, autoscaling: Autoscaling) -> dict[str, Any]:
    return obj(
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        service.name,
        namespace,
        spec={
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": service.name},
            "minReplicas": autoscaling.min_replicas,
            "maxReplicas": autoscaling.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {
                            "type": "Utilization",
                            "averageUtilization": autoscaling.target_cpu_percent,
                        },
                    },
                }
            ],
        },
    )


def _service_monitor(service: Service, namespace: str, port: str, path: str) -> dict[str, Any]:
    return obj(
        "monitoring.coreos.com/v1",
        "ServiceMonitor",
        service.name,
        namespace,
        spec={
            "selector": {"matchLabels": selector(service)},
            "namespaceSelector": {"matchNames": [namespace]},
            "endpoints": [{"port": port, "path": path}],
        },
    )


def _peer_rule(peer: Peer, direction: str) -> dict[str, Any]:
    selector_: dict[str, Any] = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": peer.namespace}}}
    if peer.pod_labels:
        selector_["podSelector"] = {"matchLabels": dict(peer.pod_labels)}
    rule: dict[str, Any] = {direction: [selector_]}
    if peer.ports:
        rule["ports"] = [{"protocol": protocol, "port": port} for protocol, port in sorted(set(peer.ports))]
    return rule


def _network_policy(service: Service, namespace: str, wiring: Wiring, metrics_port: str | None) -> dict[str, Any]:
    ingress = [_peer_rule(peer, "from") for peer in wiring.ingress]
    if metrics_port:
        target = next(p.target_port for p in service.ports if p.name == metrics_port)
        ingress.append(_peer_rule(Peer(platform_names.MONITORING_NAMESPACE, {}, (("TCP", target),)), "from"))
    egress = [_peer_rule(peer, "to") for peer in wiring.egress]
    if wiring.telemetry:
        egress.append(_peer_rule(Peer(platform_names.OBSERVABILITY_NAMESPACE, {}, (("TCP", OTLP_PORT),)), "to"))
    return obj(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        service.name,
        namespace,
        spec={
            "podSelector": {"matchLabels": selector(service)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": _unique(ingress),
            "egress": _unique(egress),
        },
    )


def _unique(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [rule for index, rule in enumerate(rules) if rule not in rules[:index]]
