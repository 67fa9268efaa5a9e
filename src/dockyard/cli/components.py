"""`dockyard charts pull` and `dockyard components`: the platform's components and their pins."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console

from dockyard.actions import chart_store, load_repo, platform_for
from dockyard.charts.lock import LOCK_FILE, read, verified_archive
from dockyard.charts.pull import Pulled, PullFailed, pull_all
from dockyard.charts.source import ChartSource
from dockyard.charts.values_check import merge_values
from dockyard.cli.progress import Display
from dockyard.cli.shared import err
from dockyard.errors import DockyardError, Position, Problems
from dockyard.model.platform import Platform
from dockyard.progress import Done
from dockyard.render.components.catalog import choose
from dockyard.render.services import render as render_services

charts_app = typer.Typer(help="Pinned charts: pull them into charts/ and record their digests.", no_args_is_help=True)

RepoArg = Annotated[Path, typer.Argument(help="The platform repo (or a directory inside it).")]


class PullError(DockyardError):
    """Some charts could not be pulled; the others were."""


class _ValuesDumper(yaml.SafeDumper):
    """Values as people write them: a value used twice is written twice (no anchors), and text
    of several lines as a block."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # the emitter falls back to a quoted style where a block cannot hold the text exactly
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_ValuesDumper.add_representer(str, _text)


def _platforms(repo: Path, clusters: list[str] | None) -> list[Platform]:
    loaded = load_repo(repo, err.print)
    names = clusters or sorted(loaded.clusters)
    return [platform_for(loaded, name) for name in names]


def chosen_sources(platforms: list[Platform]) -> dict[str, ChartSource]:
    sources: dict[str, ChartSource] = {}
    for platform in platforms:
        problems = Problems()
        chosen = choose(platform, problems)
        problems.raise_if_any()
        for item in chosen:
            source = item.component.source
            if source is None:
                continue
            if item.component.name in sources and sources[item.component.name] != source:
                raise DockyardError(
                    f"component `{item.component.name}` pins different charts in different clusters "
                    f"({sources[item.component.name].origin} and {source.origin}); charts.lock holds one per component"
                )
            sources[item.component.name] = source
    return sources


@charts_app.command("pull")
def pull(
    repo: RepoArg = Path("."),
    cluster: Annotated[
        list[str] | None, typer.Option("--cluster", "-c", help="Only these clusters' components.")
    ] = None,
) -> None:
    """Download every pinned chart the clusters use into charts/ and record its sha256 in charts.lock.

    A chart already in charts.lock must match its digest; a new one is pinned. Without --cluster,
    pins and archives no cluster uses any more are removed."""
    platforms = _platforms(repo, cluster)
    root = platforms[0].root or Path(".")

    with Display(Console(highlight=False), plain_steps=False) as display:

        def report(pulled: Pulled) -> None:
            origin = pulled.source.origin if pulled.action != "removed" else "no longer used by any cluster"
            display(Done(f"{pulled.action:>10}  {pulled.name}  {origin}"))

        try:
            pull_all(root, chosen_sources(platforms), chart_store().helm, report, tidy=not cluster, starting=display)
        except PullFailed as error:
            raise PullError(f"could not pull:\n{error}\n(every chart pulled before is pinned in {LOCK_FILE})") from None


@charts_app.command("verify")
def verify(
    repo: RepoArg = Path("."),
    cluster: Annotated[list[str] | None, typer.Option("--cluster", "-c", help="Only these clusters' charts.")] = None,
) -> None:
    """Check, offline, that every chart the clusters use is pinned and its archive matches (for CI)."""
    platforms = _platforms(repo, cluster)
    root = platforms[0].root or Path(".")
    pins = read(root)
    problems = Problems()
    sources = chosen_sources(platforms)
    for name in sorted(sources):
        problems.attempt(partial(verified_archive, root, pins, name, sources[name], Position(LOCK_FILE)))
    problems.raise_if_any()
    typer.echo(f"verified: {len(sources)} charts match {LOCK_FILE}")


def components(
    cluster: Annotated[str, typer.Option("--cluster", "-c", help="The cluster.")],
    repo: RepoArg = Path("."),
    values: Annotated[bool, typer.Option("--values", help="Also print the values each chart gets.")] = False,
) -> None:
    """The components a cluster installs: namespace, stage, chart and whether it is pinned."""
    (platform,) = _platforms(repo, [cluster])
    problems = Problems()
    chosen = choose(platform, problems)
    problems.raise_if_any()
    pins = Problems().attempt(partial(read, platform.root or Path(".")))  # unpinned: said per component
    pinned = pins.entries if pins is not None else {}
    requests = render_services(platform).tasks if values else ()  # values that follow the services' resources
    for item in chosen:
        component = item.component
        source = component.source
        state = "dockyard" if source is None else ("pinned" if component.name in pinned else "not pulled")
        origin = source.origin if source else "rendered by Dockyard"
        typer.echo(f"{component.name:<26} {component.namespace:<24} {component.stage:<20} {state:<10} {origin}")
        if values and component.patches is not None:
            text = yaml.dump(
                {"changes to its own objects": component.patches(platform)},
                Dumper=_ValuesDumper,
                sort_keys=False,
                width=4096,
            )
            typer.echo("".join(f"    {line}\n" for line in text.splitlines()), nl=False)
        if values and source is not None and source.kind == "helm":
            merged = merge_values(component.values_for(platform, requests), item.values)
            text = yaml.dump(merged, Dumper=_ValuesDumper, sort_keys=True, width=4096) if merged else "{}\n"
            typer.echo("".join(f"    {line}\n" for line in text.splitlines()), nl=False)
