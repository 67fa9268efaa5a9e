"""What every command shares: its output streams and the options several commands take."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from dockyard.errors import UsageError


class _Stream:
    """Plain lines to stdout or stderr (rich is imported only where a command draws more than lines)."""

    def __init__(self, *, stderr: bool) -> None:
        self.stderr = stderr

    def print(self, line: str = "") -> None:
        typer.echo(line, err=self.stderr)


out = _Stream(stderr=False)
err = _Stream(stderr=True)

RepoArg = Annotated[Path, typer.Argument(help="The platform repo (or a directory inside it).")]
ClusterOpt = Annotated[str | None, typer.Option("--cluster", "-c", help="Only this cluster.")]
ImageOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--image",
        help="SERVICE=IMAGE for the service's `image: .` containers, SERVICE.CONTAINER=IMAGE for one (repeatable).",
    ),
]
KubeconfigOpt = Annotated[Path | None, typer.Option("--kubeconfig", help="Default: $KUBECONFIG or ~/.kube/config.")]
ContextOpt = Annotated[str | None, typer.Option("--context", help="Default: the cluster's kubeContext.")]


class Output(StrEnum):
    """What `--output` may name (each command accepts some of them)."""

    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"


def output_format(given: str, allowed: tuple[Output, ...] = (Output.TEXT, Output.JSON)) -> Output:
    """`--output` as its enum member. The command checks it itself (not typer), so that a wrong
    value is a usage error the command's own exit codes account for (`plan --detailed-exitcode`)."""
    if given not in allowed:
        raise UsageError(f"--output must be {', '.join(allowed[:-1])} or {allowed[-1]}, not `{given}`")
    return Output(given)


def output_directory(directory: Path, option: str) -> Path:
    """`directory`, made if missing; a usage error when it is a file or cannot be made."""
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} is a file, not a directory; give {option} a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot make {directory} for {option}: {error.strerror or error}") from None
    return directory
