"""The README's first step on a machine that has never seen the project: no uv, no caches, cargo
only in ~/.cargo/bin. Run as a newcomer would, in a copy of the project with a PATH and HOME of
its own (a developer's machine keeps what earlier runs installed, so only a test can tell)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from dockyard.tools.build import binary_path
from tests.fresh import fresh_machine

pytestmark = pytest.mark.fresh


def test_setup_installs_what_it_needs_on_a_machine_that_has_never_seen_the_project(tmp_path: Path) -> None:
    project, env = fresh_machine(tmp_path, cargo=True)
    done = subprocess.run(["bash", "scripts/setup"], cwd=project, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    version = subprocess.run(
        ["python3", "-m", "uv", "run", "--locked", "dockyard", "--version"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert (version.returncode, version.stdout.split()[0]) == (0, "dockyard"), version.stderr
    verified = subprocess.run(
        ["python3", "-m", "uv", "run", "--locked", "dockyard", "charts", "verify", "examples/shop", "-c", "local"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert verified.stdout == "verified: 5 charts match charts.lock\n", verified.stderr


def test_setup_without_a_rust_toolchain_says_what_to_install(tmp_path: Path) -> None:
    project, env = fresh_machine(tmp_path, cargo=False)
    done = subprocess.run(["bash", "scripts/setup"], cwd=project, env=env, capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "setup: Dockyard's policy engine binding needs a Rust toolchain (cargo); install it with rustup"
    )


def test_the_wheels_install_and_run_where_there_is_no_rust(tmp_path: Path) -> None:
    """Built once where cargo is; installed into a fresh virtual environment and run on the example
    where it is not, as `uv tool install` or `pipx install` users do."""
    project, env = fresh_machine(tmp_path / "builder", cargo=True)
    built = subprocess.run(
        ["bash", "scripts/wheels", str(tmp_path / "dist")], cwd=project, env=env, text=True, capture_output=True
    )
    assert built.returncode == 0, built.stdout + built.stderr
    wheels = sorted(p.name for p in (tmp_path / "dist").glob("*.whl"))
    assert [w.split("-")[0] for w in wheels] == ["dockyard", "dockyard_rego"]
    assert "-cp311-abi3-manylinux2014_x86_64" in wheels[1]  # every CPython from 3.11, glibc from 2.17

    _project, user = fresh_machine(tmp_path / "user", cargo=False)
    venv = tmp_path / "venv"
    for command in (
        ["python3", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "uv"],
        ["python3", "-m", "uv", "venv", "--quiet", str(venv)],
        [
            "python3",
            "-m",
            "uv",
            "pip",
            "install",
            "--quiet",
            "--python",
            str(venv / "bin" / "python"),
            *map(str, sorted((tmp_path / "dist").glob("*.whl"))),
        ],
    ):
        done = subprocess.run(command, env=user, capture_output=True, text=True)
        assert done.returncode == 0, " ".join(command) + "\n" + done.stdout + done.stderr
    assert shutil.which("cargo", path=user["PATH"]) is None
    dockyard = str(venv / "bin" / "dockyard")
    example = tmp_path / "shop"
    init = subprocess.run([dockyard, "init", str(example)], env=user, capture_output=True, text=True)
    assert init.returncode == 0, init.stderr
    valid = subprocess.run([dockyard, "validate", str(example)], env=user, capture_output=True, text=True)
    assert valid.returncode == 0 and valid.stdout.startswith("valid: shop:"), valid.stdout + valid.stderr
    rendered = subprocess.run(
        [dockyard, "render", str(example), "-c", "local", "--only", "services"],
        env=user,
        capture_output=True,
        text=True,
    )
    assert rendered.returncode == 0 and "kind: Deployment" in rendered.stdout, rendered.stderr
    go_cache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True).stdout.strip()
    helm = str(binary_path("helm"))  # helm, as `dockyard localcluster build helm` builds it (no Rust either)
    tools = {**user, "GOMODCACHE": go_cache, "DOCKYARD_HELM": helm}
    pulled = subprocess.run(  # the example's charts, as `dockyard init` says (Go modules: this machine's cache)
        [dockyard, "charts", "pull", str(example), "-c", "local"], env=tools, capture_output=True, text=True
    )
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    checked = subprocess.run(
        [dockyard, "check", str(example), "-c", "local"], env=tools, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr  # the policy engine ran from its wheel
