"""`postgres`: a database on CloudNativePG, dedicated per resource or on the platform's shared cluster.

The environment's `postgres.mode` decides: `dedicated` renders a CloudNativePG `Cluster` in the
service's namespace (CloudNativePG writes the credentials to the Secret `<cluster>-app`);
`shared` renders a `Database` on the platform cluster and asks the `postgres-role` lifecycle task
for a role whose credentials land in the Secret `<service>-<id>-postgres`.
outputs: host, port, name and database (the same: Score's reference provisioners call it database),
username, password (username and password as Secret references).
"""

from __future__ import annotations

from dockyard.model.settings import Postgres
from dockyard.render import platform_names
from dockyard.render.bundle import Rendered, Stage, TaskRequest, obj
from dockyard.render.placeholders import Output, SecretRef
from dockyard.render.provisioners.base import Peer, Provision, Provisioner, Request, param
from dockyard.render.task_data import TaskKind

OPERATOR_NAMESPACE = "cnpg-system"


def provision(request: Request) -> Provision:
    settings = request.platform.settings.postgres
    database = param(request, "database", str, request.service.name.replace("-", "_"))
    if settings.mode == "shared":
        return _shared(request, database)
    return _dedicated(request, database, settings)


def _dedicated(request: Request, database: str, settings: Postgres) -> Provision:
    cluster = request.object_name()
    namespace = request.namespace
    manifest = obj(
        "postgresql.cnpg.io/v1",
        "Cluster",
        cluster,
        namespace,
        spec={
            "instances": settings.instances,
            "storage": {"size": settings.storage},
            "bootstrap": {"initdb": {"database": database, "owner": database}},
        },
    )
    instances = {"cnpg.io/cluster": cluster}
    access = obj(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        f"{cluster}-postgres",
        namespace,
        spec={
            "podSelector": {"matchLabels": instances},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": [{"podSelector": {"matchLabels": client}} for client in request.client_selectors()],
                    "ports": [{"protocol": "TCP", "port": 5432}],
                },
                {"from": [{"podSelector": {"matchLabels": instances}}]},
                {
                    "from": [
                        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": OPERATOR_NAMESPACE}}}
                    ],
                    "ports": [{"protocol": "TCP", "port": 8000}, {"protocol": "TCP", "port": 5432}],
                },
            ],
            "egress": [
                {"to": [{"podSelector": {"matchLabels": instances}}]},
                {"ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 6443}]},
            ],
        },
    )
    return Provision(
        outputs=_outputs(cluster, namespace, database, f"{cluster}-app"),
        objects=[Rendered(manifest, Stage.SERVICES, request.source), Rendered(access, Stage.SERVICES, request.source)],
        egress=[Peer(namespace, instances, (("TCP", 5432),))],
    )


def _shared(request: Request, database: str) -> Provision:
    cluster = platform_names.POSTGRES_SHARED_CLUSTER
    namespace = platform_names.POSTGRES_SHARED_NAMESPACE
    credentials = request.object_name("postgres")
    manifest = obj(
        "postgresql.cnpg.io/v1",
        "Database",
        request.object_name(),
        namespace,
        spec={"name": database, "owner": database, "cluster": {"name": cluster}},
    )
    task = TaskRequest(
        TaskKind.POSTGRES_ROLE,
        request.object_name(),
        {
            "cluster": cluster,
            "namespace": namespace,
            "role": database,
            "secret": credentials,
            "secretNamespace": request.namespace,
        },
        request.source,
    )
    return Provision(
        outputs=_outputs(cluster, namespace, database, credentials),
        objects=[Rendered(manifest, Stage.SERVICES, request.source)],
        tasks=[task],
        egress=[Peer(namespace, {"cnpg.io/cluster": cluster}, (("TCP", 5432),))],
    )


def _outputs(cluster: str, namespace: str, database: str, credentials: str) -> dict[str, Output]:
    """CloudNativePG's read-write service, and the credentials Secret's keys as references."""
    return {
        "host": f"{cluster}-rw.{namespace}.svc.cluster.local",
        "port": "5432",
        "name": database,
        "database": database,  # as Score's reference provisioners name it too
        "username": SecretRef(credentials, "username"),
        "password": SecretRef(credentials, "password"),
    }


POSTGRES = Provisioner(
    "postgres",
    ("host", "port", "name", "database", "username", "password"),
    provision,
    "A PostgreSQL database on CloudNativePG (dedicated cluster or the platform's shared one).",
    {"database": "database name (default: the service name)"},
)
