"""A service's typed settings: built from the merged layers, with the built-in defaults for what a
layer removed, and nothing the render has to guess."""

from __future__ import annotations

from dockyard.load import defaults
from dockyard.model.settings import Autoscaling, DisruptionBudget, Metrics, Rollout, settings_of

MERGED = {
    **defaults.VALUES["serviceDefaults"],
    "team": "shop",
    "autoscaling": {**defaults.VALUES["serviceDefaults"]["autoscaling"], "enabled": True, "maxReplicas": 9},
    "disruptionBudget": {"minAvailable": 1},
    "metrics": {"path": "/metrics", "port": "metrics"},
}


def test_the_merged_values_become_fields() -> None:
    settings = settings_of("orders", MERGED)
    assert (settings.team, settings.namespace, settings.replicas) == ("shop", "shop", 1)
    assert settings.autoscaling == Autoscaling(True, 2, 9, 75)
    assert settings.rollout == Rollout("RollingUpdate", "25%", 0)
    assert settings.disruption_budget == DisruptionBudget(1, None)
    assert settings.metrics == Metrics("metrics", "/metrics")
    assert (settings.jwt, settings.contract, dict(settings.images)) == (True, None, {})
    assert dict(settings.resources.requests) == {"cpu": "100m", "memory": "128Mi"}


def test_a_value_a_layer_removed_takes_the_built_in_default() -> None:
    removed = {**MERGED, "autoscaling": None, "rollout": {"strategy": "Recreate", "maxSurge": None}, "team": None}
    settings = settings_of("orders", removed)
    assert settings.autoscaling == Autoscaling(False, 2, 5, 75)
    assert settings.rollout == Rollout("Recreate", "25%", 0)
    assert (settings.team, settings.namespace) == (None, "orders")  # no team: the service's own namespace


def test_the_platform_settings_are_typed_with_their_defaults() -> None:
    from dockyard.model.settings import Postgres, Waiver, platform_settings_of

    waiver = {"rule": "probes", "object": "*", "reason": "the batch jobs have none", "expires": "2027-01-31"}
    settings = platform_settings_of({"checks": {"waivers": [waiver]}, "postgres": {"mode": "shared"}})
    assert settings.postgres == Postgres("shared", 1, "1Gi")
    assert settings.checks.waivers == (Waiver("probes", "*", "the batch jobs have none", "2027-01-31"),)
    assert dict(settings.checks.severity) == {}
    assert (settings.require_digest, settings.gateway_service_type) == (False, "LoadBalancer")
    assert (settings.identity_admin_url, settings.certificate_issuer, settings.api_versions) == (None, None, ())
