"""Where the user's kubeconfig is: the first file of $KUBECONFIG, else ~/.kube/config (as kubectl reads it)."""

from __future__ import annotations

import os
from pathlib import Path


def user_kubeconfig() -> Path:
    paths = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    return Path(paths[0]) if paths else Path.home() / ".kube" / "config"
