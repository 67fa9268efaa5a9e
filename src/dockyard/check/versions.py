"""Rule component-version: each component runs on the cluster's Kubernetes version (the range its
release supports, as its upstream publishes it) and with the versions of the other components it
needs (e.g. Istio and the Gateway API CRDs, an operator and its CRDs). Outside them the platform
would install and then not work: a deny finding, at the layer or pin that chose the component."""

from __future__ import annotations

import re

from dockyard.check.findings import Finding
from dockyard.errors import Position, Problems
from dockyard.model.platform import Platform
from dockyard.render.components.catalog import Chosen, choose

RULE = "component-version"
DESCRIPTION = "Every component supports the cluster's Kubernetes version and the versions of the components it needs."


def check_versions(platform: Platform) -> list[Finding]:
    chosen = choose(platform, Problems())  # a problem choosing components is render's to report
    by_name = {c.component.name: c for c in chosen}
    cluster = _version(platform.cluster.kubernetes_version)
    findings = []
    for item in chosen:
        component, where = item.component, _where(platform, item)
        if component.kubernetes and cluster is not None:
            lowest, highest = component.kubernetes
            first, last = _version(lowest), _version(highest)
            if first is not None and not (first <= cluster[:2] and (last is None or cluster[:2] <= last)):
                supported = f"{lowest} to {highest}" if highest else f"{lowest} and later"
                running = platform.cluster.kubernetes_version
                message = f"its release supports Kubernetes {supported}, and this cluster runs {running}"
                findings.append(_finding(where, component.name, message))
        for need in component.requires:
            other = by_name.get(need.component)
            if other is None or other.component.source is None:
                continue
            have = _version(other.component.source.version)
            low, high = _version(need.minimum), _version(need.maximum)
            if have is None or ((low is None or have >= low) and (high is None or have[: len(high)] <= high)):
                continue
            wanted = (
                " to ".join(v for v in (need.minimum, need.maximum) if v)
                if low and high
                else (f"{need.minimum} or later" if low else f"{need.maximum} or earlier")
            )
            pinned = other.component.source.version
            findings.append(
                _finding(
                    where,
                    component.name,
                    f"needs {need.component} {wanted}, and this platform pins {pinned}: {need.reason}",
                )
            )
    return findings


def _finding(where: Position, component: str, message: str) -> Finding:
    return Finding(where, f"component {component}", "", RULE, message)


def _version(text: str | None) -> tuple[int, ...] | None:
    numbers = re.findall(r"\d+", text or "")
    return tuple(int(n) for n in numbers[:3]) if numbers else None


def _where(platform: Platform, item: Chosen) -> Position:
    return item.where if item.where is not None else platform.locate(("profile",))
