"""Rule contract-enforced: an API whose contract requires credentials has something on the cluster
that checks them. With nothing, every request would reach the service: a deny finding, never
silence, in every profile (a cluster for development without an identity provider lowers the
rule's severity in its layer, saying so; a waiver accepts one service's case, with its reason).
Where only the edge checks (`full`), calls from inside the cluster are not: a warning."""

from __future__ import annotations

from dockyard.check.findings import Finding, Severity
from dockyard.render import profiles
from dockyard.render.bundle import Bundle

RULE = "contract-enforced"
DESCRIPTION = "Every API whose contract requires credentials has an enforcer for them on the cluster."


def check_contracts(bundle: Bundle, profile: str) -> list[Finding]:
    findings = []
    with_sso = profiles.enabled(profile, "sso")
    missing = "has no mesh" if with_sso else "has neither an identity provider nor a mesh"
    for exposure in bundle.exposures:
        count = f"{exposure.secured} operation{'s' if exposure.secured != 1 else ''}"
        if exposure.inside:
            continue
        if exposure.enforcers:
            findings.append(
                Finding(
                    exposure.source.position,
                    f"Service {exposure.namespace}/{exposure.service}",
                    "",
                    RULE,
                    f"{count} of its contract need a token: {' and '.join(exposure.enforcers)} checks requests from "
                    f"outside the cluster, but calls from inside it (from every service its NetworkPolicy admits) "
                    f"are not checked (profile `{profile}` has no mesh); use profile `complete` to check them too",
                    Severity.WARN,
                )
            )
            continue
        findings.append(
            Finding(
                exposure.source.position,
                f"Service {exposure.namespace}/{exposure.service}",
                "",
                RULE,
                f"{count} of its contract need a token, but nothing on this cluster checks tokens (profile "
                f"`{profile}` {missing}), so every request would reach the service; use profile `complete`, "
                "or set x-dockyard.auth.jwt: false if the service checks tokens itself",
                Severity.DENY,
            )
        )
    return findings
