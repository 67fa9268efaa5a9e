"""Names of the platform's own parts that services are wired to (one place, shared by render steps)."""

from __future__ import annotations

GATEWAY_NAMESPACE = "dockyard-gateway"
GATEWAY_NAME = "platform"
MONITORING_NAMESPACE = "dockyard-monitoring"
OBSERVABILITY_NAMESPACE = "dockyard-observability"
OTLP_ENDPOINT = f"http://opentelemetry-collector.{OBSERVABILITY_NAMESPACE}.svc.cluster.local:4318"
IDENTITY_NAMESPACE = "dockyard-identity"
OBJECT_STORE_NAMESPACE = "dockyard-storage"
OBJECT_STORE_ENDPOINT = f"http://object-store.{OBJECT_STORE_NAMESPACE}.svc.cluster.local:9000"
POSTGRES_SHARED_CLUSTER = "platform-postgres"
POSTGRES_SHARED_NAMESPACE = "dockyard-databases"


def keycloak_issuer(domain: str, realm: str) -> str:
    return f"https://sso.{domain}/realms/{realm}"
