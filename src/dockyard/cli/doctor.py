"""`dockyard doctor`: what this machine has of what Dockyard needs, and what to do about the rest."""

from __future__ import annotations

import typer

from dockyard.cli.shared import out
from dockyard.doctor import Status, run_checks


def doctor() -> None:
    """Check the prerequisites (Python, the policy engine, git, Go, disk, Java, an age key, kubeconfig)
    and say exactly what to do for each one missing. Exit 1 when something needed is missing."""
    checks = run_checks()
    width = max(len(check.name) for check in checks)
    for check in checks:
        out.print(f"{check.status.value:<8} {check.name:<{width}}  {check.found}")
        if check.fix and check.status is not Status.OK:
            out.print(f"{'':<8} {'':<{width}}  -> {check.fix}")
    missing = [check.name for check in checks if check.status is Status.MISSING]
    if missing:
        out.print(f"missing: {', '.join(missing)}")
        raise typer.Exit(1)
    out.print("everything Dockyard needs is here")
