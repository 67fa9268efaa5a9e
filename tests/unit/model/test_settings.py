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
