"""Validate rendered objects against the Kubernetes OpenAPI schemas of the cluster's version, offline.

The schemas are the strict JSON Schemas that the kubernetes-validate package ships per Kubernetes
minor (unknown fields are errors). Custom resources are validated against the `openAPIV3Schema`
of their CRD when the CRD is part of the rendered bundle; a kind with no known schema is a
finding of its own. One compiled validator per kind, reused for every object of that kind.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from dockyard.check.findings import Finding
from dockyard.errors import DockyardError
from dockyard.load.words import dotted
from dockyard.render.bundle import Bundle, Rendered
from dockyard.render.object_id import ObjectId


class SchemasMissing(DockyardError):
    """No schemas for the cluster's Kubernetes version."""


def schema_directory(kubernetes_version: str) -> Path:
    minor = ".".join(kubernetes_version.split(".")[:2])
    root = Path(str(resources.files("kubernetes_validate"))) / "kubernetes-json-schema"
    directory = root / f"v{minor}.0-local-strict"
    if not directory.is_dir():
        known = sorted(p.name.split("-")[0][1:].rsplit(".", 1)[0] for p in root.glob("v*-local-strict"))
        raise SchemasMissing(f"no Kubernetes schemas for version {minor}; known: {', '.join(known)}")
    return directory


def _schema_file(directory: Path, api_version: str, kind: str) -> Path:
    group, _slash, version = api_version.rpartition("/")
    prefix = f"{kind.lower()}-{group.split('.')[0]}" if group else kind.lower()
    return directory / f"{prefix}-{version}.json"


@cache
def _definitions(directory: Path) -> dict[str, Any]:
    definitions: dict[str, Any] = json.loads((directory / "_definitions.json").read_text())
    return definitions


@cache
def _validator(directory: Path, api_version: str, kind: str) -> Any:
    import jsonschema_rs

    path = _schema_file(directory, api_version, kind)
    if not path.is_file():
        return None
    schema = json.loads(path.read_text())
    gvk = (schema.get("x-kubernetes-group-version-kind") or [{}])[0]
    group = api_version.rpartition("/")[0]
    if gvk.get("group", "") != group or gvk.get("kind") != kind:
        return None  # a file of the same name for another group (e.g. a short group name clash)
    return jsonschema_rs.validator_for(schema, retriever=lambda _uri: _definitions(directory))


def _crd_validators(objects: Iterable[Rendered]) -> dict[tuple[str, str], Any]:
    import jsonschema_rs

    validators = {}
    for rendered in objects:
        if rendered.kind != "CustomResourceDefinition":
            continue
        spec = rendered.manifest.get("spec", {})
        for version in spec.get("versions", []):
            schema = (version.get("schema") or {}).get("openAPIV3Schema")
            if schema is not None:
                api_version = f"{spec['group']}/{version['name']}"
                validators[(api_version, spec["names"]["kind"])] = jsonschema_rs.validator_for(schema)
    return validators


def check_schemas(bundle: Bundle, kubernetes_version: str, *, crds_elsewhere: bool = False) -> list[Finding]:
    """Every object against its kind's schema: Kubernetes' own, or a CRD's in the render.
    `crds_elsewhere`: the render lacks the platform's components, so a kind without a schema is
    one a component's CRD defines (judged when the whole platform is rendered), not a finding."""
    directory = schema_directory(kubernetes_version)
    from_crds = _crd_validators(bundle.objects)
    findings = []
    for rendered in bundle.objects:
        name = str(ObjectId.of(rendered.manifest))
        validator = from_crds.get((rendered.api_version, rendered.kind)) or _validator(
            directory, rendered.api_version, rendered.kind
        )
        if validator is None:
            if crds_elsewhere:
                continue
            findings.append(
                Finding(
                    rendered.source.position,
                    name,
                    "",
                    "schema",
                    f"no schema for {rendered.kind} in {rendered.api_version} (Kubernetes "
                    f"{kubernetes_version}, or a CRD in the render)",
                )
            )
            continue
        for error in validator.iter_errors(rendered.manifest):
            findings.append(
                Finding(rendered.source.position, name, dotted(tuple(error.instance_path)), "schema", error.message)
            )
    return sorted(findings)
