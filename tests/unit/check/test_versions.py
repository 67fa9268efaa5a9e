"""Components run on the cluster's Kubernetes version and beside the versions of the components
they need; outside them, a finding at the layer that chose them."""

from __future__ import annotations

from pathlib import Path

from dockyard.check.versions import check_versions
from tests.charts import platform_of
from tests.helpers import copy_example, replace


def _messages(repo: Path) -> list[str]:
    return [f"{f.source}: {f.object}: {f.message}" for f in check_versions(platform_of(repo))]


def test_the_example_is_within_every_range(tmp_path: Path) -> None:
    assert _messages(copy_example(tmp_path)) == []


def test_a_cluster_older_than_a_component_supports(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    replace(repo, "clusters/local.yaml", 'version: "1.36"', 'version: "1.33"')
    assert _messages(repo) == [
        "environments/dev.yaml:6:10: component cloudnative-pg: its release supports Kubernetes 1.34 to 1.36, and "
        "this cluster runs 1.33"
    ]


def test_a_lower_bound_alone_is_held_too(tmp_path: Path) -> None:
    """Where upstream publishes only a lower bound (a chart's kubeVersion), a newer cluster passes
    and an older one does not."""
    repo = copy_example(tmp_path)
    replace(repo, "environments/dev.yaml", "profile: dev-fast", "profile: full")
    replace(repo, "clusters/local.yaml", 'version: "1.36"', 'version: "1.24"')
    messages = _messages(repo)
    assert (
        "environments/dev.yaml:6:10: component prometheus-operator-crds: its release supports Kubernetes 1.25 and "
        "later, and this cluster runs 1.24"
    ) in messages
    assert not [m for m in messages if "component oauth2-proxy" in m or "opentelemetry-collector" in m]
    replace(repo, "clusters/local.yaml", 'version: "1.24"', 'version: "1.23"')
    assert (
        "environments/dev.yaml:6:10: component opentelemetry-collector: its release supports Kubernetes 1.24 and "
        "later, and this cluster runs 1.23"
    ) in _messages(repo)


def test_peers_out_of_range(tmp_path: Path) -> None:
    """Istio 1.30 with the Gateway API v1.6 CRDs (their TCPRoute is no longer served at v1alpha2), and
    kube-prometheus-stack with Prometheus Operator CRDs older than its operator."""
    repo = copy_example(tmp_path)
    replace(repo, "environments/dev.yaml", "profile: dev-fast", "profile: complete")
    layer = repo / "clusters" / "local.yaml"
    layer.write_text(
        layer.read_text().replace("    enabled: false\n", "    enabled: true\n")
        + "  gateway-api:\n    chart: {gomodule: sigs.k8s.io/gateway-api, version: v1.6.3, path: config/crd/standard,"
        " name: gateway-api}\n"
        + "  prometheus-operator-crds:\n    chart: {gomodule: github.com/prometheus-operator/prometheus-operator,"
        " version: v0.85.0, path: example/prometheus-operator-crd, name: prometheus-operator-crds}\n"
    )
    messages = _messages(repo)
    assert (
        "environments/dev.yaml:6:10: component istiod: needs gateway-api v1.5 or earlier, and this platform pins "
        "v1.6.3: istiod 1.30 watches TCPRoute at v1alpha2 (pkg/config/schema/gvk), which the standard channel of "
        "Gateway API v1.6 no longer serves: its controller would never sync"
    ) in messages
    assert (
        "clusters/local.yaml:21:5: component kube-prometheus-stack: needs prometheus-operator-crds v0.93.1 or later, "
        "and this platform pins v0.85.0: the chart's Prometheus Operator is v0.93.1; older CRDs would prune the "
        "fields it writes"
    ) in messages
