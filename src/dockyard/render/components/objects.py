"""Render the platform's components: verify each pinned archive, render it (helm template or
plain manifests, both cached by content), and place every object in its namespace and stage.

CustomResourceDefinitions always go to the `crds` stage; everything else to the component's
stage. Objects a chart leaves without a namespace get the component's (as `helm install -n`
would do), unless their kind is cluster-scoped.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from dockyard.charts import lock, manifests, values_check
from dockyard.charts.archive import UnsafeArchive
from dockyard.charts.helm import BadManifests, Helm, HelmFailed, TemplateRequest, Templates, chart_directory, unpacked
from dockyard.errors import Position, Problem, Problems
from dockyard.model.platform import Platform
from dockyard.model.sealed import Unusable
from dockyard.render import hooks
from dockyard.render.bundle import (
    SOURCE_ANNOTATION,
    STAGE_ANNOTATION,
    ExternalSecret,
    Rendered,
    SealedSecret,
    Source,
    Stage,
    TaskRequest,
    obj,
)
from dockyard.render.components.catalog import Chosen, choose
from dockyard.render.components.component import has
from dockyard.render.components.origins import traced
from dockyard.render.object_id import CLUSTER_SCOPED
from dockyard.render.pods import pod_template, reads
from dockyard.render.sealed import sealed_secret, stamped
from dockyard.render.task_secrets import secrets_made

COMPONENT_LABEL = "dockyard.dev/component"


@dataclass
class ChartStore:
    """What rendering components needs beyond the platform: helm, and its template cache."""

    helm: Helm

    def __post_init__(self) -> None:
        self.templates = Templates(self.helm)


@dataclass(frozen=True)
class Installed:
    objects: list[Rendered]
    tasks: list[TaskRequest]
    warnings: list[Problem]
    made_at_run_time: list[ExternalSecret]
    sealed: list[SealedSecret]
    """The components' Secrets made from the repo's encrypted secrets (filled at apply time)."""


def render_components(platform: Platform, store: ChartStore, requests: Sequence[TaskRequest] = ()) -> Installed:
    """Every object and task of every chosen component; InputError with every problem found.

    `requests` are the services' task requests (the shared Postgres cluster declares their roles)."""
    problems = Problems()
    chosen = choose(platform, problems)
    root = platform.root or Path(".")
    pins = problems.attempt(partial(lock.read, root))
    if pins is None:
        problems.raise_if_any()
        return Installed([], [], [], [], [])
    bundles: list[tuple[Chosen, list[dict[str, Any]], Source]] = []
    charts: list[tuple[Chosen, Path, str, Source]] = []
    tasks: list[TaskRequest] = []
    made: list[ExternalSecret] = []
    for item in chosen:
        source = _source(platform, item, pins)
        component = item.component
        tasks += [TaskRequest(t.kind, t.name, t.data, source) for t in component.tasks(platform)]
        made += [
            ExternalSecret(component.namespace, name, None, source, f"component {component.name} at run time")
            for name in component.runtime_secrets
        ]
        if component.secrets_outside is not None:
            made += [ExternalSecret(component.namespace, n, None, source) for n in component.secrets_outside(platform)]
        if component.objects is not None:
            made_objects = problems.attempt(partial(component.objects, platform, requests))
            if made_objects is not None:  # else its settings are wrong: said with every other problem
                bundles.append((item, made_objects, source))
        if component.source is None:
            continue
        archive = problems.attempt(
            partial(lock.verified_archive, root, pins, component.name, component.source, source.position)
        )
        if archive is None:
            continue
        digest = pins.entries[component.name].sha256
        try:
            directory = chart_directory(unpacked(archive, digest))
        except UnsafeArchive as error:
            problems.append(
                Problem(pins.position(component.name), f"component `{component.name}`: unsafe archive: {error}")
            )
            continue
        if component.source.kind == "manifests":
            try:
                objects = manifests.objects(directory, digest)
            except BadManifests as error:
                problems.append(Problem(pins.position(component.name), f"component `{component.name}`: {error}"))
                continue
            patched = _patched(platform, item, objects, pins.position(component.name), problems)
            bundles.append((item, patched, source))
        else:
            charts.append((item, directory, digest, source))
    known_crds = [o for _, objects, _ in bundles for o in objects]
    for _, directory, digest, _ in charts:  # a chart's crds/ are plain files helm installs first
        if (directory / "crds").is_dir():
            with contextlib.suppress(BadManifests):  # helm template reports a broken CRD file itself
                known_crds += manifests.objects(directory / "crds", f"{digest}-crds")
    api_versions = _api_versions(platform, known_crds)
    for item, directory, digest, untraced in charts:
        source = traced(untraced, platform, item, requests, directory)
        templated = _template(platform, store, item, directory, digest, api_versions, source, problems, requests)
        if templated is not None:
            bundles.append((item, _patched(platform, item, templated, source.position, problems), source))
    problems.raise_if_any()
    crds = [o for _, objects, _ in bundles for o in objects if o.get("kind") == "CustomResourceDefinition"]
    cluster_kinds = CLUSTER_SCOPED | {
        c["spec"]["names"]["kind"] for c in crds if c.get("spec", {}).get("scope") == "Cluster"
    }
    rendered = []
    sealed: list[SealedSecret] = []
    for item, objects, source in bundles:
        excluded = set(item.component.exclude_kinds) | set(item.exclude)
        placed = [
            _place(platform, item, manifest, cluster_kinds, source)
            for manifest in objects
            if manifest.get("kind") not in excluded and hooks.installed(manifest)
        ]
        rendered += placed
        for secret in (r for r in placed if r.kind == "Secret" and _has_data(r.manifest)):
            problems.warn(_secret_warning(item, secret))
        if any(r.namespace == item.component.namespace for r in placed):
            rendered.append(_namespace(platform, item, source))
    by_tasks = {(m.namespace, m.name) for request in [*requests, *tasks] for m in secrets_made(request)}
    for item in chosen:  # once per component (a component may have objects of its own and a chart)
        source = _source(platform, item, pins)
        for name in sorted(item.secrets):
            if (item.component.namespace, name) in by_tasks:
                problems.append(
                    Problem(
                        platform.locate(("components", item.component.name, "secrets", name)),
                        f"component `{item.component.name}`: Secret {item.component.namespace}/{name} is one a "
                        "lifecycle task makes (a generated credential)",
                        "name it otherwise; to keep a generated value in the repo, `dockyard secrets export-generated`",
                    )
                )
        made_here = _sealed(platform, item, cluster_kinds, source, problems)
        rendered += [r for r, _s in made_here]
        sealed += [s for _r, s in made_here]
        has_namespace = any(r.kind == "Namespace" and r.name == item.component.namespace for r in rendered)
        if made_here and not has_namespace:
            rendered.append(_namespace(platform, item, source))
    problems.raise_if_any()
    return Installed(_rolled_on_change(rendered, sealed), tasks, problems.warnings, made, sealed)


def _rolled_on_change(rendered: list[Rendered], sealed: list[SealedSecret]) -> list[Rendered]:
    """Components' pods that read a Secret made from the repo's secrets carry its digest, so a
    changed value rolls them, as services' pods do (copies: the objects may be shared by the
    render cache)."""
    by_name = {(secret.namespace, secret.name): secret for secret in sealed}
    if not by_name:
        return rendered
    result = []
    for item in rendered:
        template = pod_template(item.manifest)
        spec = (template or {}).get("spec") or {}
        namespace = item.namespace or ""
        read = {
            by_name[(namespace, r.name)]
            for r in reads(spec, "spec", optional=True)
            if r.kind == "Secret" and (namespace, r.name) in by_name
        }
        if read:
            item = dataclasses.replace(item, manifest=stamped(copy.deepcopy(item.manifest), read))
        result.append(item)
    return result


def _sealed(
    platform: Platform,
    item: Chosen,
    cluster_kinds: frozenset[str] | set[str],
    source: Source,
    problems: Problems,
) -> list[tuple[Rendered, SealedSecret]]:
    """`components.<name>.secrets`: each Secret in the component's namespace, from the repo's secrets."""
    made = []
    for name, keys in sorted(item.secrets.items()):
        values = []
        for key, dotted in sorted(keys.items()):
            try:
                found = platform.sealed.lookup("", dotted)
            except Unusable as unusable:
                problems.append(Problem(unusable.position, f"component `{item.component.name}`: {unusable}"))
                continue
            if found is None:
                files = platform.sealed.looked_in_layers()
                problems.append(
                    Problem(
                        platform.locate(("components", item.component.name, "secrets", name, key)),
                        f"component `{item.component.name}`: no secret `{dotted}` in {', '.join(files[:-1])} or "
                        f"{files[-1]}",
                        f"set it with `dockyard secrets set {dotted} --file FILE` (the value from stdin)",
                    )
                )
                continue
            values.append((key, found))
        if len(values) == len(keys):
            manifest, secret = sealed_secret(item.component.namespace, name, values)
            made.append((_place(platform, item, manifest, cluster_kinds, source), secret))
    return made


def _patched(
    platform: Platform, item: Chosen, objects: list[dict[str, Any]], position: Any, problems: Problems
) -> list[dict[str, Any]]:
    """The upstream's objects with the component's patches merged in (copies: the objects may be
    shared by the render cache)."""
    component = item.component
    if component.patches is None:
        return objects
    result = list(objects)
    for patch in component.patches(platform):
        kind, name = patch["kind"], patch["metadata"]["name"]
        found = [
            i for i, o in enumerate(result) if o.get("kind") == kind and (o.get("metadata") or {}).get("name") == name
        ]
        if not found:
            problems.append(
                Problem(
                    position,
                    f"component `{component.name}`: {kind} {name}, which Dockyard configures, is not in "
                    f"{component.source.origin if component.source else 'its objects'}",
                    "the upstream changed its objects: update the component's patches",
                )
            )
            continue
        for index in found:
            result[index] = merge_patch(result[index], patch)
    return result


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge key by key, null removes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def _has_data(manifest: dict[str, Any]) -> bool:
    return any(manifest.get(field) for field in ("data", "stringData"))


def _secret_warning(item: Chosen, rendered: Rendered) -> Problem:
    return Problem(
        rendered.source.position,
        f"component `{item.component.name}` renders Secret {rendered.namespace}/{rendered.name} with its values, "
        "so they are in the render (and in its output files)",
        "set the chart's existing-secret value instead, to a Secret made from the repo's encrypted secrets "
        "(`components.<name>.secrets`) or one Dockyard's ensure-secret task creates",
    )


def _source(platform: Platform, item: Chosen, pins: lock.Lock) -> Source:
    """Where the object comes from: the layer that configures the component, else its pin in
    charts.lock, else the profile that switched it on."""
    if item.where is not None:
        where = item.where
        return Source(where.file, lambda: where)
    if item.component.source is None or item.component.name not in pins.entries:
        chosen_by = platform.locate(("profile",))
        return Source(chosen_by.file, lambda: chosen_by)
    position = pins.position(item.component.name)
    return Source(lock.LOCK_FILE, lambda: position)


def _template(
    platform: Platform,
    store: ChartStore,
    item: Chosen,
    directory: Path,
    digest: str,
    api_versions: tuple[str, ...],
    source: Source,
    problems: Problems,
    requests: Sequence[TaskRequest],
) -> list[dict[str, Any]] | None:
    component = item.component
    found = Problems()
    _check_values(platform, item, directory, source, found, requests)
    problems.merge(found)
    if found:
        return None
    values = values_check.merge_values(component.values_for(platform, requests), item.values)
    request = TemplateRequest(
        directory, digest, component.name, component.namespace, values, _kube_version(platform), api_versions
    )
    try:
        return store.templates.render(request)
    except (HelmFailed, BadManifests) as error:
        problems.append(Problem(source.position, f"component `{component.name}`: helm template failed: {error}"))
        return None


def _check_values(
    platform: Platform,
    item: Chosen,
    directory: Path,
    source: Source,
    found: Problems,
    requests: Sequence[TaskRequest] = (),
) -> None:
    component = item.component
    merged = values_check.merge_values(component.values_for(platform, requests), item.values)

    def locate(path: tuple[Any, ...]) -> Position:
        return platform.locate(("components", component.name, "values", *path))

    values_check.check_values(directory, component.name, item.values, merged, locate, source.position, found)
    for left_out in component.source.without if component.source is not None else ():
        switch = merged.get(left_out)
        if isinstance(switch, dict) and switch.get("enabled"):
            found.append(
                Problem(
                    locate((left_out, "enabled")),
                    f"component `{component.name}`: its chart's dependency `{left_out}` is left out (its own source "
                    "is not served here), so it cannot be switched on",
                    f"remove `{left_out}.enabled`, or give the component a chart that includes it (`chart:`)",
                )
            )


def check_pulled_values(platform: Platform, found: Problems) -> None:
    """Every pinned chart archive against its pin (its digest, and safe to unpack), and the
    component values the layers set against every chart pulled: what `validate` can say without
    rendering. A chart not pulled yet is render's to report."""
    chosen = choose(platform, found)
    root = platform.root or Path(".")
    pins = found.attempt(partial(lock.read, root))
    if pins is None:
        return
    for item in chosen:
        component = item.component
        if component.source is None:
            continue
        source = _source(platform, item, pins)
        pinned = Problems()
        archive = pinned.attempt(
            partial(lock.verified_archive, root, pins, component.name, component.source, source.position)
        )
        if archive is None:
            entry = pins.entries.get(component.name)
            if entry is not None and os.path.lexists(root / entry.archive):  # pulled, and not what was pinned
                found.extend(pinned.errors)
            continue
        try:
            directory = chart_directory(unpacked(archive, pins.entries[component.name].sha256))
        except UnsafeArchive as error:
            found.append(
                Problem(pins.position(component.name), f"component `{component.name}`: unsafe archive: {error}")
            )
            continue
        except OSError as error:  # the chart cache cannot be written: said, not an internal error
            message = f"component `{component.name}`: cannot unpack its chart: {error.strerror or error}"
            found.append(Problem(pins.position(component.name), message))
            continue
        if component.source.kind == "helm" and item.values:
            _check_values(platform, item, directory, source, found)


def _kube_version(platform: Platform) -> str:
    version = platform.cluster.kubernetes_version
    return f"v{version}.0" if version.count(".") == 1 else f"v{version}"


def _api_versions(platform: Platform, objects: list[dict[str, Any]]) -> tuple[str, ...]:
    """What `.Capabilities.APIVersions` should hold: the custom resources of the platform's own CRDs
    plus the cluster's `kubernetes.apiVersions`."""
    found = set(platform.settings.api_versions)
    for crd in objects:
        if crd.get("kind") != "CustomResourceDefinition":
            continue
        spec = crd.get("spec", {})
        for version in spec.get("versions", []):
            if version.get("served", True):
                found.add(f"{spec.get('group')}/{version.get('name')}")
                found.add(f"{spec.get('group')}/{version.get('name')}/{spec.get('names', {}).get('kind')}")
    return tuple(sorted(found))


def _place(
    platform: Platform, item: Chosen, manifest: dict[str, Any], cluster_kinds: frozenset[str] | set[str], source: Source
) -> Rendered:
    manifest = dict(manifest)
    metadata = dict(manifest.get("metadata") or {})
    kind = manifest.get("kind")
    if kind not in cluster_kinds and not metadata.get("namespace"):
        metadata["namespace"] = item.component.namespace
    stage = Stage.CRDS if kind == "CustomResourceDefinition" else Stage(item.component.stage)
    labels = {
        "app.kubernetes.io/part-of": platform.name,
        **(metadata.get("labels") or {}),
        COMPONENT_LABEL: item.component.name,
    }
    metadata["labels"] = labels
    metadata["annotations"] = {
        **(metadata.get("annotations") or {}),
        SOURCE_ANNOTATION: source.file,
        STAGE_ANNOTATION: str(stage),
    }
    manifest["metadata"] = metadata
    return Rendered(manifest, stage, source)


def _namespace(platform: Platform, item: Chosen, source: Source) -> Rendered:
    stage = Stage(item.component.stage)
    manifest = obj("v1", "Namespace", item.component.namespace, None)
    manifest["metadata"]["labels"] = {
        "app.kubernetes.io/part-of": platform.name,
        "app.kubernetes.io/managed-by": "dockyard",
    }
    if item.component.in_mesh and has(platform, "mesh"):
        manifest["metadata"]["labels"]["istio.io/dataplane-mode"] = "ambient"
    manifest["metadata"]["annotations"] = {SOURCE_ANNOTATION: source.file, STAGE_ANNOTATION: str(stage)}
    return Rendered(manifest, stage, source)
