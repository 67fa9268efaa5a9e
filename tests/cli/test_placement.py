"""A service cannot pass as a part of the platform: not in a namespace the platform's policies
trust, not under the mesh's waypoint name, not with one of the platform's own OAuth clients."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import copy_example, replace, run_cli, write

SERVICE = """apiVersion: score.dev/v1b1
metadata:
  name: {name}
containers:
  main:
    image: registry.example.org/{name}:1.0
    readinessProbe:
      httpGet: {{path: /ready, port: 8080}}
    resources:
      requests: {{cpu: 10m, memory: 16Mi}}
      limits: {{memory: 32Mi}}
service:
  ports:
    http: {{port: 80, targetPort: 8080}}
"""
TEAM_SHOP = "apiVersion: dockyard.dev/v1alpha1\nkind: ServiceSettings\nteam: shop\n"


def _errors(capsys: pytest.CaptureFixture[str], repo: Path) -> list[str]:
    result = run_cli(capsys, "validate", str(repo))
    assert result.code == 1 and "Traceback" not in result.err
    return result.err.splitlines()


def test_a_service_in_the_gateways_namespace_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_example(tmp_path)
    replace(
        repo, "services/web/dockyard.yaml", "kind: ServiceSettings\n", "kind: ServiceSettings\nteam: dockyard-gateway\n"
    )
    assert _errors(capsys, repo)[:2] == [
        "services/web/dockyard.yaml:4:7: service `web` would run in namespace `dockyard-gateway`, which is the "
        "platform's (component `envoy-gateway`); the platform's policies trust that namespace, so a service there "
        "would pass as a part of it",
        "  hint: give the service a `team` (in its dockyard.yaml) or a `namespace` of its own",
    ]


def test_a_service_in_a_kubernetes_namespace_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_example(tmp_path)
    replace(
        repo, "services/web/dockyard.yaml", "kind: ServiceSettings\n", "kind: ServiceSettings\nnamespace: kube-system\n"
    )
    assert _errors(capsys, repo)[0] == (
        "services/web/dockyard.yaml:4:12: service `web` would run in namespace `kube-system`, which is reserved "
        "for Kubernetes or the platform; the platform's policies trust that namespace, so a service there would "
        "pass as a part of it"
    )


def test_a_service_named_waypoint_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_example(tmp_path)
    write(repo, "services/waypoint/score.yaml", SERVICE.format(name="waypoint"))
    write(repo, "services/waypoint/dockyard.yaml", TEAM_SHOP)
    assert _errors(capsys, repo)[:2] == [
        "services/waypoint/score.yaml:3:9: service name `waypoint` is the mesh's own: the waypoint that checks every "
        "API's tokens runs under that name in each team namespace, and the APIs' pods admit it",
        "  hint: choose another name",
    ]


def test_a_service_with_a_platform_client_id_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """In production (SSO on) Grafana signs in with client `grafana`: a service of that name with an
    API would get the same client."""
    repo = copy_example(tmp_path)
    contract = (repo / "services/orders/openapi.yaml").read_text().replace("orders:", "dashboards:")
    write(repo, "services/grafana/openapi.yaml", contract)
    write(
        repo,
        "services/grafana/score.yaml",
        SERVICE.format(name="grafana") + "resources:\n  api:\n    type: api\n",
    )
    write(repo, "services/grafana/dockyard.yaml", TEAM_SHOP + "contract: openapi.yaml\n")
    assert _errors(capsys, repo)[:2] == [
        "services/grafana/score.yaml:16:3: service `grafana` would get OAuth client `grafana`, which is the "
        "platform's own (component `kube-prometheus-stack`): each would overwrite the other's settings, and the "
        "service would be given that client's secret",
        "  hint: rename the service",
    ]
