"""Every Secret and ConfigMap a pod reads (env, envFrom, volumes) will exist, with the key it reads:
in the render, made by a lifecycle task, or made at run time by a controller the render installs.
Every Service an admission webhook or an APIService sends to exists too."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from dockyard.check.findings import Finding
from dockyard.check.wiring.facts import Facts, Pod
from dockyard.render.object_id import ObjectId

RULE = "wiring-reference"


def check_references(facts: Facts) -> list[Finding]:
    found: dict[Finding, None] = {}
    for pod in facts.pods:
        for kind, name, key, path in _reads(pod):
            problem = _missing(facts, kind, pod.namespace, name, key)
            if problem:
                found[Finding(pod.owner.source.position, str(ObjectId.of(pod.owner.manifest)), path, RULE, problem)] = (
                    None
                )
    findings = list(found)
    for rendered in facts.bundle.objects:
        if rendered.kind not in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService"):
            continue
        hooks = rendered.manifest.get("webhooks") or [{"clientConfig": rendered.manifest.get("spec") or {}}]
        for index, hook in enumerate(hooks):
            service = (hook.get("clientConfig") or {}).get("service")
            if not service or (service.get("namespace"), service.get("name")) in facts.services:
                continue
            findings.append(
                Finding(
                    rendered.source.position,
                    str(ObjectId.of(rendered.manifest)),
                    f"webhooks[{index}].clientConfig.service" if "webhooks" in rendered.manifest else "spec.service",
                    RULE,
                    f"sends to Service {service.get('namespace')}/{service.get('name')}, which nothing on this "
                    "cluster creates: the API server would refuse what this hook is asked about",
                )
            )
    return findings


def _missing(facts: Facts, kind: str, namespace: str, name: str, key: str | None) -> str | None:
    stored = facts.stored_object(kind, namespace, name)
    if stored is None:
        return (
            f"reads {kind} {namespace}/{name}, which nothing on this cluster creates (not in the render, "
            "not made by a lifecycle task or a controller)"
        )
    if key is not None and stored.keys is not None and key not in stored.keys:
        keys = ", ".join(sorted(stored.keys)) or "none"
        return f"reads key `{key}` of {kind} {namespace}/{name}, which {stored.made_by} makes with keys {keys}"
    return None


def _reads(pod: Pod) -> Iterator[tuple[str, str, str | None, str]]:
    """(kind, name, key or None, path) of every required Secret or ConfigMap the pod reads."""
    for c_index, container in enumerate(pod.spec.get("initContainers") or []):
        yield from _container_reads(container, f"{pod.path}.initContainers[{c_index}]")
    for c_index, container in enumerate(pod.spec.get("containers") or []):
        yield from _container_reads(container, f"{pod.path}.containers[{c_index}]")
    for v_index, volume in enumerate(pod.spec.get("volumes") or []):
        path = f"{pod.path}.volumes[{v_index}]"
        if "secret" in volume:
            yield from _named("Secret", volume["secret"], "secretName", path)
        if "configMap" in volume:
            yield from _named("ConfigMap", volume["configMap"], "name", path)
        for s_index, source in enumerate((volume.get("projected") or {}).get("sources") or []):
            for kind, field in (("Secret", "secret"), ("ConfigMap", "configMap")):
                if field in source:
                    yield from _named(kind, source[field], "name", f"{path}.projected.sources[{s_index}]")


def _container_reads(container: Mapping[str, Any], path: str) -> Iterator[tuple[str, str, str | None, str]]:
    for e_index, variable in enumerate(container.get("env") or []):
        source = variable.get("valueFrom") or {}
        for kind, field in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
            ref = source.get(field)
            if ref and not ref.get("optional") and ref.get("name"):
                yield kind, ref["name"], ref.get("key"), f"{path}.env[{e_index}]"
    for f_index, item in enumerate(container.get("envFrom") or []):
        for kind, field in (("Secret", "secretRef"), ("ConfigMap", "configMapRef")):
            ref = item.get(field)
            if ref and not ref.get("optional") and ref.get("name"):
                yield kind, ref["name"], None, f"{path}.envFrom[{f_index}]"


def _named(kind: str, ref: Mapping[str, Any], field: str, path: str) -> Iterator[tuple[str, str, str | None, str]]:
    if ref.get("optional") or not ref.get(field):
        return
    keys = [item.get("key") for item in ref.get("items") or [] if item.get("key")]
    if not keys:
        yield kind, ref[field], None, path
    for key in keys:
        yield kind, ref[field], key, path
