"""Policies written for conftest, run as they are: a platform repo drops a file from its conftest
library into `policies/` (any package but Dockyard's own, usually `package main`) and
`dockyard check` evaluates it as conftest does: over each rendered object of the teams' stages on
its own (`input` is the manifest), collecting the strings (or the `msg` of objects) of its rules
named `deny`, `violation` and `warn` (and `deny_*`, `violation_*`, `warn_*`). Deny and violation
results are deny findings, warn results are warnings, each at the object's source line, under
the file's name as the rule (so severities and waivers apply to it as to any rule)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from dockyard.check.findings import Finding, Severity
from dockyard.check.policy import PolicyEngineFailed, failed, refuse_recursion
from dockyard.errors import Position
from dockyard.load.repo import rego_package
from dockyard.render.bundle import Bundle
from dockyard.render.object_id import ObjectId

SEVERITIES = (("deny", Severity.DENY), ("violation", Severity.DENY), ("warn", Severity.WARN))


def check_conftest(bundle: Bundle, policies: Mapping[str, str]) -> list[Finding]:
    if not policies:
        return []
    from dockyard_rego import Engine

    engine = Engine()
    packages: dict[str, list[str]] = {}
    for name, source in sorted(policies.items()):
        declared = rego_package(source)
        if declared is None:
            raise PolicyEngineFailed(f"policy {name} declares no package", Position(f"policies/{name}.rego", 1, 1))
        refuse_recursion(f"policy {name}", source, f"policies/{name}.rego")
        try:
            engine.add_policy(f"{name}.rego", source)
        except ValueError as error:
            raise failed(f"policy {name} does not compile", error, policies) from None
        packages.setdefault(declared, []).append(name)
    findings = []
    for rendered in bundle.objects:
        try:
            engine.set_input_json(json.dumps(rendered.manifest, default=str))
            for package, names in sorted(packages.items()):
                output = json.loads(engine.eval_query_as_json(f"data.{package}"))
                value = output["result"][0]["expressions"][0]["value"] if output.get("result") else {}
                for severity, message in _results(value):
                    findings.append(
                        Finding(
                            rendered.source.position,
                            str(ObjectId.of(rendered.manifest)),
                            "",
                            names[0] if len(names) == 1 else package,
                            message,
                            severity,
                        )
                    )
        except ValueError as error:
            raise failed("the policy engine failed", error, policies) from None
    return sorted(findings)


def _results(value: Any) -> list[tuple[Severity, str]]:
    """(severity, message) of every result of the conftest rules in a package's value."""
    found: list[tuple[Severity, str]] = []
    if not isinstance(value, dict):
        return found
    for rule, results in sorted(value.items()):
        severity = next((s for prefix, s in SEVERITIES if rule == prefix or rule.startswith(f"{prefix}_")), None)
        if severity is None:
            continue
        for result in results if isinstance(results, list) else [results]:
            if isinstance(result, str):
                found.append((severity, result))
            elif isinstance(result, dict) and isinstance(result.get("msg"), str):
                found.append((severity, result["msg"]))
            elif result is True:  # a boolean rule (`deny { ... }`) says only that it failed
                found.append((severity, f"{rule} is true"))
    return found
