"""Which components a platform gets, and that they are wired to the names services use."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.errors import Problems
from dockyard.render import platform_names
from dockyard.render.components import catalog, data, gateway, observability
from dockyard.render.components.catalog import choose
from tests.charts import platform_of
from tests.helpers import copy_example, replace, run_cli

DEV_FAST = [
    "cloudnative-pg",
    "envoy-gateway",
    "envoy-gateway-crds",
    "gateway-api",
    "kube-prometheus-stack",
    "platform-postgres",
    "prometheus-operator-crds",
]
FULL = sorted(
    [*DEV_FAST, "cert-manager", "keycloak", "loki", "oauth2-proxy", "object-store", "opentelemetry-collector", "tempo"]
)
COMPLETE = sorted([*FULL, "argo-cd", "istio-base", "istio-cni", "istiod", "ztunnel"])


@pytest.mark.parametrize(("profile", "expected"), [("dev-fast", DEV_FAST), ("full", FULL), ("complete", COMPLETE)])
def test_each_profile_installs_its_components(tmp_path: Path, profile: str, expected: list[str]) -> None:
    repo = copy_example(tmp_path)
    replace(repo, "environments/dev.yaml", "profile: dev-fast", f"profile: {profile}")
    (repo / "clusters" / "local.yaml").write_text(
        (repo / "clusters" / "local.yaml").read_text().replace("    enabled: false\n", "    enabled: true\n")
    )
    problems = Problems()
    chosen = choose(platform_of(repo), problems)
    assert not problems, problems.errors
    assert [c.component.name for c in chosen] == expected


def test_a_layer_switches_a_component_off(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    names = [c.component.name for c in choose(platform_of(repo), Problems())]
    assert "kube-prometheus-stack" not in names  # clusters/local.yaml switches it off
    assert "envoy-gateway" in names


def test_unknown_and_misconfigured_components_are_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_example(tmp_path)
    (repo / "clusters" / "local.yaml").write_text(
        (repo / "clusters" / "local.yaml").read_text()
        + "  envoy-gatway:\n    enabled: true\n  gateway-api:\n    namespace: elsewhere\n"
    )
    result = run_cli(capsys, "validate", str(repo), "-c", "local")
    assert result.code == 1
    assert result.err.splitlines() == [
        "clusters/local.yaml:30:5: unknown component `envoy-gatway` (did you mean `envoy-gateway`?)",
        "  hint: to add a component of your own, give it chart, namespace, stage; built-in components: "
        + ", ".join(sorted(catalog.CATALOG)),
        "clusters/local.yaml:32:16: component `gateway-api` is built in: its namespace and stage are fixed, because "
        "services and other components are wired to them",
        "  hint: to run a second copy elsewhere, add a component of your own with another name",
        "2 problems found; nothing was changed",
    ]


def test_components_are_wired_to_the_names_services_use(tmp_path: Path) -> None:
    platform = platform_of(copy_example(tmp_path))
    edge = {o["kind"]: o for o in gateway.edge_objects(platform, ())}
    assert edge["Gateway"]["metadata"] == {
        "name": platform_names.GATEWAY_NAME,
        "namespace": gateway.ENVOY_GATEWAY.namespace,
    }
    assert gateway.ENVOY_GATEWAY.namespace == platform_names.GATEWAY_NAMESPACE
    assert edge["Gateway"]["spec"]["gatewayClassName"] == edge["GatewayClass"]["metadata"]["name"]
    assert edge["EnvoyProxy"]["spec"]["provider"]["kubernetes"]["envoyService"]["type"] == "NodePort"  # local.yaml
    collector = observability.collector_values(platform)
    host = f"{collector['fullnameOverride']}.{observability.OPENTELEMETRY_COLLECTOR.namespace}.svc.cluster.local"
    assert f"http://{host}:4318" == platform_names.OTLP_ENDPOINT
    assert collector["config"]["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")
    store = data.object_store_values(platform)
    # the chart's all-in-one Service is `<fullname>-all-in-one`, its S3 port s3.port (8333); the
    # wiring check proves the address against the real chart (tests/unit/check/test_wiring.py)
    assert (
        f"http://{store['fullnameOverride']}-all-in-one.{data.OBJECT_STORE.namespace}.svc.cluster.local:8333"
    ) == platform_names.OBJECT_STORE_ENDPOINT
    assert data.PLATFORM_POSTGRES.namespace == platform_names.POSTGRES_SHARED_NAMESPACE
    assert observability.KUBE_PROMETHEUS_STACK.namespace == platform_names.MONITORING_NAMESPACE


def test_grafana_has_every_signal_and_links_traces_to_logs_and_metrics(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    replace(repo, "environments/dev.yaml", "profile: dev-fast", "profile: full")
    grafana = observability.kube_prometheus_stack_values(platform_of(repo))["grafana"]
    sources = {s["uid"]: s for s in grafana["additionalDataSources"]}
    assert sorted(sources) == ["loki", "tempo"]
    assert grafana["sidecar"]["datasources"]["uid"] == "prometheus"
    tempo = sources["tempo"]["jsonData"]
    assert tempo["tracesToLogsV2"]["datasourceUid"] == "loki"
    assert tempo["tracesToMetrics"]["datasourceUid"] == "prometheus"
    assert sources["loki"]["jsonData"]["derivedFields"][0]["datasourceUid"] == "tempo"


def test_validate_checks_component_values_against_the_pulled_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_example(tmp_path)
    layer = repo / "clusters" / "local.yaml"
    layer.write_text(layer.read_text() + "  envoy-gateway:\n    values:\n      deployment:\n        replica: 2\n")
    result = run_cli(capsys, "validate", str(repo), "-c", "local")
    assert result.code == 0, result.err  # below the top level an unknown key is worth a look, not an error
    assert result.err.splitlines()[:2] == [
        "warning: clusters/local.yaml:32:18: component `envoy-gateway`: `deployment.replica` is not a value of its "
        "chart (no template may read it)",
        "  hint: did you mean `replicas`?",
    ]
    layer.write_text(layer.read_text() + "      replica: 2\n")
    result = run_cli(capsys, "validate", str(repo), "-c", "local")
    assert result.code == 1
    assert (
        "clusters/local.yaml:33:16: component `envoy-gateway`: `replica` is not a value of its chart "
        "(helm would ignore it)" in result.err
    )


def test_each_s3_resource_gets_a_bucket_and_an_identity_on_it_alone(tmp_path: Path) -> None:
    import json

    from dockyard.render.bundle import Source, TaskRequest

    platform = platform_of(copy_example(tmp_path))
    alone = data.object_store_values(platform)["allInOne"]
    assert alone["s3"]["createBuckets"] == [{"name": b} for b in data.PLATFORM_BUCKETS]
    request = TaskRequest("s3-bucket", "web-media", {"bucket": "shop-web-media", "secret": "web-media-s3"}, Source("x"))
    values = data.object_store_values_for(platform, [request])["allInOne"]
    assert values["s3"]["createBuckets"][-1] == {"name": "shop-web-media"}
    (config_map,) = data.object_store_objects(platform, [request])
    identities = json.loads(config_map["data"]["identities.json"])["identities"]
    key = data.s3_access_key("web-media")
    assert len(key) == 20
    assert identities[1] == {
        "name": "web-media",
        "credentials": [{"accessKey": key, "secretKey": f"${{S3_SECRET_{key.upper()}}}"}],
        "actions": ["Read:shop-web-media", "Write:shop-web-media", "List:shop-web-media", "Tagging:shop-web-media"],
    }
    loki = ["Read:loki-chunks", "Write:loki-chunks", "List:loki-chunks", "Tagging:loki-chunks"]
    assert identities[0]["actions"][:4] == loki
    assert not any("Admin" in a for i in identities for a in i["actions"])  # nobody changes a bucket's settings
    # the file holds no secret: every secret key is a variable the pod gets from a Secret
    assert [c["secretKey"][:2] for i in identities for c in i["credentials"]] == ["${", "${"]
    assert values["secretExtraEnvironmentVars"][f"S3_SECRET_{key.upper()}"] == {
        "secretKeyRef": {"name": "s3-user-web-media", "key": "secretKey"}
    }
    # the server reads the file at start: a new identity rolls the pod
    assert values["podAnnotations"] != alone["podAnnotations"]


def test_argo_cd_signs_people_in_with_keycloak_and_trusts_the_platform_ca(tmp_path: Path) -> None:
    import yaml

    from dockyard.render.components import operations

    repo = copy_example(tmp_path)
    replace(repo, "environments/dev.yaml", "profile: dev-fast", "profile: complete")
    platform = platform_of(repo)
    settings = {p["metadata"]["name"]: p["data"] for p in operations.argo_cd_settings(platform)}
    assert settings["argocd-cmd-params-cm"] == {"server.insecure": "true"}  # TLS ends at the gateway
    assert settings["argocd-rbac-cm"] == {"policy.default": "role:readonly"}
    assert settings["argocd-cm"]["url"] == "https://argocd.shop.localtest.me"
    assert yaml.safe_load(settings["argocd-cm"]["oidc.config"]) == {
        "name": "Keycloak",
        "issuer": "https://sso.shop.localtest.me/realms/shop",
        "clientID": "argocd",
        "clientSecret": "$argocd-oidc:client-secret",  # Argo CD reads it from the Secret the task makes
        "requestedScopes": ["openid", "profile", "email"],
        "rootCA": "$argocd-platform-trust:ca.crt",
    }
    kinds = [o["kind"] for o in operations.argo_cd_objects(platform, ())]
    assert kinds == ["HTTPRoute", *["ServiceMonitor"] * 4, "Certificate"]
    trust = operations.argo_cd_objects(platform, ())[-1]
    assert trust["spec"]["secretTemplate"] == {"labels": {"app.kubernetes.io/part-of": "argocd"}}
    assert trust["spec"]["issuerRef"]["name"] == gateway.CA_ISSUER
    secret, client = operations.argo_cd_tasks(platform)
    assert secret.data["labels"] == {"app.kubernetes.io/part-of": "argocd"}
    assert client.data["redirectUris"] == ["https://argocd.shop.localtest.me/auth/callback"]
    assert client.data["secretFrom"] == {"namespace": "argocd", "name": "argocd-oidc", "key": "client-secret"}
    # certificates from a public issuer need no trust of Dockyard's CA
    local = repo / "clusters" / "local.yaml"
    local.write_text(local.read_text() + "certificates:\n  issuer: letsencrypt\n")
    platform = platform_of(repo)
    oidc = {p["metadata"]["name"]: p["data"] for p in operations.argo_cd_settings(platform)}["argocd-cm"]
    assert "rootCA" not in yaml.safe_load(oidc["oidc.config"])
    assert "Certificate" not in [o["kind"] for o in operations.argo_cd_objects(platform, ())]
