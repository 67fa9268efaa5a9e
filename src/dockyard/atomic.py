"""Write a file whole or not at all: every file Dockyard writes outside a render's output tree
(state, kubeconfigs, caches, charts and charts.lock) goes through here."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> Path:
    """Write `path` whole or not at all, with permissions `mode` from the start.

    The bytes go to a new temporary file beside it (created exclusively, so never through a
    symlink planted at a predictable name), which then replaces the target by rename (a symlink at
    the target is replaced, not followed)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            os.fchmod(stream.fileno(), mode)
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return path
