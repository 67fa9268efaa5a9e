"""Manifest bundles: the objects of every YAML file in an unpacked bundle, cached by digest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dockyard import locations
from dockyard.atomic import write_atomic
from dockyard.charts.helm import documents

SUFFIXES = (".yaml", ".yml")


def objects(directory: Path, digest: str) -> list[dict[str, Any]]:
    """Every object of every YAML file under `directory`, files in path order."""
    cache = locations.chart_cache() / "manifests" / f"{digest}.json"
    if cache.is_file():
        cached: list[dict[str, Any]] = json.loads(cache.read_text(encoding="utf-8"))  # written below
        return cached
    result: list[dict[str, Any]] = []
    for path in sorted(p for p in directory.rglob("*") if p.suffix in SUFFIXES and p.is_file()):
        result += documents(path.read_text(encoding="utf-8"), str(path.relative_to(directory)))
    cache.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(cache, json.dumps(result).encode())
    return result
