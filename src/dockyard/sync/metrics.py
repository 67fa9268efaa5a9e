"""The sync controller's Prometheus metrics, in a registry of its own (served at /metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from dockyard.sync.status import Attempt, Result


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.reconcile_seconds = Histogram(
            "dockyard_sync_reconcile_duration_seconds",
            "Time to reconcile one revision: load, render, check, plan and apply.",
            buckets=(0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600),
            registry=self.registry,
        )
        self.reconciles = Counter(
            "dockyard_sync_reconciles", "Reconciled revisions, by result.", ["result"], registry=self.registry
        )
        self.git_errors = Counter(
            "dockyard_sync_git_fetch_errors", "Fetches of the source that failed.", registry=self.registry
        )
        self.webhooks = Counter(
            "dockyard_sync_webhook_deliveries",
            "Webhook deliveries, by provider and verdict.",
            ["provider", "verdict"],
            registry=self.registry,
        )
        self.drift_repairs = Counter(
            "dockyard_sync_drift_repairs", "Objects put back after a change on the cluster.", registry=self.registry
        )
        self.last_applied = Gauge(
            "dockyard_sync_last_applied_timestamp_seconds",
            "When a revision was last applied (Unix time).",
            registry=self.registry,
        )
        for result in Result:
            self.reconciles.labels(result.value)

    def observe(self, attempt: Attempt) -> None:
        self.reconcile_seconds.observe(attempt.seconds)
        self.reconciles.labels(attempt.result.value).inc()
        if attempt.result is Result.APPLIED:
            self.last_applied.set(attempt.started.timestamp() + attempt.seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
