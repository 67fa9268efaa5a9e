"""Small charts the tests make themselves, packaged with the real helm and served on loopback."""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from dockyard.charts.helm import Helm
from dockyard.load.versions import series
from dockyard.tools.build import binary_path


def helm() -> Helm:
    return Helm(binary_path("helm"))


def make_chart(
    parent: Path,
    name: str,
    version: str = "1.0.0",
    *,
    values: dict[str, Any] | None = None,
    schema: dict[str, Any] | None = None,
    templates: dict[str, str] | None = None,
    crds: dict[str, Any] | None = None,
) -> Path:
    """A chart directory: Chart.yaml, values.yaml, optional values.schema.json, templates and crds."""
    chart = parent / name
    (chart / "templates").mkdir(parents=True)
    chart_yaml = {"apiVersion": "v2", "name": name, "version": version, "type": "application"}
    (chart / "Chart.yaml").write_text(yaml.safe_dump(chart_yaml))
    (chart / "values.yaml").write_text(yaml.safe_dump(values or {}))
    if schema is not None:
        (chart / "values.schema.json").write_text(json.dumps(schema))
    for file, text in (templates or {}).items():
        (chart / "templates" / file).write_text(text)
    if crds:
        (chart / "crds").mkdir()
        for file, crd in crds.items():
            (chart / "crds" / file).write_text(yaml.safe_dump(crd))
    return chart


def package(chart: Path, destination: Path) -> Path:
    destination.mkdir(parents=True, exist_ok=True)
    helm().run(["package", str(chart), "--destination", str(destination)])
    return next(destination.glob(f"{chart.name}-*.tgz"))


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve `directory` over HTTP on a loopback port; yields the base URL."""
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def index(directory: Path, url: str) -> None:
    """`helm repo index`: make `directory` a chart repository served at `url`."""
    helm().run(["repo", "index", str(directory), "--url", url])


def crd(group: str, kind: str, plural: str, scope: str = "Namespaced") -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "listKind": f"{kind}List"},
            "scope": scope,
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "properties": {"size": {"type": "integer"}},
                                }
                            },
                        }
                    },
                }
            ],
        },
    }


BUILT_IN_OFF = "".join(
    f"  {name}: {{enabled: false}}\n"
    for name in (
        "gateway-api",
        "envoy-gateway-crds",
        "envoy-gateway",
        "prometheus-operator-crds",
        "kube-prometheus-stack",
        "cloudnative-pg",
        "platform-postgres",
    )
)
"""The dev-fast profile's built-in components, switched off, so a test repo has only its own."""


def platform_repo(root: Path, components: str, cluster_extra: str = "") -> Path:
    """A platform repo with no services, one cluster `local`, and `components` (YAML lines
    under `components:`) beside the built-ins switched off."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "platform.yaml").write_text(
        f"apiVersion: dockyard.dev/v1alpha2\nkind: Platform\ndockyard: '{series()}'\n"
        "name: lab\ndomain: lab.example.org\n"
        "profile: dev-fast\ncomponents:\n" + BUILT_IN_OFF + components
    )
    (root / "environments").mkdir(exist_ok=True)
    (root / "environments" / "test.yaml").write_text("apiVersion: dockyard.dev/v1alpha1\nkind: Environment\n")
    (root / "clusters").mkdir(exist_ok=True)
    (root / "clusters" / "local.yaml").write_text(
        "apiVersion: dockyard.dev/v1alpha1\nkind: Cluster\nenvironment: test\nkubernetes:\n"
        '  version: "1.36"\n' + cluster_extra
    )
    return root


def platform_of(repo: Path, cluster: str = "local") -> Any:
    from dockyard.load.layers import effective
    from dockyard.load.repo import load
    from dockyard.model.platform import build_platform

    loaded = load(repo)
    return build_platform(loaded, effective(loaded, cluster))
