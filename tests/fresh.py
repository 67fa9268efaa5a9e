"""A machine that has never seen the project: a copy of it as a clean clone has it, a HOME with
nothing in it and a PATH with Go and a Python that has no uv (tests/test_fresh_machine.py and
bench/first_run.py run the README's commands there)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import PROJECT


def copy_project(target: Path) -> Path:
    """The project's files as a clean clone has them (tracked and new files, nothing ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for relative in filter(None, listed.split("\0")):
        source = PROJECT / relative
        if source.is_file():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / relative)
    return target


def fresh_machine(tmp_path: Path, *, cargo: bool) -> tuple[Path, dict[str, str]]:
    """A project copy, a HOME with nothing in it (but, if `cargo`, the Rust toolchain where rustup
    puts it) and a PATH with Go and a Python that has no uv."""
    project = copy_project(tmp_path / "project")
    home = tmp_path / "home"
    home.mkdir()
    real_home = Path.home()
    if cargo:
        for folder in (".cargo", ".rustup"):
            if (real_home / folder).is_dir():
                (home / folder).symlink_to(real_home / folder)
    python = tmp_path / "python"
    subprocess.run([sys.executable, "-m", "venv", str(python)], check=True, capture_output=True)
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "python3").symlink_to(python / "bin" / "python3")
    go = shutil.which("go")
    path = [str(tools), *([str(Path(go).resolve().parent)] if go else []), "/usr/bin", "/bin"]
    keep = ("LANG", "LC_ALL", "TERM", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR", "GOPROXY", "GONOSUMDB", "GOPRIVATE")
    env = {k: v for k, v in os.environ.items() if k in keep or k.startswith(("PIP_", "UV_INDEX", "CARGO_REGISTRIES"))}
    env.update(PATH=os.pathsep.join(path), HOME=str(home), GOFLAGS="-modcacherw", CI="true")
    return project, env
