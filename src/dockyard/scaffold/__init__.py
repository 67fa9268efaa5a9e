"""`dockyard init`: a new platform repo from the example shop, ready to validate."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from dockyard.errors import UsageError

TEMPLATE = "shop"


def template_dir() -> Path:
    """The example shop: packaged inside the wheel, or examples/shop in a source checkout."""
    packaged = Path(__file__).parent / TEMPLATE
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[3] / "examples" / TEMPLATE
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError("the example platform repo is missing from this Dockyard installation")


def init(target: Path) -> list[str]:
    """Copy the example platform repo into `target` (new or empty); return the files written."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"{target} already exists and is not empty; choose a new directory")
    source = template_dir()
    # charts/ holds the example's pulled archives; a new repo pulls its own (`dockyard charts pull`)
    shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("charts"))
    written = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    if shutil.which("git") and not _inside_git(target):
        subprocess.run(["git", "init", "-q", str(target)], check=False)
    return written


def _inside_git(path: Path) -> bool:
    done = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "--is-inside-work-tree"], capture_output=True, text=True, check=False
    )
    return done.returncode == 0 and done.stdout.strip() == "true"
