"""`dockyard doctor`: what this machine has of what Dockyard needs, and exactly what to do about
each thing it lacks. Nothing is installed or changed; every check is local (no network).

Needed for everything: Python 3.11+, the policy engine (a wheel, or Rust to build it), git.
Needed for the local control plane: Go 1.26+ to build it (or the binaries built already), free
disk for the tools and the cluster. Optional: Java 21+ (the Keycloak tests), Chromium (the
console's browser tests), an age key (the repo's encrypted secrets), kubeconfig contexts.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import yaml

from dockyard import locations
from dockyard.tools import build, versions

PYTHON_MINIMUM = (3, 11)
DISK_NEEDED_GIB = 5
"""The tools (Kubernetes, etcd, KWOK, helm built from source: about 1 GiB with Go's caches) and a
cluster's data, with room to spare."""


class Status(StrEnum):
    OK = "ok"
    MISSING = "missing"
    """Needed: Dockyard (or a part named in the check) cannot work without it."""
    OPTIONAL = "optional"
    """Not there, and only some commands or tests need it."""


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    found: str
    fix: str = ""


def run_checks() -> list[Check]:
    """Every check; one that cannot run on this machine says so instead of stopping the others."""
    results = []
    for check in CHECKS:
        try:
            results.append(check())
        except Exception as error:  # a machine stranger than the checks expect: said, never a traceback
            name = check.__name__.strip("_").replace("_", " ")
            results.append(Check(name, Status.OPTIONAL, f"could not be checked: {type(error).__name__}: {error}"))
    return results


def _python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    if tuple(sys.version_info[:2]) >= PYTHON_MINIMUM:
        return Check("python", Status.OK, version)
    return Check("python", Status.MISSING, version, "install Python 3.11 or newer")


def _policy_engine() -> Check:
    try:
        import dockyard_rego  # noqa: F401  # the Rust binding every check runs on
    except ImportError:
        cargo = shutil.which("cargo") or (Path.home() / ".cargo" / "bin" / "cargo").is_file()
        fix = (
            "run scripts/setup (it builds the binding with cargo)"
            if cargo
            else ("install Rust (rustup) and run scripts/setup, or install Dockyard from a wheel")
        )
        return Check("policy engine", Status.MISSING, "dockyard_rego is not importable", fix)
    return Check("policy engine", Status.OK, "dockyard_rego")


def _git() -> Check:
    path = shutil.which("git")
    if path is None:
        return Check("git", Status.MISSING, "not on PATH", "install git (sync, secrets diff and the tests use it)")
    return Check("git", Status.OK, _first_line(["git", "--version"]))


def _go() -> Check:
    built = all(build.is_built(tool) for tool in build.TOOLS)
    need = ".".join(map(str, versions.GO_MINIMUM))
    if shutil.which("go") is None:
        if built:
            return Check("go", Status.OK, "not on PATH; the local control plane is built already")
        return Check(
            "go", Status.MISSING, "not on PATH", f"install Go {need} or newer to build the local control plane"
        )
    found, version = build.go_version()
    if version is not None and version >= versions.GO_MINIMUM:
        return Check("go", Status.OK, found)
    if built:
        return Check("go", Status.OK, f"{found or 'go env failed'}; the local control plane is built already")
    if version is None:
        return Check("go", Status.MISSING, f"`go env GOVERSION` said: {found or 'nothing'}", "repair the Go install")
    return Check("go", Status.MISSING, found, f"Go {need} or newer builds Kubernetes {versions.KUBERNETES}")


def _tools() -> Check:
    missing = [f"{tool.name} {tool.version}" for tool in build.TOOLS if not build.is_built(tool)]
    if not missing:
        return Check("local control plane", Status.OK, f"built in {locations.tools()}")
    return Check(
        "local control plane",
        Status.OPTIONAL,
        f"not built: {', '.join(missing)}",
        "`dockyard localcluster build` (or `dockyard up`) builds them once",
    )


def _disk() -> Check:
    target = locations.cache()
    probe = target.absolute()
    while not probe.exists() and probe != probe.parent:  # the disk it will be made on
        probe = probe.parent
    free = shutil.disk_usage(probe).free / 2**30
    if free >= DISK_NEEDED_GIB:
        return Check("disk", Status.OK, f"{free:.1f} GiB free for {target}")
    return Check(
        "disk",
        Status.MISSING,
        f"{free:.1f} GiB free for {target}",
        f"free {DISK_NEEDED_GIB} GiB there, or set XDG_CACHE_HOME to a disk that has it",
    )


KEYCLOAK_JAVA = 21
"""The Java that Keycloak 26 (the tests' identity provider) needs."""
JVMS = Path("/usr/lib/jvm")
"""Where the distribution installs JDKs (several may be there; `java` on PATH is only one)."""


def java_home() -> tuple[str | None, str]:
    """A Java home of KEYCLOAK_JAVA or later, looked for as the Keycloak tests look (JAVA_HOME, then
    the distribution's JDKs, newest first, then the `java` on PATH), and what was found."""
    homes = [os.environ["JAVA_HOME"]] if os.environ.get("JAVA_HOME") else []
    homes += sorted((str(p) for p in JVMS.glob("*")), reverse=True)
    on_path = shutil.which("java")
    if on_path:
        homes.append(str(Path(on_path).resolve().parent.parent))
    seen = []
    for home in dict.fromkeys(homes):
        java = Path(home) / "bin" / "java"
        if not java.is_file():
            continue
        match = re.search(r'version "(\d+)', _first_line([str(java), "-version"]))
        major = int(match[1]) if match else 0
        if major >= KEYCLOAK_JAVA:
            return home, f"Java {major} in {home}"
        seen.append(f"Java {major or '?'}")
    return None, f"only {', '.join(seen)}" if seen else "no Java"


def _java() -> Check:
    home, found = java_home()
    if home is not None:
        return Check("java", Status.OK, found)
    hint = f"install Java {KEYCLOAK_JAVA} or newer (e.g. a Temurin JDK) or set JAVA_HOME, for the Keycloak tests"
    return Check("java", Status.OPTIONAL, found, hint)


def _chromium() -> Check:
    found = shutil.which("chromium")
    if found is not None:
        return Check("chromium", Status.OK, _first_line([found, "--version"]) or found)
    return Check(
        "chromium",
        Status.OPTIONAL,
        "not on PATH",
        "`sudo apt-get install chromium` (scripts/install-chromium), for the console's browser tests",
    )


def _age_key() -> Check:
    from dockyard.secrets import keys

    found = keys.identities()
    if found.keys:
        return Check("age key", Status.OK, f"{len(found.keys)} found")
    return Check(
        "age key",
        Status.OPTIONAL,
        f"none in {', '.join(found.looked)}",
        "`dockyard secrets init` makes one (needed only for the repo's encrypted secrets)",
    )


def _kubeconfig() -> Check:
    paths = [Path(p) for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    paths = paths or [Path.home() / ".kube" / "config"]
    contexts: list[str] = []
    unreadable: list[str] = []
    for path in paths:
        if not path.exists():
            continue
        try:
            config = yaml.safe_load(path.read_text()) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            unreadable.append(f"{path} ({type(error).__name__})")
            continue
        entries = config.get("contexts") if isinstance(config, dict) else None
        entries = entries if isinstance(entries, list) else []
        contexts += [str(c["name"]) for c in entries if isinstance(c, dict) and "name" in c]
    if unreadable and not contexts:
        return Check("kubeconfig", Status.OPTIONAL, f"cannot read {', '.join(unreadable)}", "check the file")
    if not contexts:
        return Check(
            "kubeconfig",
            Status.OPTIONAL,
            f"no context in {', '.join(map(str, paths))}",
            "`dockyard up` starts a local cluster and adds the context dockyard-local",
        )
    return Check("kubeconfig", Status.OK, f"contexts: {', '.join(sorted(set(contexts)))}")


def _first_line(command: list[str]) -> str:
    """The first line a command prints (stdout, else stderr); empty when it cannot run."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=20)
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError):
        return ""
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr).strip() else ""


CHECKS: tuple[Callable[[], Check], ...] = (
    _python,
    _policy_engine,
    _git,
    _go,
    _tools,
    _disk,
    _java,
    _chromium,
    _age_key,
    _kubeconfig,
)
