"""`dockyard doctor` on a machine that lacks things: each is named with what to do, and the exit
code says whether something needed is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_a_machine_without_go_or_git_is_told_what_to_install(tmp_path: Path) -> None:
    env = {
        "PATH": str(tmp_path / "empty"),  # no go, no git, no java
        "HOME": str(tmp_path / "home"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),  # nothing built
        "PYTHONPATH": os.pathsep.join(sys.path),
        "KUBECONFIG": str(tmp_path / "kubeconfig"),  # a file of another shape than kubeconfig's
    }
    (tmp_path / "kubeconfig").write_text("contexts: 5\n")
    done = subprocess.run(
        [sys.executable, "-m", "dockyard.cli", "doctor"], env=env, capture_output=True, text=True, check=False
    )
    lines = done.stdout.splitlines()
    assert done.returncode == 1, done.stdout + done.stderr
    assert "missing  git                  not on PATH" in lines
    assert "                              -> install git (sync, secrets diff and the tests use it)" in lines
    assert "missing  go                   not on PATH" in lines
    assert "                              -> install Go 1.26 or newer to build the local control plane" in lines
    assert "optional java                 not on PATH" in lines
    assert lines[0].startswith("ok       python ")
    assert f"optional kubeconfig           no context in {tmp_path / 'kubeconfig'}" in lines
    assert lines[-1] == "missing: git, go"
    assert "internal error" not in done.stderr
