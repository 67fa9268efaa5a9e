"""Run the Rego policy library over a whole bundle, in process, in one query.

The engine is regorus (Microsoft's Rego interpreter, in Rust) through Dockyard's own small
binding (native/dockyard_rego, built from the crate registry by `uv sync`).

Each policy file (`policies/*.rego`, one package under `dockyard.policies`) adds findings to its
`deny` set; each finding names the object, the field and what is wrong. The input is the bundle
with each workload's pod spec and containers already located, so rules stay short.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from dockyard.check import remembered
from dockyard.check.findings import Finding
from dockyard.check.rego_recursion import find_recursion
from dockyard.check.versions import DESCRIPTION as VERSION_DESCRIPTION
from dockyard.check.wiring import DESCRIPTIONS as WIRING_DESCRIPTIONS
from dockyard.errors import DockyardError, Position, printable
from dockyard.render.bundle import Bundle, Rendered
from dockyard.render.object_id import ObjectId
from dockyard.render.pods import TEMPLATE_PATHS, pod_template


class PolicyEngineFailed(DockyardError):
    """The policy engine itself failed; checks fail closed. `position`: the repo's policy file (and
    line) at fault, when the engine names one."""

    def __init__(self, message: str, position: Position | None = None) -> None:
        super().__init__(message)
        self.position = position


ENGINE_PLACE = re.compile(r"--> (?P<file>[^\s:]+)\.rego:(?P<line>\d+):(?P<column>\d+)")


def refuse_recursion(what: str, source: str, file: str, line_offset: int = 0) -> None:
    """PolicyEngineFailed at the function that recurses: the engine would overflow its stack."""
    recursion = find_recursion(source)
    if recursion is not None:
        raise PolicyEngineFailed(
            f"{what} does not compile: {recursion}", Position(file, recursion.line + line_offset, 1)
        )


def failed(what: str, error: Exception, repo_policies: Iterable[str]) -> PolicyEngineFailed:
    """The engine's error as PolicyEngineFailed, placed in policies/<name>.rego when it names one
    of the repo's policies."""
    text = first_line(error)
    place = ENGINE_PLACE.search(str(error))
    position = None
    if place and place["file"] in set(repo_policies):
        position = Position(f"policies/{place['file']}.rego", int(place["line"]), int(place["column"]))
    return PolicyEngineFailed(f"{what}: {text}", position)


@cache
def library() -> tuple[tuple[str, str], ...]:
    """(rule name, Rego source) of every built-in policy."""
    folder = resources.files("dockyard.check") / "policies"
    return tuple(
        sorted(
            (entry.name.removesuffix(".rego"), entry.read_text())
            for entry in folder.iterdir()
            if entry.name.endswith(".rego")
        )
    )


def descriptions(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each rule's reason, from the header comment of its policy file (and the schema check's)."""
    found = {
        "schema": "Every object matches the Kubernetes (or CRD) schema of the cluster's version, strictly.",
        "contract-enforced": "Every API whose contract requires credentials has an enforcer for them on the cluster.",
        "component-version": VERSION_DESCRIPTION,
        **WIRING_DESCRIPTIONS,
    }
    for name, source in (*library(), *sorted((extra or {}).items())):
        header = []
        for line in source.splitlines():
            if not line.startswith("#"):
                break
            header.append(line.lstrip("#").strip())
        found[name.replace("_", "-")] = " ".join(header) or name
    return found


DERIVED = ("pod", "containers")
"""The parts of an input object `_object` copies out of its manifest."""


def _object(rendered: Rendered) -> dict[str, Any]:
    manifest = rendered.manifest
    entry: dict[str, Any] = {
        "id": str(ObjectId.of(manifest)),
        "kind": rendered.kind,
        "manifest": manifest,
        "containers": [],
    }
    if rendered.kind in TEMPLATE_PATHS:
        path = (*TEMPLATE_PATHS[rendered.kind], "spec")
        pod = (pod_template(manifest) or {}).get("spec") or {}
        entry["pod"] = pod
        entry["pod_path"] = ".".join(path)
        entry["containers"] = [*pod.get("initContainers", []), *pod.get("containers", [])]
        entry["containers_path"] = ".".join(path) + ".containers"
    return entry


def with_relations(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Facts about objects' relations, computed once with indexes (a rule comparing every pair of
    objects grows with the square of the render), so that every built-in rule judges one object at
    a time (remembered.py): how many workloads each Service selects, which hosts of a route an
    earlier route (in id order) already routes, and whether a namespace has a NetworkPolicy that
    denies all traffic by default."""
    pods: dict[tuple[str, str, str], set[int]] = {}
    for index, entry in enumerate(objects):
        if "pod" in entry:
            manifest = entry["manifest"]
            namespace = manifest.get("metadata", {}).get("namespace", "")
            labels = (((manifest.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
            for key, value in labels.items():
                pods.setdefault((namespace, key, str(value)), set()).add(index)
    first_route: dict[str, str] = {}
    routes = sorted((e for e in objects if e["kind"] == "HTTPRoute"), key=lambda e: e["id"])
    for entry in routes:
        entry["routed_before"] = {}
        for host in (entry["manifest"].get("spec") or {}).get("hostnames") or []:
            if host in first_route:
                entry["routed_before"][host] = first_route[host]
            else:
                first_route[host] = entry["id"]
    isolated = {
        (entry["manifest"].get("metadata") or {}).get("namespace")
        for entry in objects
        if entry["kind"] == "NetworkPolicy" and _denies_everything(entry["manifest"].get("spec"))
    }
    for entry in objects:
        if entry["kind"] == "Namespace":
            entry["default_deny"] = (entry["manifest"].get("metadata") or {}).get("name") in isolated
    for entry in objects:
        if entry["kind"] != "Service":
            continue
        manifest = entry["manifest"]
        namespace = manifest.get("metadata", {}).get("namespace", "")
        selector = (manifest.get("spec") or {}).get("selector") or {}
        matches = [pods.get((namespace, key, str(value)), set()) for key, value in selector.items()]
        entry["selected_workloads"] = len(set.intersection(*matches)) if matches else 0
    return objects


def _denies_everything(spec: Any) -> bool:
    """A default-deny NetworkPolicy: every pod, both directions, no rule that lets anything in or out
    (a rule list that is there, even empty, is a rule as Rego's `not` reads it)."""
    if not isinstance(spec, dict) or spec.get("podSelector") != {}:
        return False
    types = spec.get("policyTypes")
    if not isinstance(types, list) or len(types) != 2:
        return False
    return all(field not in spec or spec[field] is False for field in ("ingress", "egress"))


def check_policies(
    bundle: Bundle, *, require_digest: bool = False, extra: Mapping[str, str] | None = None, remember: bool = True
) -> list[Finding]:
    """Findings of the built-in library and of `extra` policies (the platform repo's, by rule name).
    The built-in library judges only objects it has not judged before (remembered.py; `remember`
    False judges every one); the repo's policies judge the whole input every time."""
    objects = with_relations([_object(r) for r in bundle.objects])
    for name, source in sorted((extra or {}).items()):
        refuse_recursion(f"policy {name}", source, f"policies/{name}.rego")
    items = _built_in(objects, require_digest, remember)
    if extra:  # with the built-in modules beside them (a repo rule may read theirs), only their own findings
        theirs = {name.replace("-", "_") for name in extra}
        every = [*library(), *sorted(extra.items())]
        found = _evaluate(every, [_json_bytes(e) for e in objects], require_digest, extra)
        items += [(package, item) for package, item in found if package in theirs]
    sources = {entry["id"]: rendered.source for entry, rendered in zip(objects, bundle.objects, strict=True)}
    findings = []
    for package, item in items:
        rule = package.replace("_", "-")
        if not _well_formed(item):
            raise PolicyEngineFailed(
                f"policy {rule} denies with {_shown(item)}: each finding must be an object with the "
                'strings "object" (an input object\'s id), "message" and optionally "path"',
                Position(f"policies/{rule}.rego", 1, 1) if rule in (extra or {}) else None,
            )
        findings.append(
            Finding(
                sources[item["object"]].position if item["object"] in sources else Position(""),
                item["object"],
                item.get("path", ""),
                rule,
                item["message"],
            )
        )
    return sorted(findings)


def _built_in(objects: list[dict[str, Any]], require_digest: bool, remember: bool) -> list[tuple[str, Any]]:
    """The built-in library's findings as (package, finding), each once as the engine's `deny` sets
    have them: remembered ones, and the objects not judged before evaluated together. An object is
    known by its entry without the parts `_object` derives from its manifest (its pod and
    containers): the code that derives them is in the library's digest."""
    if not remember:
        return _evaluate(library(), [_json_bytes(e) for e in objects], require_digest, {})
    digest = remembered.library_digest(library(), Path(__file__).read_bytes())
    keys = [
        remembered.key(_json_bytes({k: v for k, v in e.items() if k not in DERIVED}), require_digest) for e in objects
    ]
    known = remembered.recall(digest, keys)
    todo = [index for index, k in enumerate(keys) if k not in known]
    found = _evaluate(library(), [_json_bytes(objects[i]) for i in todo], require_digest, {}) if todo else []
    by_object: dict[str, list[tuple[str, str, str]]] = {}
    for package, item in found:
        if _well_formed(item):
            by_object.setdefault(item["object"], []).append((package, item.get("path", ""), item["message"]))
    ids = Counter(entry["id"] for entry in objects)
    judged = [(keys[i], tuple(by_object.get(objects[i]["id"], ()))) for i in todo]
    # two objects under one id (kinds of two API versions): whose finding is whose cannot be told,
    # so each is given the id's findings this time and neither is remembered
    remembered.remember(digest, [(k, v) for (k, v), i in zip(judged, todo, strict=True) if ids[objects[i]["id"]] == 1])
    known.update(judged)
    found_once = dict.fromkeys(
        (entry["id"], *finding) for entry, k in zip(objects, keys, strict=True) for finding in known[k]
    )
    return [(package, {"object": id_, "path": path, "message": message}) for id_, package, path, message in found_once]


def _evaluate(
    policies: Iterable[tuple[str, str]], texts: list[bytes], require_digest: bool, extra: Mapping[str, str]
) -> list[tuple[str, Any]]:
    """Every finding of `policies` over the objects whose JSON is `texts`, as (package, finding)."""
    from dockyard_rego import Engine

    engine = Engine()
    for name, source in policies:
        try:
            engine.add_policy(f"{name}.rego", source)
        except ValueError as error:
            raise failed(f"policy {name} does not compile", error, extra) from None
    document = b'{"objects":[' + b",".join(texts) + b'],"requireDigest":' + (b"true" if require_digest else b"false")
    try:
        engine.set_input_json((document + b"}").decode())
        output = orjson.loads(engine.eval_query_as_json("data.dockyard.policies"))
        results = output["result"][0]["expressions"][0]["value"] if output.get("result") else {}
    except ValueError as error:
        raise failed("the policy engine failed", error, extra) from None
    except (KeyError, IndexError, TypeError) as error:
        raise PolicyEngineFailed(f"the policy engine gave an unexpected answer ({error!r})") from None
    return [
        (package, item)
        for package, result in sorted(results.items())
        for item in (result.get("deny", []) if isinstance(result, dict) else [])
    ]


def _well_formed(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("object"), str)
        and isinstance(item.get("message"), str)
        and isinstance(item.get("path", ""), str)
    )


def _shown(item: Any) -> str:
    text = json.dumps(item, default=str)
    return printable(text if len(text) <= 80 else text[:77] + "...")


def _json_bytes(document: Any) -> bytes:
    """An input object as JSON (orjson: a tenth of the time of json for 10,000 objects; json where
    orjson refuses a value, an integer beyond 64 bits)."""
    try:
        return orjson.dumps(document, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return json.dumps(document).encode()


def first_line(error: Exception) -> str:
    """An engine error as one short line."""
    text = " ".join(str(error).split())
    return text[:300]
