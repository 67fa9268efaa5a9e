"""Where each workload kind keeps its pod template, and which Secrets and ConfigMaps a pod reads
(environment, envFrom, volumes, projected volumes). Render stamps pods that read the repo's
secrets with their digest; the wiring check proves every read will be there; the policies see
each object's pod."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

TEMPLATE_PATHS: Mapping[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "Pod": (),
}
"""The path to the pod (template) in each kind that has one: its `metadata` and `spec` are there."""


def pod_template(manifest: Mapping[str, Any]) -> dict[str, Any] | None:
    """The pod (template) of a workload, a Job, a CronJob or a Pod; None for other kinds or a
    malformed one."""
    path = TEMPLATE_PATHS.get(str(manifest.get("kind")))
    if path is None:
        return None
    found: Any = manifest
    for part in path:
        found = found.get(part) if isinstance(found, dict) else None
    return found if isinstance(found, dict) else None


@dataclass(frozen=True)
class Read:
    """A Secret or ConfigMap a pod needs to start: its key when a single one is named."""

    kind: str
    name: str
    key: str | None
    path: str
    """Where in the pod spec, under the `path` given to `reads`."""


def reads(spec: Mapping[str, Any], path: str, *, optional: bool = False) -> Iterator[Read]:
    """Every Secret or ConfigMap the pod spec needs to start; with `optional`, also those it reads
    when they exist."""
    for field in ("initContainers", "containers"):
        for index, container in enumerate(spec.get(field) or []):
            yield from _container_reads(container, f"{path}.{field}[{index}]", optional)
    for v_index, volume in enumerate(spec.get("volumes") or []):
        where = f"{path}.volumes[{v_index}]"
        if "secret" in volume:
            yield from _named("Secret", volume["secret"], "secretName", where, optional)
        if "configMap" in volume:
            yield from _named("ConfigMap", volume["configMap"], "name", where, optional)
        for s_index, source in enumerate((volume.get("projected") or {}).get("sources") or []):
            for kind, field in (("Secret", "secret"), ("ConfigMap", "configMap")):
                if field in source:
                    yield from _named(kind, source[field], "name", f"{where}.projected.sources[{s_index}]", optional)


def _container_reads(container: Mapping[str, Any], path: str, optional: bool) -> Iterator[Read]:
    for e_index, variable in enumerate(container.get("env") or []):
        source = variable.get("valueFrom") or {}
        for kind, field in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
            ref = source.get(field)
            if ref and (optional or not ref.get("optional")) and ref.get("name"):
                yield Read(kind, ref["name"], ref.get("key"), f"{path}.env[{e_index}]")
    for f_index, item in enumerate(container.get("envFrom") or []):
        for kind, field in (("Secret", "secretRef"), ("ConfigMap", "configMapRef")):
            ref = item.get(field)
            if ref and (optional or not ref.get("optional")) and ref.get("name"):
                yield Read(kind, ref["name"], None, f"{path}.envFrom[{f_index}]")


def _named(kind: str, ref: Mapping[str, Any], field: str, path: str, optional: bool) -> Iterator[Read]:
    if (ref.get("optional") and not optional) or not ref.get(field):
        return
    keys = [item.get("key") for item in ref.get("items") or [] if item.get("key")]
    if not keys:
        yield Read(kind, ref[field], None, path)
    for key in keys:
        yield Read(kind, ref[field], key, path)
