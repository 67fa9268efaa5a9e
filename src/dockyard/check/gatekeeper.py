"""The policy library as Gatekeeper ConstraintTemplates and Constraints, so the cluster enforces
at admission what `dockyard check` enforces before apply.

Each exportable rule file becomes one ConstraintTemplate: the rule's own Rego (and the adapter
that locates pod specs and containers) as `libs`, under `lib.`, and a small `violation` rule that
evaluates it on the object under review. Its Constraint matches the kinds the rule looks at in
namespaces with the `dockyard.dev/team` label (the teams' namespaces, as `check` covers the
teams' objects), with the enforcement action of the rule's severity in the cluster's layers.

Not exported, and why:
- `platform`: its rules compare objects with each other (a namespace has a default-deny policy,
  a Service selects a workload of the render, route hosts are unique) or are about rendered
  output rather than cluster state (no Secret with literal data: lifecycle tasks create Secrets
  with data by design). Admission sees one object at a time.
- waivers: Gatekeeper has no expiring exceptions; a waived finding is reported by `check` only.
A platform repo's own policies are exported the same way, assuming rules about one object; a rule
that compares objects must be left out of the export with `checks.severity: off` there.

Needs Gatekeeper 3.15 or later (OPA that accepts `import rego.v1`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from dockyard.check.policy import descriptions, library
from dockyard.render.bundle import obj

NOT_EXPORTED = {
    "platform": "compares objects with each other, or is about rendered output; admission sees one object",
}
ACTIONS = {"deny": "deny", "warn": "warn"}
WORKLOAD_KINDS = [
    {"apiGroups": ["apps"], "kinds": ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"]},
    {"apiGroups": ["batch"], "kinds": ["Job", "CronJob"]},
    {"apiGroups": [""], "kinds": ["Pod"]},
]
_PACKAGE = re.compile(r"^package\s+dockyard\.", re.MULTILINE)


@dataclass(frozen=True)
class Export:
    manifests: list[dict[str, Any]]
    """ConstraintTemplates and Constraints, in rule order."""
    skipped: dict[str, str]
    """Rules not exported, with the reason."""


def adapter_source() -> str:
    return (resources.files("dockyard.check") / "adapters" / "objects.rego").read_text()


def as_library(source: str) -> str:
    """A Dockyard Rego module moved under `lib.` (where Gatekeeper wants libraries)."""
    return _PACKAGE.sub("package lib.dockyard.", source, count=1).replace("data.dockyard.", "data.lib.dockyard.")


def kind_name(rule: str) -> str:
    return "Dockyard" + "".join(part.capitalize() for part in re.split(r"[-_]", rule))


def main_rego(rule: str) -> str:
    package = rule.replace("-", "_")
    lines = [
        f"package {kind_name(rule).lower()}",
        "",
        "import rego.v1",
        "",
        'violation contains {"msg": msg} if {',
        "\tmanifest := input.review.object",
        '\trequire_digest := object.get(input.parameters, "requireDigest", false)',
        '\tview := {"objects": [data.lib.dockyard.adapter.entry(manifest)], "requireDigest": require_digest}',
        f"\tsome finding in data.lib.dockyard.policies.{package}.deny with input as view",
        f'\tmsg := sprintf("%s%s [dockyard {rule}]", [field(finding.path), finding.message])',
        "}",
        "",
        'field(path) := sprintf("%s: ", [path]) if path != ""',
        "",
        'field(path) := "" if path == ""',
        "",
    ]
    return "\n".join(lines)


def export(severities: Mapping[str, str], require_digest: bool, extra: Mapping[str, str] | None = None) -> Export:
    manifests: list[dict[str, Any]] = []
    skipped = dict(NOT_EXPORTED)
    reasons = descriptions(extra)
    adapter = as_library(adapter_source())
    for name, source in (*library(), *sorted((extra or {}).items())):
        rule = name.replace("_", "-")
        if rule in NOT_EXPORTED:
            continue
        severity = severities.get(rule, "deny")
        if severity == "off":
            skipped[rule] = "switched off (checks.severity) in this cluster's layers"
            continue
        kind = kind_name(rule)
        template = obj(
            "templates.gatekeeper.sh/v1",
            "ConstraintTemplate",
            kind.lower(),
            None,
            spec={
                "crd": {
                    "spec": {
                        "names": {"kind": kind},
                        "validation": {
                            "openAPIV3Schema": {
                                "type": "object",
                                "properties": {"requireDigest": {"type": "boolean"}},
                            }
                        },
                    }
                },
                "targets": [
                    {
                        "target": "admission.k8s.gatekeeper.sh",
                        "rego": main_rego(rule),
                        "libs": [as_library(source), adapter],
                    }
                ],
            },
        )
        template["metadata"]["annotations"] = {"description": reasons.get(rule, rule)}
        constraint = obj(
            "constraints.gatekeeper.sh/v1beta1",
            kind,
            f"dockyard-{rule}",
            None,
            spec={
                "enforcementAction": ACTIONS[severity],
                "match": {
                    "kinds": WORKLOAD_KINDS if _workloads_only(source) else [{"apiGroups": ["*"], "kinds": ["*"]}],
                    "namespaceSelector": {"matchExpressions": [{"key": "dockyard.dev/team", "operator": "Exists"}]},
                },
                "parameters": {"requireDigest": require_digest},
            },
        )
        manifests += [template, constraint]
    return Export(manifests, skipped)


def _workloads_only(source: str) -> bool:
    """Rules that only look at containers or pod specs match workload kinds only."""
    return "object.containers" in source or "object.pod" in source
