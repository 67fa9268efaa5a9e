"""`dockyard argocd plugin`: Argo CD runs Dockyard's render through a Config Management Plugin."""

from __future__ import annotations

import sys

import typer

from dockyard.render.argocd import plugin as plugin_config
from dockyard.render.bundle import to_yaml

app = typer.Typer(help="Argo CD as the syncer: the plugin that renders, and (render --argocd) the Applications.")


@app.command("plugin")
def plugin() -> None:
    """Print the Config Management Plugin (the sidecar's plugin.yaml) that runs `dockyard render`."""
    sys.stdout.write(to_yaml([plugin_config()]))
