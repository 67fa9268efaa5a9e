"""Build the local control plane's binaries from Go modules, once, into a cache.

Each tool is built in a small wrapper module of its own (so versions never drift
into one another) under ``$XDG_CACHE_HOME/dockyard/tools/<tool>-<version>/``.
A finished build writes ``manifest.json`` with the version and the sha256 of each
binary; a later build whose manifest matches the binaries on disk does nothing.

Kubernetes is only consumable as a module through a wrapper that replaces every
``k8s.io/*`` staging module with its published ``v0.X.Y`` tag; the list of staging
modules is read from Kubernetes' own go.mod, so it is always the right one.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dockyard import locations
from dockyard.errors import ToolBuildError
from dockyard.progress import Progress
from dockyard.tools import versions
from dockyard.tools.digest import sha256_file


@dataclass(frozen=True)
class GoTool:
    """One tool: a wrapper module, the Go packages to build, their binaries."""

    name: str
    version: str
    module: str
    module_version: str
    packages: tuple[str, ...]
    binaries: tuple[str, ...]
    ldflags: tuple[str, ...] = ()
    main_go: str | None = None
    """Source of a main package in the wrapper itself (etcd has no importable main)."""
    replaces: Callable[[Path], dict[str, str]] = field(default=lambda _gomod: {})
    """Extra `replace` lines, given the path of the dependency's own go.mod."""

    @property
    def key(self) -> str:
        return f"{self.name}-{self.version}"


def _kubernetes_staging_replaces(gomod: Path) -> dict[str, str]:
    minor_tag = "v0." + versions.KUBERNETES.split(".", 1)[1]
    staging = re.findall(r"^\s*(k8s\.io/[\w.-]+)\s*=>\s*\./staging/", gomod.read_text(), re.M)
    return {module: f"{module} {minor_tag}" for module in staging}


def _kubernetes_ldflags() -> tuple[str, ...]:
    major, minor, _patch = versions.KUBERNETES.split(".")
    flags = []
    for package in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [
            f"-X {package}.gitVersion=v{versions.KUBERNETES}",
            f"-X {package}.gitMajor={major}",
            f"-X {package}.gitMinor={minor}",
            f"-X {package}.gitTreeState=clean",
            f"-X {package}.buildDate=1970-01-01T00:00:00Z",
        ]
    return tuple(flags)


ETCD_MAIN = """package main

import (
\t"os"

\t"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
"""

TOOLS: tuple[GoTool, ...] = (
    GoTool(
        name="etcd",
        version=versions.ETCD,
        module="go.etcd.io/etcd/server/v3",
        module_version=f"v{versions.ETCD}",
        packages=(".",),
        binaries=("etcd",),
        main_go=ETCD_MAIN,
    ),
    GoTool(
        name="kubernetes",
        version=versions.KUBERNETES,
        module="k8s.io/kubernetes",
        module_version=f"v{versions.KUBERNETES}",
        packages=(
            "k8s.io/kubernetes/cmd/kube-apiserver",
            "k8s.io/kubernetes/cmd/kube-controller-manager",
            "k8s.io/kubernetes/cmd/kube-scheduler",
            "k8s.io/kubernetes/cmd/kubectl",
        ),
        binaries=("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"),
        ldflags=_kubernetes_ldflags(),
        replaces=_kubernetes_staging_replaces,
    ),
    GoTool(
        name="kwok",
        version=versions.KWOK,
        module="sigs.k8s.io/kwok",
        module_version=f"v{versions.KWOK}",
        packages=("sigs.k8s.io/kwok/cmd/kwok",),
        binaries=("kwok",),
        ldflags=(f"-X sigs.k8s.io/kwok/pkg/consts.Version=v{versions.KWOK}",),
    ),
    GoTool(
        name="helm",
        version=versions.HELM,
        module="helm.sh/helm/v3",
        module_version=f"v{versions.HELM}",
        packages=("helm.sh/helm/v3/cmd/helm",),
        binaries=("helm",),
        ldflags=(f"-X helm.sh/helm/v3/internal/version.version=v{versions.HELM}",),
    ),
)


def tool_dir(tool: GoTool) -> Path:
    return locations.tools() / tool.key


def binary_path(name: str) -> Path:
    """The cached binary called `name`, whichever tool builds it."""
    for tool in TOOLS:
        if name in tool.binaries:
            return tool_dir(tool) / "bin" / name
    raise KeyError(name)


def is_built(tool: GoTool) -> bool:
    manifest = tool_dir(tool) / "manifest.json"
    try:
        recorded = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return False
    if recorded.get("version") != tool.version:
        return False
    checksums = recorded.get("sha256", {})
    for binary in tool.binaries:
        path = tool_dir(tool) / "bin" / binary
        if not path.is_file() or checksums.get(binary) != sha256_file(path):
            return False
    return True


def _go(args: list[str], cwd: Path, log: Path) -> None:
    env = dict(os.environ, CGO_ENABLED="0", GOFLAGS="-buildvcs=false", GOTOOLCHAIN="local")
    with log.open("a") as out:
        out.write(f"$ go {' '.join(args)}\n")
        out.flush()
        done = subprocess.run(["go", *args], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-25:])
        raise ToolBuildError(f"`go {args[0]}` failed while building {cwd.parent.name}:\n{tail}\n(full log: {log})")


def _dependency_gomod(tool: GoTool, src: Path, log: Path) -> Path:
    env = dict(os.environ, GOFLAGS="-buildvcs=false", GOTOOLCHAIN="local")
    done = subprocess.run(
        ["go", "mod", "download", "-json", f"{tool.module}@{tool.module_version}"],
        cwd=src,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        log.write_text(done.stdout + done.stderr)
        raise ToolBuildError(
            f"cannot download {tool.module}@{tool.module_version}: {done.stderr.strip() or done.stdout.strip()}"
        )
    return Path(json.loads(done.stdout)["GoMod"])


def _write_wrapper(tool: GoTool, src: Path, log: Path) -> None:
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    gomod = [f"module dockyard.local/tools/{tool.name}", "", "go 1.26.0", ""]
    (src / "go.mod").write_text("\n".join(gomod))
    replaces = tool.replaces(_dependency_gomod(tool, src, log))
    if replaces:
        gomod += ["replace ("] + [f"\t{m} => {target}" for m, target in sorted(replaces.items())] + [")", ""]
    (src / "go.mod").write_text("\n".join(gomod))
    if tool.main_go is not None:
        (src / "main.go").write_text(tool.main_go)


def build_tool(tool: GoTool, progress: Progress) -> None:
    home = tool_dir(tool)
    src, bin_dir, log = home / "src", home / "bin", home / "build.log"
    home.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    progress(f"building {tool.name} {tool.version}: {', '.join(tool.binaries)} (log: {log})")
    _write_wrapper(tool, src, log)
    targets = [f"{p}@{tool.module_version}" for p in tool.packages if p != "."]
    _go(["get", *(targets or [f"{tool.module}@{tool.module_version}"])], src, log)
    if tool.main_go is not None:
        _go(["mod", "tidy"], src, log)
    bin_dir.mkdir(exist_ok=True)
    for package, binary in zip(tool.packages, tool.binaries, strict=True):
        _go(
            [
                "build",
                "-trimpath",
                "-ldflags",
                " ".join(("-s", "-w", *tool.ldflags)),
                "-o",
                str(bin_dir / binary),
                package,
            ],
            src,
            log,
        )
    manifest = {
        "tool": tool.name,
        "version": tool.version,
        "module": f"{tool.module}@{tool.module_version}",
        "sha256": {b: sha256_file(bin_dir / b) for b in tool.binaries},
    }
    (home / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    progress(f"built {tool.name} {tool.version}")


@contextmanager
def _build_lock() -> Iterator[None]:
    locations.tools().mkdir(parents=True, exist_ok=True)
    with (locations.tools() / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def go_version() -> tuple[str, tuple[int, int] | None]:
    """What `go env GOVERSION` says (its own toolchain: never one fetched), and the version in it."""
    try:
        env = {**os.environ, "GOTOOLCHAIN": "local"}
        said = subprocess.run(
            ["go", "env", "GOVERSION"], capture_output=True, text=True, env=env, timeout=20, check=False
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "", None
    found = re.match(r"go(\d+)\.(\d+)", said)
    return said, (int(found[1]), int(found[2])) if found else None


def check_go() -> None:
    if shutil.which("go") is None:
        raise ToolBuildError("`go` is not on PATH; install Go 1.26 or newer to build the local control plane")
    said, version = go_version()
    if version is None or version < versions.GO_MINIMUM:
        need = ".".join(map(str, versions.GO_MINIMUM))
        raise ToolBuildError(
            f"Go {need} or newer is needed to build Kubernetes {versions.KUBERNETES}; found {said or 'nothing'}"
        )


def build_all(progress: Progress, names: tuple[str, ...] | None = None) -> dict[str, Path]:
    """Build every tool (or those named) that is not built yet; return binary paths."""
    selected = [t for t in TOOLS if names is None or t.name in names]
    with _build_lock():
        missing = [t for t in selected if not is_built(t)]
        if missing:
            check_go()
        for tool in selected:
            if tool in missing:
                build_tool(tool, progress)
            else:
                progress(f"{tool.name} {tool.version}: cached")
    return {b: tool_dir(t) / "bin" / b for t in selected for b in t.binaries}


if __name__ == "__main__":  # pragma: no cover - manual entry point
    build_all(lambda line: print(line, file=sys.stderr, flush=True), tuple(sys.argv[1:]) or None)
