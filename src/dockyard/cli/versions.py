"""Commands about Dockyard's own versions: version, migrate."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from dockyard import __version__
from dockyard.cli.shared import RepoArg, out
from dockyard.load import schemas
from dockyard.load.files import find_repo
from dockyard.load.versions import series
from dockyard.migrate import plan_migration, write_migration
from dockyard.tools import versions as tool_versions


def version(
    as_json: Annotated[bool, typer.Option("--json", help="Version, schema versions and pinned tools as JSON.")] = False,
) -> None:
    """Print Dockyard's version, the file schema versions it reads, and the tool versions it pins."""
    if not as_json:
        out.print(f"dockyard {__version__}")
        return
    report = {
        "version": __version__,
        "repoRange": series(),
        "schemas": {
            kind: {
                "current": schema["properties"]["apiVersion"]["const"],
                "deprecated": sorted(schemas.OLDER.get(kind, {})),
            }
            for kind, schema in sorted(schemas.BY_KIND.items())
        },
        "tools": {
            "kubernetes": tool_versions.KUBERNETES,
            "etcd": tool_versions.ETCD,
            "kwok": tool_versions.KWOK,
            "helm": tool_versions.HELM,
        },
    }
    sys.stdout.write(json.dumps(report, indent=2, sort_keys=True) + "\n")


def migrate(
    repo: RepoArg = Path("."),
    to: Annotated[
        str | None, typer.Option("--to", help="The Dockyard version whose schema to move to (default: this one).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the change as a diff; write nothing.")] = False,
) -> None:
    """Move the platform repo to the current schema, keeping comments and formatting; idempotent."""
    root = find_repo(repo)
    migration = plan_migration(root, to)
    if not migration.changed:
        out.print(f"nothing to migrate: the repo is in Dockyard {migration.target}'s schema")
        return
    if dry_run:
        sys.stdout.write(migration.diff())
        out.print(f"{len(migration.changed)} files would change (--dry-run: nothing was written)")
        return
    for path in write_migration(root, migration):
        out.print(f"wrote {path}")
    for step in migration.steps:
        out.print(f"  {step.since}: {step.title}")
    out.print(f"migrated to Dockyard {migration.target}'s schema; review with `git diff`")
