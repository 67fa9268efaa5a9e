"""Lifecycle tasks: work apply does between stages that is not an object to apply.

Each task kind runs at one point (after a group of objects is applied and healthy), is
idempotent (running it again changes nothing), and never puts a secret value in the render,
in output or in an error. A failing task stops the apply with what went wrong; the next apply
runs it again.

    ensure-secret     after namespaces    a Secret with generated values, created once, copied to namespaces
    postgres-role     after namespaces    a role's password beside the shared cluster and for the service
    s3-bucket         after namespaces    a service's object-store key (the render makes its bucket and identity)
    keycloak-client   after platform-services (Keycloak is healthy, JWT checks are not yet enforced)
    keycloak-prune    after platform-services, after the clients: removes clients the render no longer names
    restart           after platform-services   roll a workload once when another one changed
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from dockyard.deploy.client import Connection
from dockyard.deploy.tasks import keycloak, restart, secrets
from dockyard.deploy.tasks.common import TaskContext, TaskFailed
from dockyard.errors import DockyardError
from dockyard.render.bundle import TaskRequest
from dockyard.render.task_data import TaskKind
from dockyard.render.task_points import POINTS

Handler = Callable[[TaskRequest, TaskContext], str]
"""Runs one task; returns what it did in a few words (no secret values)."""


@dataclass(frozen=True)
class Kind:
    point: str
    handler: Handler


HANDLERS: dict[TaskKind, Handler] = {
    TaskKind.ENSURE_SECRET: secrets.ensure_secret,
    TaskKind.POSTGRES_ROLE: secrets.postgres_role,
    TaskKind.S3_BUCKET: secrets.s3_credentials,
    TaskKind.KEYCLOAK_CLIENT: keycloak.configure_client,
    TaskKind.KEYCLOAK_PRUNE: keycloak.prune_clients,
    TaskKind.RESTART: restart.restart,
}
KINDS: dict[str, Kind] = {kind: Kind(POINTS[kind], handler) for kind, handler in HANDLERS.items()}
"""Each task kind's handler, at its point (render/task_points.py; the apply group of that point
says when it is reached)."""


class UnknownTask(DockyardError):
    """The render asks for a task no handler runs; nothing is applied."""


def check_known(requests: Sequence[TaskRequest]) -> None:
    """Before anything is written: every requested task has a handler."""
    unknown = [r for r in requests if r.kind not in KINDS]
    if unknown:
        lines = [f"{r.source.file}: task {r.kind} {r.name}: no lifecycle task runs `{r.kind}`" for r in unknown]
        raise UnknownTask("nothing was applied:\n" + "\n".join(lines))


@dataclass
class TaskRunner:
    """Runs each point's tasks in order (kind, then name); stops at the first failure."""

    requests: Sequence[TaskRequest]
    context: TaskContext
    done: list[str] = field(default_factory=list)

    def after(self, point: str) -> None:
        for request in sorted(self.requests, key=lambda r: (r.kind, r.name)):
            kind = KINDS[request.kind]
            if kind.point != point:
                continue
            try:
                what = kind.handler(request, self.context)
            except TaskFailed as error:
                raise TaskFailed(
                    f"task {request.kind} {request.name} (from {request.source.file}) failed: {error}\n"
                    "  the objects applied so far stay; fix the cause and apply again (tasks are idempotent)"
                ) from None
            line = f"task {request.kind} {request.name}: {what}"
            self.done.append(line)
            self.context.progress(line)


def runner(
    connection: Connection,
    requests: Sequence[TaskRequest],
    progress: Callable[[str], None],
    keycloak_url: str | None = None,
    provided: Mapping[tuple[str, str], Mapping[str, str]] | None = None,
) -> TaskRunner:
    return TaskRunner(requests, TaskContext(connection, progress, keycloak_url, provided or {}))


__all__ = ["KINDS", "TaskFailed", "TaskRunner", "check_known", "runner"]
