"""Run every check on a rendered platform and apply the platform's severities and waivers.

`checks.severity` (in any layer) sets a rule to deny, warn or off for that environment or cluster;
`checks.waivers` accept a rule's findings on matching objects, with a reason, until a date. A
waiver past its date no longer applies, and says so. An error inside a check engine is itself a
deny finding: checks fail closed.

Schemas cover every object; the policy library covers what the platform's teams ship (the
`namespaces` and `services` stages). Platform components come from pinned upstream charts whose
objects Dockyard does not author; their policies are the upstream's (see docs/checks.md). When
the repo brings policies of its own, they run in a child process with limits (contained.py).
"""

from __future__ import annotations

import datetime
import fnmatch
from dataclasses import replace
from typing import Any

from dockyard.check import remembered
from dockyard.check.conftest import check_conftest
from dockyard.check.constraints import check_constraints
from dockyard.check.contained import contained
from dockyard.check.contracts import check_contracts
from dockyard.check.findings import Finding, Severity
from dockyard.check.policy import check_policies
from dockyard.check.schema import SchemasMissing, check_schemas
from dockyard.check.versions import check_versions
from dockyard.check.wiring import check_wiring
from dockyard.check.wiring.facts import facts_of
from dockyard.errors import DockyardError, Position
from dockyard.model.platform import Platform
from dockyard.render.bundle import TEAM_STAGES, Bundle


def run_checks(
    platform: Platform, bundle: Bundle, today: datetime.date | None = None, *, each_object_only: bool = False
) -> list[Finding]:
    """Every check's findings on `bundle`, with the platform's severities and waivers applied.
    `each_object_only`: only the checks that judge each object on its own (schemas and policies), for
    a render without the platform's components (the console's drafts); `check`, `plan` and `apply`
    always run them all."""
    checks = platform.settings.checks
    require_digest = platform.settings.require_digest
    try:
        teams = Bundle(tuple(o for o in bundle.objects if o.stage in TEAM_STAGES), bundle.tasks)

        def policies() -> list[Finding]:
            return (
                check_policies(teams, require_digest=require_digest, extra=platform.policies)
                + check_conftest(teams, platform.conftest)
                + check_constraints(teams, platform.gatekeeper)
            )

        def policies_and_verdicts() -> tuple[list[Finding], Any]:
            remembered.judged_here()  # what the parent judged before is not this child's to send
            return policies(), remembered.judged_here()

        repo_brings_policies = bool(platform.policies or platform.conftest or platform.gatekeeper)
        found = check_schemas(bundle, platform.cluster.kubernetes_version, crds_elsewhere=each_object_only)
        if repo_brings_policies:  # within limits, in a child: its verdicts come back with its findings
            by_policies, judged = contained(policies_and_verdicts, "evaluating the policies")
            remembered.adopt(judged)
            found += by_policies
        else:
            found += policies()
        if not each_object_only:
            facts = facts_of(bundle)
            found += (
                check_contracts(facts, platform.profile)
                + check_wiring(bundle, platform.domain, facts)
                + check_versions(platform)
            )
    except DockyardError as error:
        where = getattr(error, "position", None) or Position("checks")
        if isinstance(error, SchemasMissing):
            where = platform.locate(("kubernetes", "version"))
        return [Finding(where, "engine", "", "engine", f"a check could not run, so nothing may be applied: {error}")]
    severities = checks.severity
    waivers = checks.waivers
    today = today or datetime.date.today()
    result = []
    for finding in found:
        severity = severities.get(finding.rule, finding.severity)
        if severity == "off":
            continue
        finding = replace(finding, severity=Severity(severity))
        for waiver in waivers:
            if waiver.rule == finding.rule and fnmatch.fnmatchcase(finding.object, waiver.object):
                expires = datetime.date.fromisoformat(waiver.expires)
                if expires >= today:
                    finding = replace(
                        finding,
                        severity=Severity.WAIVED,
                        message=f"{finding.message} (waived until {expires}: {waiver.reason})",
                    )
                else:
                    finding = replace(finding, message=f"{finding.message} (waiver expired on {expires})")
                break
        result.append(finding)
    return sorted(result)
