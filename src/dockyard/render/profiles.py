"""What each profile switches on: the platform features that rendering may rely on."""

from __future__ import annotations

FEATURES: dict[str, frozenset[str]] = {
    "dev-fast": frozenset({"gateway", "metrics", "postgres"}),
    "full": frozenset({"gateway", "metrics", "postgres", "logs", "traces", "sso", "certs"}),
    "complete": frozenset({"gateway", "metrics", "postgres", "logs", "traces", "sso", "certs", "mesh", "gitops"}),
}


def enabled(profile: str, feature: str) -> bool:
    return feature in FEATURES[profile]
