"""The real `helm`: pull a chart, and render one with `helm template`, cached by content.

A render is keyed by everything that can change its output (the archive's digest, release,
namespace, values, Kubernetes version, API versions and helm's own version), so an unchanged
chart is never rendered twice. Charts are unpacked (safely) into a cache keyed by digest.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import resource
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard import locations
from dockyard.atomic import write_atomic
from dockyard.charts import yamlfiles
from dockyard.charts.archive import UnsafeArchive, unpack


class BadManifests(Exception):
    """A chart's output or a bundle's file is not YAML; the message says where."""


BUILD_ONLY_API_GROUPS = ("kustomize.config.k8s.io/",)
"""Documents some charts keep beside their manifests that are build configuration, not objects."""


MAX_OUTPUT = 512 * 2**20
"""The most helm may write (the rendered objects of the largest chart here are a few MiB)."""


MAX_MEMORY = 2**30
"""The most memory helm may map for its data (RLIMIT_DATA; the largest chart here needs about 100
MiB). Go's runtime stops with `runtime: out of memory` at the limit."""


GO_OUT_OF_MEMORY = re.compile(r"^fatal error: .*out of memory", re.MULTILINE)
"""How Go's runtime stops when a mapping is refused (`runtime: out of memory`, `out of memory
allocating heap arena metadata`, ...)."""


class HelmFailed(Exception):
    """helm exited non-zero; the message is what it said."""


@dataclass(frozen=True)
class Helm:
    binary: Path

    def run(self, args: list[str], timeout: float = 300.0) -> str:
        """helm's output. It writes to files the kernel holds to MAX_OUTPUT bytes, and its memory is held
        to MAX_MEMORY (a chart's template can loop, or build a huge value: what it writes and what it
        holds are bounded, not only how long it takes)."""
        if not self.binary.is_file():
            raise HelmFailed(f"helm is not installed at {self.binary}; run `dockyard localcluster build helm`")
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            process = subprocess.Popen([str(self.binary), *args], stdout=out, stderr=err)
            with contextlib.suppress(OSError):  # gone already: it wrote nothing more
                resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (MAX_OUTPUT, MAX_OUTPUT))
                resource.prlimit(process.pid, resource.RLIMIT_DATA, (MAX_MEMORY, MAX_MEMORY))
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise HelmFailed(f"helm {args[0]} did not finish within {timeout:.0f} s") from None
            except BaseException:  # interrupted: helm goes too
                process.kill()
                process.wait()
                raise
            if process.returncode == -signal.SIGXFSZ or max(out.tell(), err.tell()) >= MAX_OUTPUT:
                raise HelmFailed(f"helm {args[0]} wrote more than {MAX_OUTPUT // 2**20} MiB; a template may loop")
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
        if process.returncode != 0 and GO_OUT_OF_MEMORY.search(stderr):
            limit = f"{MAX_MEMORY // 2**20} MiB"
            raise HelmFailed(f"helm {args[0]} needed more than {limit} of memory; a template may build a huge value")
        if process.returncode != 0:
            raise HelmFailed(stderr.strip() or f"helm {args[0]} exited with {process.returncode}")
        return stdout

    def version(self) -> str:
        return self.run(["version", "--short"]).strip()

    def pull(self, reference: list[str], version: str, destination: Path) -> Path:
        """Download one chart archive into `destination`; the path of the .tgz helm wrote."""
        destination.mkdir(parents=True, exist_ok=True)
        self.run(["pull", *reference, "--version", version, "--destination", str(destination)], timeout=600)
        archives = sorted(destination.glob("*.tgz"))
        if len(archives) != 1:
            raise HelmFailed(f"helm pull wrote {len(archives)} archives, expected one")
        return archives[0]


def unpacked(archive: bytes, digest: str) -> Path:
    """The tree of the .tgz `archive` in the cache (unpacked once per digest)."""
    target = locations.chart_cache() / "charts" / digest
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=target.parent))
    try:
        unpack(archive, staging / "tree")
        try:
            (staging / "tree").rename(target)
        except OSError:
            if not target.is_dir():  # another process did not win the race: a real failure
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def chart_directory(tree: Path) -> Path:
    """The single top directory of an unpacked archive (helm and Dockyard both pack one)."""
    entries = [p for p in tree.iterdir() if p.is_dir()]
    if len(entries) != 1:
        raise UnsafeArchive(f"expected one top directory, found {len(entries)}")
    return entries[0]


@dataclass(frozen=True)
class TemplateRequest:
    chart: Path
    digest: str
    release: str
    namespace: str
    values: dict[str, Any]
    kube_version: str
    api_versions: tuple[str, ...]

    def key(self, helm: str) -> str:
        text = json.dumps(
            [
                self.digest,
                self.release,
                self.namespace,
                self.values,
                self.kube_version,
                self.api_versions,
                helm,
            ],
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(text.encode()).hexdigest()


class Templates:
    """`helm template` with a cache of rendered object lists (JSON files keyed by request)."""

    def __init__(self, helm: Helm) -> None:
        self.helm = helm
        self._version: str | None = None
        self.rendered = 0
        """How many charts helm actually rendered (the rest came from the cache)."""

    def _helm_identity(self) -> str:
        """Which helm renders: the binary's path, size and modification time. Asking helm itself
        (`helm version`) costs a quarter of a second of every command; a rebuilt or other helm
        changes these as surely."""
        if self._version is None:
            try:
                stat = self.helm.binary.stat()
                self._version = f"{self.helm.binary.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
            except OSError:
                self._version = "missing"  # no cached render matches: the run says how to install helm
        return self._version

    def render(self, request: TemplateRequest) -> list[dict[str, Any]]:
        cache = locations.chart_cache() / "helm-template" / f"{request.key(self._helm_identity())}.json"
        if cache.is_file():
            cached: list[dict[str, Any]] = json.loads(cache.read_text(encoding="utf-8"))  # written below
            return cached
        with tempfile.TemporaryDirectory(prefix="dockyard-values-") as scratch:
            values = Path(scratch) / "values.json"
            values.write_text(json.dumps(request.values), encoding="utf-8")
            args = [
                "template",
                request.release,
                str(request.chart),
                "--namespace",
                request.namespace,
                "--kube-version",
                request.kube_version,
                "--values",
                str(values),
                "--include-crds",
                "--skip-tests",
            ]
            for api_version in request.api_versions:
                args += ["--api-versions", api_version]
            output = self.helm.run(args)
        self.rendered += 1
        objects = documents(output)
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(cache, json.dumps(objects).encode())
        return objects


def documents(text: str, what: str = "helm template output") -> list[dict[str, Any]]:
    """The Kubernetes objects of a multi-document YAML stream (empty documents and build files dropped)."""
    objects = []
    try:
        loaded = yamlfiles.load_all(text, what)
    except yamlfiles.BadYaml as error:
        raise BadManifests(str(error)) from None
    for document in loaded:
        if not isinstance(document, dict) or "kind" not in document:
            continue
        if str(document.get("apiVersion", "")).startswith(BUILD_ONLY_API_GROUPS):
            continue
        if document.get("kind") == "List" and isinstance(document.get("items"), list):
            objects += [item for item in document["items"] if isinstance(item, dict)]
            continue
        objects.append(document)
    return objects
