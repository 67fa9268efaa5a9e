"""The `dockyard` command: parse arguments, call the pipeline, turn errors into exit codes.

One module per command group, over the actions layer (dockyard/actions.py):

    shared         output streams and the options several commands share
    repo           init, validate, render, explain, schema
    versions       version, migrate
    doctor         doctor (prerequisites, and what to do for each one missing)
    checks         check
    deploy         plan, apply
    sync           sync (the GitOps loop), sync status, watch (the working tree, on every save)
    argocd         argocd plugin (and render --argocd): Argo CD as the syncer
    secrets        secrets init, set, unset, list, edit, rotate, recipients, diff
    components     components, charts pull/verify
    policies       policies export
    localcluster   localcluster ..., up, down, status
    console        console (the web console: dockyard/console/)

Exit codes (the README's table):

    0    success (plan: with or without changes)
    1    the input is invalid, a check denied, or a step failed (nothing partial is applied)
    2    the command line is wrong; `plan --detailed-exitcode`: there are changes
    70   an internal error (a bug: please report it; DOCKYARD_DEBUG=1 shows the traceback)
    130  interrupted
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Annotated, NoReturn

import typer
from typer.exceptions import TyperException

from dockyard import __version__
from dockyard.cli import (
    argocd,
    authentication,
    checks,
    components,
    console,
    deploy,
    doctor,
    localcluster,
    policies,
    repo,
    secrets,
    sync,
    versions,
)
from dockyard.cli.deploy import CHANGES
from dockyard.cli.shared import err, out
from dockyard.errors import DockyardError, InputError, printable
from dockyard.load.parsed import write_parse_cache

app = typer.Typer(
    name="dockyard",
    help="Dockyard turns one platform repo into a validated microservice platform on Kubernetes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(localcluster.app, name="localcluster")
app.add_typer(components.charts_app, name="charts")
app.add_typer(policies.policies_app, name="policies")
app.add_typer(sync.app, name="sync")
app.add_typer(argocd.app, name="argocd")
app.add_typer(secrets.app, name="secrets")
app.command("components")(components.components)
app.command()(authentication.authentication)
for command in localcluster.TOP_LEVEL:
    app.command(command.__name__)(command)
app.command()(repo.init)
app.command()(repo.validate)
app.command(name="render")(repo.render_command)
app.command(name="check")(checks.check_command)
app.command(name="plan")(deploy.plan_command)
app.command(name="apply")(deploy.apply_command)
app.command(name="explain")(repo.explain_command)
app.command()(repo.schema)
app.command()(versions.version)
app.command()(versions.migrate)
app.command(name="console")(console.console_command)
app.command()(sync.watch)
app.command()(doctor.doctor)


def _version(value: bool) -> None:
    if value:
        out.print(f"dockyard {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Dockyard: one platform repo, a whole platform."""


def _report(error: DockyardError) -> None:
    if isinstance(error, InputError):
        for problem in error.problems:
            err.print(str(problem))
        count = len(error.problems)
        err.print(f"{count} problem{'s' if count != 1 else ''} found; nothing was changed")
    else:
        err.print(f"error: {printable(str(error), keep_newlines=True)}")


GC_THRESHOLDS = (100_000, 50, 100)
"""A render allocates millions of small objects that live until the command ends; at Python's
default (700 allocations) the collector ran so often it took 40 % of a warm `validate` of 1,000
services (bench/validate.py). Collections are rarer, not off: reference cycles are still freed."""


def main() -> None:
    """Console entry point: never a traceback for a user's mistake."""
    gc.set_threshold(*GC_THRESHOLDS)
    gc.freeze()  # what the imports made lives as long as the process: never scan it again
    detailed = "--detailed-exitcode" in sys.argv[1:]

    def failed(code: int) -> NoReturn:
        sys.exit(1 if detailed and code == CHANGES else code)

    try:
        try:
            code = app(standalone_mode=False)  # an Exit(n) inside a command comes back as n
        finally:
            write_parse_cache()
        if isinstance(code, int) and code:
            sys.exit(code)
    except DockyardError as error:
        _report(error)
        failed(error.exit_code)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except TyperException as error:  # the command line itself is wrong
        show = getattr(error, "show", None)
        if show is not None:
            show()
        else:
            err.print(f"error: {error!s}")
        failed(getattr(error, "exit_code", 2))
    except Exception as error:  # a bug
        if os.environ.get("DOCKYARD_DEBUG"):
            raise
        err.print(f"internal error: {type(error).__name__}: {printable(str(error))}")
        err.print("this is a bug in Dockyard; rerun with DOCKYARD_DEBUG=1 for the traceback and report it")
        sys.exit(70)


if __name__ == "__main__":
    main()
