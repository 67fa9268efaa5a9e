"""The data of each lifecycle task kind: one type per kind, shared by the render steps that ask
for a task and the deploy step that runs it (deploy/tasks/). Plain, JSON-shaped data (shown by
`plan --output json`, kept by the sync controller), never a secret value."""

from __future__ import annotations

from enum import StrEnum
from typing import NotRequired, TypedDict, TypeVar, cast

T = TypeVar("T")


class TaskKind(StrEnum):
    ENSURE_SECRET = "ensure-secret"
    POSTGRES_ROLE = "postgres-role"
    S3_BUCKET = "s3-bucket"
    KEYCLOAK_CLIENT = "keycloak-client"
    KEYCLOAK_PRUNE = "keycloak-prune"
    RESTART = "restart"


class KeyValue(TypedDict, total=False):
    """One key of a generated Secret: a fixed `value`, `generate` (password, cookie-secret), or
    `sameAs` another key's value."""

    value: str
    generate: str
    sameAs: str


class EnsureSecret(TypedDict):
    """A Secret with generated values, created once and copied to each namespace."""

    name: str
    namespaces: list[str]
    keys: dict[str, KeyValue]
    type: NotRequired[str]
    labels: NotRequired[dict[str, str]]


class PostgresRole(TypedDict):
    """A role's password beside the shared Postgres cluster, and the same for the service."""

    cluster: str
    namespace: str
    role: str
    secret: str
    secretNamespace: str


class S3Bucket(TypedDict):
    """A service's object-store access key (the render makes its bucket and identity)."""

    bucket: str
    secret: str
    namespace: str


class SecretKey(TypedDict):
    namespace: str
    name: str
    key: str


class KeycloakClient(TypedDict):
    """A client in the platform's realm: an API's scopes (and audience), a caller's grants, a UI's
    redirect URIs; its secret written to `secretTo`, or taken from `secretFrom`."""

    realm: str
    clientId: str
    title: NotRequired[str]
    scopes: NotRequired[dict[str, str]]
    audience: NotRequired[str]
    grants: NotRequired[dict[str, list[str]]]
    redirectUris: NotRequired[list[str]]
    selfAudience: NotRequired[bool]
    roles: NotRequired[dict[str, str]]
    """Client roles (name -> description) that people are given in Keycloak to be let in."""
    public: NotRequired[bool]
    """A client that keeps no secret (kubectl's): it signs people in with PKCE, never as itself."""
    groups: NotRequired[list[str]]
    """Realm groups that exist for people to be put in; the client's tokens name the person's groups."""
    secretTo: NotRequired[SecretKey]
    secretFrom: NotRequired[SecretKey]


class KeycloakPrune(TypedDict):
    """The clients this render names: the realm keeps exactly those (of the ones `owner` made)."""

    realm: str
    owner: str
    clients: list[str]


class ObjectRef(TypedDict):
    kind: str
    namespace: str
    name: str


class Restart(TypedDict):
    """Roll `target`'s pods once each time `when` changes."""

    target: ObjectRef
    when: ObjectRef


TaskData = EnsureSecret | PostgresRole | S3Bucket | KeycloakClient | KeycloakPrune | Restart

KINDS: dict[str, type] = {
    TaskKind.ENSURE_SECRET: EnsureSecret,
    TaskKind.POSTGRES_ROLE: PostgresRole,
    TaskKind.S3_BUCKET: S3Bucket,
    TaskKind.KEYCLOAK_CLIENT: KeycloakClient,
    TaskKind.KEYCLOAK_PRUNE: KeycloakPrune,
    TaskKind.RESTART: Restart,
}
"""Each task kind's data type."""


def payload(kind: str, data: TaskData, expected: type[T]) -> T:
    """`data` as the type of task kind `kind`, which must be `expected` (a handler asks for its own)."""
    if KINDS.get(kind) is not expected:
        raise TypeError(f"task kind {kind} carries {KINDS.get(kind)}, not {expected.__name__}")
    return cast(T, data)
