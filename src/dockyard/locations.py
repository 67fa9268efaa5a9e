"""Every place outside the platform repo where Dockyard reads or writes, derived from the
environment here and nowhere else.

    cache()           $XDG_CACHE_HOME/dockyard, else ~/.cache/dockyard: what can be made again
    tools()           cache()/tools: the local control plane's binaries, built from Go modules
    chart_cache()     $DOCKYARD_CHART_CACHE, else cache(): unpacked charts, rendered templates
    parse_cache()     $DOCKYARD_PARSE_CACHE, else cache()/parsed; None with $DOCKYARD_NO_CACHE
    sync_cache()      $DOCKYARD_SYNC_CACHE, else cache()/sync: the sync controller's git mirrors
                      and the revisions it exported
    data_home()       $DOCKYARD_HOME, else $XDG_DATA_HOME/dockyard (~/.local/share/dockyard):
                      local clusters' data, certificates and logs
    user_kubeconfig() the first file of $KUBECONFIG, else ~/.kube/config (as kubectl reads it)
"""

from __future__ import annotations

import os
from pathlib import Path


def cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dockyard"


def tools() -> Path:
    return cache() / "tools"


def chart_cache() -> Path:
    if os.environ.get("DOCKYARD_CHART_CACHE"):
        return Path(os.environ["DOCKYARD_CHART_CACHE"])
    return cache()


def parse_cache() -> Path | None:
    if os.environ.get("DOCKYARD_NO_CACHE"):
        return None
    if os.environ.get("DOCKYARD_PARSE_CACHE"):
        return Path(os.environ["DOCKYARD_PARSE_CACHE"])
    return cache() / "parsed"


def sync_cache() -> Path:
    if os.environ.get("DOCKYARD_SYNC_CACHE"):
        return Path(os.environ["DOCKYARD_SYNC_CACHE"])
    return cache() / "sync"


def data_home() -> Path:
    if os.environ.get("DOCKYARD_HOME"):
        return Path(os.environ["DOCKYARD_HOME"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "dockyard"


def user_kubeconfig() -> Path:
    paths = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    return Path(paths[0]) if paths else Path.home() / ".kube" / "config"
