"""When each lifecycle task runs in an apply: after the namespaces are created, or once a stage is
applied and healthy. The render needs this to tell which Secrets a stage's pods can read (a task
that runs after a stage makes its Secrets too late for that stage); the apply runs each task at
its point."""

from __future__ import annotations

from dockyard.render.bundle import STAGES
from dockyard.render.task_data import TaskKind

NAMESPACES = "namespace objects"
"""The point right after the Namespace objects are created (not the stage `namespaces`, which
holds what goes into them and comes later)."""

POINTS: dict[TaskKind, str] = {
    TaskKind.ENSURE_SECRET: NAMESPACES,
    TaskKind.POSTGRES_ROLE: NAMESPACES,
    TaskKind.S3_BUCKET: NAMESPACES,
    TaskKind.KEYCLOAK_CLIENT: "platform-services",
    TaskKind.KEYCLOAK_PRUNE: "platform-services",
    TaskKind.RESTART: "platform-services",
}
"""Task kind -> NAMESPACES, or the stage after which it runs."""


def described(point: str) -> str:
    """When a point is reached, for people: `the namespaces are created`, `stage X is healthy`."""
    return "the namespaces are created" if point == NAMESPACES else f"stage {point} is healthy"


def first_stage_served(point: str) -> str | None:
    """The first stage whose pods can read what a task at `point` makes (None: every stage)."""
    if point == NAMESPACES:
        return None
    later = STAGES[STAGES.index(point) + 1 :]
    return later[0] if later else "after the last stage"
