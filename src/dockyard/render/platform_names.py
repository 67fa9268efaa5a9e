"""Names of the platform's own parts that services are wired to (one place, shared by render steps)."""

from __future__ import annotations

GATEWAY_NAMESPACE = "dockyard-gateway"
GATEWAY_NAME = "platform"
MONITORING_NAMESPACE = "dockyard-monitoring"
OBSERVABILITY_NAMESPACE = "dockyard-observability"
OTLP_ENDPOINT = f"http://opentelemetry-collector.{OBSERVABILITY_NAMESPACE}.svc.cluster.local:4318"
IDENTITY_NAMESPACE = "dockyard-identity"
KEYCLOAK_SERVICE = "keycloak-http"
KEYCLOAK_URL = f"http://{KEYCLOAK_SERVICE}.{IDENTITY_NAMESPACE}.svc.cluster.local"
"""Keycloak inside the cluster: the keycloakx chart's `<fullname>-http` Service on port 80."""
OBJECT_STORE_NAMESPACE = "dockyard-storage"
OBJECT_STORE_SERVICE = "object-store-all-in-one"
OBJECT_STORE_PORT = 8333
OBJECT_STORE_ENDPOINT = f"http://{OBJECT_STORE_SERVICE}.{OBJECT_STORE_NAMESPACE}.svc.cluster.local:{OBJECT_STORE_PORT}"
"""SeaweedFS's S3 gateway: the chart's all-in-one Service (`<fullname>-all-in-one`), its s3 port."""
POSTGRES_SHARED_CLUSTER = "platform-postgres"
POSTGRES_SHARED_NAMESPACE = "dockyard-databases"


def keycloak_issuer(domain: str, realm: str) -> str:
    return f"https://sso.{domain}/realms/{realm}"


def keycloak_jwks(realm: str) -> str:
    """Where the mesh fetches the realm's signing keys (inside the cluster, not through the edge)."""
    return f"{KEYCLOAK_URL}/realms/{realm}/protocol/openid-connect/certs"


CONSOLE_SERVICE_ACCOUNT = ("dockyard-sync", "dockyard-console")
"""The in-cluster console's ServiceAccount (namespace, name): the teams' namespaces bind it to read
and to run jobs there (render/components/console.py makes it)."""
CONSOLE_JOBS_ROLE = "dockyard-console-jobs"
