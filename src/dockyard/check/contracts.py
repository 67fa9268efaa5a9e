"""Rule contract-enforced: an API whose contract requires credentials has something on the cluster
that checks them, for every caller that can reach it. With nothing, every request would reach the
service: a deny finding, never silence, in every profile (a cluster for development without an
identity provider lowers the rule's severity in its layer, saying so; a waiver accepts one
service's case, with its reason).

Where only the edge checks tokens (`full`: no mesh), requests from outside are checked but calls
from inside the cluster are not. Which pods can make such calls is computed from the rendered
NetworkPolicies of both sides, as the wiring check judges them: if any pod other than the edge
gateway's is admitted to the API's port, that is a deny naming the callers; if the policies admit
only the gateway, nothing bypasses it and there is no finding."""

from __future__ import annotations

from collections.abc import Iterable

from dockyard.check.findings import Finding, Severity
from dockyard.check.wiring.facts import Facts, Pod
from dockyard.check.wiring.network import Endpoint, ingress_candidates, judge, policy_indexes
from dockyard.render import platform_names, profiles
from dockyard.render.bundle import Exposure

RULE = "contract-enforced"
DESCRIPTION = "Every API whose contract requires credentials has an enforcer for them on the cluster."
SHOWN_CALLERS = 5


def check_contracts(facts: Facts, profile: str) -> list[Finding]:
    findings = []
    with_sso = profiles.enabled(profile, "sso")
    missing = "has no mesh" if with_sso else "has neither an identity provider nor a mesh"
    for exposure in facts.bundle.exposures:
        count = f"{exposure.secured} operation{'s' if exposure.secured != 1 else ''}"
        if exposure.inside:
            continue
        if exposure.enforcers:
            callers = inside_callers(facts, exposure)
            if callers:
                findings.append(
                    _finding(
                        exposure,
                        f"{count} of its contract need a token: {' and '.join(exposure.enforcers)} checks requests "
                        f"from outside the cluster, but nothing checks calls from inside it (profile `{profile}` "
                        f"has no mesh), and the NetworkPolicies let {_names(callers)} call it; use profile "
                        "`complete` (the mesh checks every call), or waive this rule for the service with the "
                        "reason these callers may skip the contract",
                    )
                )
            continue
        findings.append(
            _finding(
                exposure,
                f"{count} of its contract need a token, but nothing on this cluster checks tokens (profile "
                f"`{profile}` {missing}), so every request would reach the service; use profile `complete`, "
                "or set `auth.jwt: false` in its dockyard.yaml if the service checks tokens itself",
            )
        )
    return findings


def _finding(exposure: Exposure, message: str) -> Finding:
    where = f"Service {exposure.namespace}/{exposure.service}"
    return Finding(exposure.source.position, where, "", RULE, message, Severity.DENY)


def inside_callers(facts: Facts, exposure: Exposure) -> list[str]:
    """Who inside the cluster, other than the edge gateway, the NetworkPolicies of both sides admit
    to a port of the API's pods: the rendered workloads by kind and name, or `any pod in the
    cluster` when the API's ingress admits peers by no selector (or is not limited at all)."""
    service = facts.services.get((exposure.namespace, exposure.service))
    if service is None or not service.selector:
        return []
    indexes = policy_indexes(facts)
    callers: set[str] = set()
    for pod in facts.pods_selected(service.namespace, service.selector):
        api = Endpoint(pod.namespace, pod.labels, pod)
        candidates = ingress_candidates(facts, indexes, api)
        ports = _ports(pod, service.target_ports.values())
        if candidates is None:
            if ports:
                return ["any pod in the cluster"]
            continue
        for caller in candidates:
            if caller.namespace == platform_names.GATEWAY_NAMESPACE or caller.owner is pod.owner:
                continue
            source = Endpoint(caller.namespace, caller.labels, caller)
            for port in ports:
                if (
                    judge(facts, indexes, api, source, port, "Ingress")[0]
                    and judge(facts, indexes, source, api, port, "Egress")[0]
                ):
                    callers.add(f"{caller.owner.kind} {caller.namespace}/{caller.owner.name}")
                    break
    return sorted(callers)


def _ports(pod: Pod, targets: Iterable[int | str]) -> list[int]:
    return sorted({n for n in (pod.container_port(t) for t in targets) if n is not None})


def _names(callers: list[str]) -> str:
    shown = ", ".join(callers[:SHOWN_CALLERS])
    more = len(callers) - SHOWN_CALLERS
    return f"{shown} and {more} more" if more > 0 else shown
