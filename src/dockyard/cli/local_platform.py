"""`dockyard up --profile P [--with-example]`: the platform on the local control plane in one command.

The platform repo is a private copy of the embedded example in Dockyard's data directory
(`platforms/<cluster>`), owned by `up`: each run makes it again from the example (its pulled charts
and charts.lock kept), sets the cluster file's profile and context, keeps the example's services
only with `--with-example`, then pulls what the profile needs, checks and applies as `apply` does.
A second `up` writes nothing and takes about a second (plan by list).
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from ruamel.yaml import YAML

from dockyard import actions, locations
from dockyard.charts.lock import LOCK_FILE
from dockyard.charts.pull import PullFailed, pull_all
from dockyard.cli.components import chosen_sources
from dockyard.cli.progress import Display
from dockyard.cli.shared import err, out
from dockyard.errors import DockyardError
from dockyard.render.addresses import addresses
from dockyard.scaffold import template_dir

PROFILES = ("dev-fast", "full", "complete")
KEPT = ("charts", LOCK_FILE)
"""What a new copy keeps of the last one: the pulled charts and their pins."""


def platform_dir(cluster: str) -> Path:
    return locations.data_home() / "platforms" / cluster


def prepare(cluster: str, profile: str, context: str, with_example: bool) -> Path:
    """The private platform repo for `cluster`, made again from the example."""
    root = platform_dir(cluster)
    root.mkdir(parents=True, exist_ok=True)
    for entry in root.iterdir():
        if entry.name in KEPT:
            continue
        shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    source = template_dir()
    ignored = shutil.ignore_patterns(*(name for name in KEPT if (root / name).exists()), ".git")
    shutil.copytree(source, root, dirs_exist_ok=True, ignore=ignored)
    if not with_example:
        shutil.rmtree(root / "services", ignore_errors=True)
    _set_cluster(root / "clusters" / "local.yaml", cluster, profile, context)
    if cluster != "local":
        (root / "clusters" / "local.yaml").rename(root / "clusters" / f"{cluster}.yaml")
    return root


def _set_cluster(path: Path, cluster: str, profile: str, context: str) -> None:
    """The cluster file with this profile and kubeContext (a round trip: its comments kept)."""
    yaml = YAML(typ="rt")
    data = yaml.load(path.read_text())
    data["profile"] = profile
    data["kubeContext"] = context
    stream = io.StringIO()
    yaml.dump(data, stream)
    path.write_text(stream.getvalue())


def deploy(cluster: str, profile: str, kubeconfig: Path, context: str, with_example: bool) -> None:
    root = prepare(cluster, profile, context, with_example)
    platform = actions.platform_for(actions.load_repo(root, err.print), cluster)
    try:
        pull_all(root, chosen_sources([platform]), actions.chart_store().helm)
    except PullFailed as error:
        raise DockyardError(
            f"profile {profile} needs charts this machine could not pull:\n{error}\n"
            "(dev-fast's charts come from Go modules; full and complete also need Helm repositories)"
        ) from None
    planned = actions.plan_platform(  # the repo is up's own: leaving out the example removes its services
        platform, kubeconfig=kubeconfig, context=context, checks_first=True, report=err.print, allow_mass_prune=True
    )
    with Display() as display:
        applied = actions.apply_planned(planned, report=display)
    written, pruned = len(planned.changes.writes), len(applied.outcome.pruned)
    what = "the platform and the example's services" if with_example else "the platform"
    out.print(f"{what} ({profile}): {written} written, {pruned} pruned, {len(applied.tasks_done)} tasks run")
    out.print(f"  platform repo: {root} (made again by each `up`; for your own, `dockyard init DIR`)")
    out.print(f"  next: dockyard plan {root} -c {cluster}   (or: dockyard watch {root} -c {cluster})")
    found = addresses(planned.bundle.objects, profile)
    if found:
        out.print("  addresses (they answer on a real cluster; locally KWOK only marks pods running):")
        width = max(len(address.url) for address in found)
        for address in found:
            out.print(f"    {address.url:<{width}}  {address.route}")
    out.print(f"  console: dockyard console {root} -c {cluster} --dev-login")
