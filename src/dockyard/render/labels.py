"""The labels that select a service's pods, and only them."""

from __future__ import annotations

from dockyard.model.service import Service

SELECTOR_KEYS = ("app.kubernetes.io/name", "app.kubernetes.io/instance")


def selector(service: Service) -> dict[str, str]:
    return selector_of(service.name)


def selector_of(name: str) -> dict[str, str]:
    """The labels that select a service's pods (and only them), by its name."""
    return dict.fromkeys(SELECTOR_KEYS, name)
