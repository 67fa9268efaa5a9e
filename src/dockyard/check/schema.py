"""Validate rendered objects against the Kubernetes OpenAPI schemas of the cluster's version, offline.

The schemas are the strict JSON Schemas that the kubernetes-validate package ships per Kubernetes
minor (unknown fields are errors). Custom resources are validated against the `openAPIV3Schema`
of their CRD when the CRD is part of the rendered bundle; a kind with no known schema is a
finding of its own. One compiled validator per kind, reused for every object of that kind, and
compiled only when an object needs it: each object's verdict is cached by its content (with the
parse cache), so an object that did not change since the last check costs a file read.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from dockyard import __version__
from dockyard.check.findings import Finding
from dockyard.errors import DockyardError
from dockyard.load.parsed import cache_dir, read_cached, write_cached
from dockyard.load.words import dotted
from dockyard.render.bundle import Bundle, Rendered
from dockyard.render.object_id import ObjectId


class SchemasMissing(DockyardError):
    """No schemas for the cluster's Kubernetes version."""


def schema_directory(kubernetes_version: str) -> Path:
    minor = ".".join(kubernetes_version.split(".")[:2])
    root = _package_directory("kubernetes_validate") / "kubernetes-json-schema"
    directory = root / f"v{minor}.0-local-strict"
    if not directory.is_dir():
        known = sorted(p.name.split("-")[0][1:].rsplit(".", 1)[0] for p in root.glob("v*-local-strict"))
        raise SchemasMissing(f"no Kubernetes schemas for version {minor}; known: {', '.join(known)}")
    return directory


@cache
def _package_directory(name: str) -> Path:
    """Where an installed package's files are, without importing it (kubernetes_validate imports
    jsonschema, a tenth of a second Dockyard does not need)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SchemasMissing(f"the package {name} (the Kubernetes schemas) is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


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


def _crd_schemas(objects: Iterable[Rendered]) -> dict[tuple[str, str], bytes]:
    """The openAPIV3Schema of every version of every CRD in the render, as canonical JSON."""
    schemas = {}
    for rendered in objects:
        if rendered.kind != "CustomResourceDefinition":
            continue
        spec = rendered.manifest.get("spec", {})
        for version in spec.get("versions", []):
            schema = (version.get("schema") or {}).get("openAPIV3Schema")
            if schema is not None:
                api_version = f"{spec['group']}/{version['name']}"
                schemas[(api_version, spec["names"]["kind"])] = orjson.dumps(schema, option=orjson.OPT_SORT_KEYS)
    return schemas


@cache
def _crd_validator(schema: bytes) -> Any:
    import jsonschema_rs

    return jsonschema_rs.validator_for(orjson.loads(schema))


Verdict = tuple[bool, tuple[tuple[str, str], ...]]
"""(a schema was found, the errors against it as (field, message))."""


def _verdict(directory: Path, rendered: Rendered, crd_schema: bytes | None) -> Verdict:
    validator = _crd_validator(crd_schema) if crd_schema else _validator(directory, rendered.api_version, rendered.kind)
    return _judged(validator, rendered)


@cache
def _salt(directory: Path) -> bytes:
    """The schemas' files and this module: either changed, every object is judged again."""
    digest = hashlib.sha256(b"schema-verdict\0" + __version__.encode() + str(directory.name).encode())
    digest.update(Path(__file__).read_bytes())
    digest.update(str(importlib.metadata.version("kubernetes-validate")).encode())
    return digest.digest()


def _key(directory: Path, rendered: Rendered, crd_schema: bytes | None) -> str:
    digest = hashlib.sha256(_salt(directory))
    digest.update(orjson.dumps(rendered.manifest, option=orjson.OPT_SORT_KEYS))
    digest.update(crd_schema or b"-")
    return digest.hexdigest()


JUDGED_DIRECTLY_FROM = 200
"""Objects of a kind from which its validator is compiled and each object judged, not looked up in
the cache: compiling a kind's validator costs 1 to 15 ms, judging an object about 6 us, and
hashing one and reading its cached verdict about 24 us (bench/check.py: 10,081 objects, 0.24 s
looked up, 0.13 s judged with every validator compiled). A small render (the example's no-op
apply) still compiles nothing for the objects it had before."""


def check_schemas(bundle: Bundle, kubernetes_version: str, *, crds_elsewhere: bool = False) -> list[Finding]:
    """Every object against its kind's schema: Kubernetes' own, or a CRD's in the render.
    `crds_elsewhere`: the render lacks the platform's components, so a kind without a schema is
    one a component's CRD defines (judged when the whole platform is rendered), not a finding."""
    directory = schema_directory(kubernetes_version)
    from_crds = _crd_schemas(bundle.objects)
    cached = cache_dir()
    kinds: dict[tuple[str, str], list[Rendered]] = {}
    for rendered in bundle.objects:
        kinds.setdefault((rendered.api_version, rendered.kind), []).append(rendered)
    findings = []
    for (api_version, kind), objects in kinds.items():
        crd_schema = from_crds.get((api_version, kind))
        if len(objects) >= JUDGED_DIRECTLY_FROM:  # the kind's validator, once, on each object
            validator = _crd_validator(crd_schema) if crd_schema else _validator(directory, api_version, kind)
            verdicts = (_judged(validator, rendered) for rendered in objects)
        else:
            verdicts = (_remembered(cached, directory, rendered, crd_schema) for rendered in objects)
        for rendered, (has_schema, errors) in zip(objects, verdicts, strict=True):
            if has_schema and not errors:
                continue
            name = str(ObjectId.of(rendered.manifest))
            if not has_schema:
                if not crds_elsewhere:
                    problem = f"no schema for {kind} in {api_version} (Kubernetes {kubernetes_version}, or a CRD "
                    problem += "in the render)"
                    findings.append(Finding(rendered.source.position, name, "", "schema", problem))
                continue
            for field, message in errors:
                findings.append(Finding(rendered.source.position, name, field, "schema", message))
    return sorted(findings)


def _judged(validator: Any, rendered: Rendered) -> Verdict:
    if validator is None:
        return False, ()
    return True, tuple((dotted(tuple(e.instance_path)), e.message) for e in validator.iter_errors(rendered.manifest))


def _remembered(cached: Path | None, directory: Path, rendered: Rendered, crd_schema: bytes | None) -> Verdict:
    """The object's verdict from the parse cache, else judged (and kept there)."""
    key = _key(directory, rendered, crd_schema) if cached else ""
    verdict = read_cached(cached, key) if cached else None
    if not (isinstance(verdict, tuple) and len(verdict) == 2):
        verdict = _verdict(directory, rendered, crd_schema)
        if cached:
            write_cached(cached, key, verdict)
    return verdict
