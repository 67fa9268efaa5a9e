"""Where Dockyard caches what it can make again (tools, parsed files, charts, rendered templates):
$XDG_CACHE_HOME/dockyard, else ~/.cache/dockyard, outside every repo."""

from __future__ import annotations

import os
from pathlib import Path


def dockyard_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dockyard"
