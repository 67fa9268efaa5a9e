"""`dockyard doctor` on a machine that lacks things: each is named with what to do, and the exit
code says whether something needed is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def test_a_machine_without_go_or_git_is_told_what_to_install(tmp_path: Path) -> None:
    env = {
        "PATH": str(tmp_path / "empty"),  # no go, no git, no chromium
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
    assert "optional chromium             not on PATH" in lines
    assert (
        "                              -> `sudo apt-get install chromium` (scripts/install-chromium), "
        "for the console's browser tests"
    ) in lines
    assert lines[0].startswith("ok       python ")
    assert f"optional kubeconfig           no context in {tmp_path / 'kubeconfig'}" in lines
    assert lines[-1] == "missing: git, go"
    assert "internal error" not in done.stderr


def _fake_java(home: Path, major: int) -> Path:
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text(f"#!/bin/sh\necho 'openjdk version \"{major}.0.2\" 2025-01-21' >&2\n")
    java.chmod(0o755)
    return home


def test_java_for_keycloak_is_looked_for_beyond_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dockyard import doctor

    jvms = tmp_path / "jvm"
    monkeypatch.setattr(doctor, "JVMS", jvms)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("JAVA_HOME", str(_fake_java(tmp_path / "old", 17)))
    assert doctor.java_home() == (None, "only Java 17")
    _fake_java(jvms / "temurin-21", 21)  # JAVA_HOME is too old; the distribution has a newer one
    assert doctor.java_home() == (str(jvms / "temurin-21"), f"Java 21 in {jvms / 'temurin-21'}")
    monkeypatch.delenv("JAVA_HOME")
    (jvms / "temurin-21" / "bin" / "java").unlink()
    check = doctor._java()
    assert (check.status, check.found) == (doctor.Status.OPTIONAL, "no Java")
