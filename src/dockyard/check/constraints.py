"""Gatekeeper ConstraintTemplates and Constraints run as they are: a platform repo drops
templates from the gatekeeper-library (or its own) and their Constraints into `policies/*.yaml`,
and `dockyard check` evaluates them as Gatekeeper's admission webhook would: for every object of
the teams' stages that a Constraint's `match` selects (kinds, namespaces, excluded namespaces,
label selector), the template's Rego (and its `libs`) with `input.review.object`, the review's
kind, name and namespace, and `input.parameters` from the Constraint, collecting the `msg` of its
`violation` set. A Constraint's `enforcementAction` gives the severity (`deny`; `warn` and
`dryrun` warn); its name is the rule, so severities and waivers apply as to any rule."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping, Sequence
from typing import Any

from dockyard.check.findings import Finding, Severity
from dockyard.check.policy import PolicyEngineFailed, first_line
from dockyard.check.rego_recursion import find_recursion
from dockyard.check.wiring.routes import selects
from dockyard.load.repo import rego_package
from dockyard.load.yamlsafe import Document
from dockyard.render.bundle import Bundle, Rendered
from dockyard.render.object_id import ObjectId

ACTIONS = {"deny": Severity.DENY, "warn": Severity.WARN, "dryrun": Severity.WARN}


def check_constraints(bundle: Bundle, documents: Sequence[Document]) -> list[Finding]:
    """Every Constraint over the objects its match selects (the repo's load has made sure each
    Constraint's kind is one a ConstraintTemplate here defines)."""
    templates = {
        str(d.data["spec"]["crd"]["spec"]["names"]["kind"]): d
        for d in documents
        if d.data.get("kind") == "ConstraintTemplate"
    }
    constraints = [d.data for d in documents if d.data.get("kind") != "ConstraintTemplate"]
    if not templates:
        return []
    from dockyard_rego import Engine

    engine = Engine()
    packages = {}
    for kind, document in sorted(templates.items()):
        template = document.data
        target = template["spec"]["targets"][0]
        where = document.position(("spec", "targets", 0, "rego"))
        declared = rego_package(target["rego"])
        if declared is None:
            raise PolicyEngineFailed(f"ConstraintTemplate {template['metadata']['name']} declares no package", where)
        packages[kind] = declared
        for source in (target["rego"], *(target.get("libs") or [])):
            if (recursion := find_recursion(source)) is not None:
                message = f"ConstraintTemplate {template['metadata']['name']} does not compile: {recursion}"
                raise PolicyEngineFailed(message, where)
        try:
            engine.add_policy(f"{kind}.rego", target["rego"])
            for index, library in enumerate(target.get("libs") or []):
                engine.add_policy(f"{kind}-lib{index}.rego", library)
        except ValueError as error:
            raise PolicyEngineFailed(
                f"ConstraintTemplate {template['metadata']['name']} does not compile: {first_line(error)}", where
            ) from None
    findings = []
    for constraint in constraints:
        name = str((constraint.get("metadata") or {}).get("name", constraint["kind"]))
        spec = constraint.get("spec") or {}
        severity = ACTIONS.get(str(spec.get("enforcementAction", "deny")), Severity.DENY)
        query = f"data.{packages[constraint['kind']]}.violation"
        for rendered in bundle.objects:
            if not _matches(spec.get("match") or {}, rendered):
                continue
            for message in _violations(engine, query, rendered, spec.get("parameters") or {}):
                findings.append(
                    Finding(rendered.source.position, str(ObjectId.of(rendered.manifest)), "", name, message, severity)
                )
    return sorted(findings)


def _violations(engine: Any, query: str, rendered: Rendered, parameters: Mapping[str, Any]) -> list[str]:
    api_version = rendered.api_version
    group, _slash, version = api_version.rpartition("/")
    review = {
        "object": rendered.manifest,
        "kind": {"group": group, "version": version, "kind": rendered.kind},
        "name": rendered.name,
        "namespace": rendered.namespace or "",
        "operation": "CREATE",
    }
    try:
        engine.set_input_json(json.dumps({"review": review, "parameters": parameters}, default=str))
        output = json.loads(engine.eval_query_as_json(query))
    except ValueError as error:
        raise PolicyEngineFailed(f"the policy engine failed: {first_line(error)}") from None
    found = output["result"][0]["expressions"][0]["value"] if output.get("result") else []
    return sorted(str(v.get("msg", v)) if isinstance(v, dict) else str(v) for v in found or [])


def _matches(match: Mapping[str, Any], rendered: Rendered) -> bool:
    group = rendered.api_version.rpartition("/")[0]
    kinds = match.get("kinds")
    if kinds and not any(
        (("*" in (k.get("apiGroups") or ["*"])) or group in (k.get("apiGroups") or []))
        and (("*" in (k.get("kinds") or ["*"])) or rendered.kind in (k.get("kinds") or []))
        for k in kinds
    ):
        return False
    namespace = rendered.namespace
    scope = match.get("scope", "*")
    if (scope == "Namespaced" and namespace is None) or (scope == "Cluster" and namespace is not None):
        return False
    if match.get("namespaces") and not (
        namespace and any(fnmatch.fnmatchcase(namespace, n) for n in match["namespaces"])
    ):
        return False
    if namespace and any(fnmatch.fnmatchcase(namespace, n) for n in match.get("excludedNamespaces") or []):
        return False
    selector = match.get("labelSelector")
    labels = (rendered.manifest.get("metadata") or {}).get("labels") or {}
    return not selector or selects(selector, labels)
