"""Findings as SARIF 2.1.0, the format code-scanning tools (GitHub, GitLab, IDEs) read.

One run, one rule per check rule (with its description from the policy file's header comment),
one result per finding, located at the file, line and column of the service or value that
produced the object. deny is `error`, warn `warning`; a waived finding is kept as `note` with
its waiver in the message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dockyard import __version__
from dockyard.check.findings import Finding

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"deny": "error", "warn": "warning", "waived": "note"}


def to_sarif(findings: Sequence[Finding], descriptions: Mapping[str, str]) -> dict[str, Any]:
    rules = sorted({f.rule for f in findings} | set(descriptions))
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "dockyard",
                        "version": __version__,
                        "rules": [
                            {
                                "id": rule,
                                "shortDescription": {"text": descriptions.get(rule, rule)},
                            }
                            for rule in rules
                        ],
                    }
                },
                "results": [_result(finding, rules.index(finding.rule)) for finding in findings],
            }
        ],
    }


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    where = f" {finding.path}:" if finding.path else ""
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": LEVELS.get(finding.severity, "error"),
        "message": {
            "text": f"{finding.object}:{where} {finding.message}" + (f" ({finding.hint})" if finding.hint else "")
        },
    }
    position = finding.source
    if position.line > 0:
        result["locations"] = [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": position.file},
                    "region": {"startLine": position.line, "startColumn": max(position.column, 1)},
                }
            }
        ]
    elif position.file:
        result["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": position.file}}}]
    return result
