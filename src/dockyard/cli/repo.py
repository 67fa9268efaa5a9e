"""Commands on the platform repo alone: init, validate, render, explain, schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from dockyard import actions
from dockyard.cli.shared import ClusterOpt, ImageOpt, RepoArg, err, out, output_directory
from dockyard.errors import InputError, Problems, UsageError
from dockyard.load import schemas
from dockyard.load.layers import Explanation, effective, explain
from dockyard.model.images import parse_image_options
from dockyard.render.argocd import applications, of_stage
from dockyard.render.bundle import Stage, to_yaml
from dockyard.render.output import Format, stream, write_tree
from dockyard.render.platform import Part
from dockyard.scaffold import init as scaffold_init


def init(directory: Annotated[Path, typer.Argument(help="A new or empty directory.")]) -> None:
    """Create a platform repo from the example shop (four services, two environments, two clusters)."""
    written = scaffold_init(directory)
    out.print(f"created platform repo {directory} ({len(written)} files)")
    out.print(f"next: dockyard validate {directory}, then dockyard charts pull {directory} (the pinned charts)")


def validate(repo: RepoArg = Path("."), cluster: ClusterOpt = None, image: ImageOpt = None) -> None:
    """Load and merge every layer, validate everything (rendering included), print every error at once."""
    found = Problems()
    loaded = actions.load_repo(repo, err.print, found)
    images = parse_image_options(image)
    validated = actions.validate_repo(loaded, [cluster] if cluster else [], images, found, parallel=True)
    actions.report_warnings(validated.warnings, err.print)
    if validated.errors:
        raise InputError(list(validated.errors))
    clusters = validated.clusters
    services, environments = len(loaded.services), len(loaded.environments)
    out.print(
        f"valid: {loaded.platform.data['name']}: {services} services, {environments} environments, "
        f"cluster{'s' if len(clusters) != 1 else ''} {', '.join(clusters)}"
    )


def render_command(
    cluster: Annotated[str, typer.Option("--cluster", "-c", help="The cluster to render for.")],
    repo: RepoArg = Path("."),
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write one file per object here.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="yaml or json.")] = "yaml",
    only: Annotated[str, typer.Option("--only", help="all, platform (components) or services.")] = "all",
    stage: Annotated[str | None, typer.Option("--stage", help="Only the objects of this stage.")] = None,
    image: ImageOpt = None,
    argocd: Annotated[
        bool, typer.Option("--argocd", help="Argo CD Applications, one per stage, instead of the objects.")
    ] = False,
    repo_url: Annotated[str | None, typer.Option("--repo-url", help="With --argocd: the repo's git URL.")] = None,
    revision: Annotated[str, typer.Option("--revision", help="With --argocd: the branch, tag or commit.")] = "HEAD",
    repo_path: Annotated[str, typer.Option("--repo-path", help="With --argocd: the repo's directory in git.")] = ".",
) -> None:
    """Render the platform's components and every service: one file per object, or one stream to stdout."""
    if fmt not in tuple(Format):
        raise UsageError(f"--format must be yaml or json, not `{fmt}`")
    if only not in tuple(Part):
        raise UsageError(f"--only must be one of {', '.join(Part)}, not `{only}`")
    if stage is not None and stage not in tuple(Stage):
        raise UsageError(f"--stage must be one of {', '.join(Stage)}, not `{stage}`")
    if argocd and (repo_url is None or output is not None):
        raise UsageError("--argocd needs --repo-url (the Applications name the repo) and writes to stdout (no -o)")
    platform = actions.platform_for(actions.load_repo(repo, err.print), cluster, parse_image_options(image))
    bundle = actions.render_for(platform, Part(only), report=err.print)
    if stage is not None:
        bundle = of_stage(bundle, Stage(stage))
    if argocd:
        assert repo_url is not None
        if bundle.sealed:
            names = ", ".join(f"{s.namespace}/{s.name}" for s in bundle.sealed[:3])
            raise UsageError(
                f"Secrets made from the repo's encrypted secrets ({names}) are filled only by Dockyard's own apply "
                "or sync controller; Argo CD would apply them without their values: sync with `dockyard sync`"
            )
        found = applications(bundle, platform.name, cluster, repo_url, revision, repo_path)
        sys.stdout.write(to_yaml(found) if fmt == Format.YAML else json.dumps(found, indent=2) + "\n")
        return
    if output is None:
        sys.stdout.write(stream(bundle, Format(fmt)))
        return
    _not_into_the_repo(output, platform.root)
    written = write_tree(bundle, output, Format(fmt))
    err.print(f"rendered {len(written)} objects for cluster {cluster} into {output}")


INPUTS = ("services", "environments", "clusters", "provisioners", "policies", "secrets", "charts", ".dockyard")
"""The repo's directories Dockyard reads: rendered files must never land among them."""


def _not_into_the_repo(output: Path, root: Path | None) -> None:
    """A usage error when --output is the repo itself, holds it, or is inside what it reads."""
    if root is None:
        return
    target, base = output.resolve(), root.resolve()
    inputs = [(base / name).resolve() for name in INPUTS]  # an input may be a link to a directory in the repo
    inside_inputs = any(target == place or place in target.parents for place in inputs)
    if target == base or target in base.parents or inside_inputs:
        raise UsageError(
            f"--output {output} would put rendered files among the platform repo's own "
            f"({root}); give a directory of their own, such as out/"
        )


def explain_command(
    key: Annotated[str, typer.Argument(help="A dotted key, e.g. services.orders.replicas.")],
    cluster: Annotated[str, typer.Option("--cluster", "-c", help="The cluster whose values to explain.")],
    repo: RepoArg = Path("."),
) -> None:
    """Show a key's effective value, the file:line that set it, and what it overrode."""
    loaded = actions.load_repo(repo, err.print)
    _print_explanation(explain(effective(loaded, cluster), key))


def _print_explanation(explanation: Explanation) -> None:
    if explanation.removed_by is not None:
        out.print(f"{explanation.key} is unset: removed (null) by {explanation.removed_by}")
    elif explanation.leaves and explanation.leaves[0].key == explanation.key:
        leaf = explanation.leaves[0]
        out.print(f"{leaf.key} = {_show(leaf.value)}")
        out.print(f"  set by {leaf.origin}")
    else:
        out.print(f"{explanation.key}:")
        width = max((len(leaf.key) for leaf in explanation.leaves), default=0)
        for leaf in explanation.leaves:
            out.print(f"  {leaf.key:<{width}} = {_show(leaf.value)}  ({leaf.origin})")
    for override in explanation.overridden:
        out.print(f"  overrides {_show(override.value)} from {override.origin}")


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def schema(
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write one <kind>.json per file kind here.")
    ] = None,
) -> None:
    """Print or write the JSON Schemas (Draft 2020-12) of every platform repo file kind."""
    if out_dir is None:
        sys.stdout.write(json.dumps(schemas.BY_KIND, indent=2, sort_keys=True) + "\n")
        return
    output_directory(out_dir, "--out")
    for name in write_schemas(out_dir):
        out.print(f"wrote {name}")


def write_schemas(directory: Path) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, document in sorted(schemas.BY_KIND.items()):
        path = directory / f"{kind}.json"
        path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        written.append(str(path))
    return written
