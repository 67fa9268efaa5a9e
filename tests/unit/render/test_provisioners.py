"""One test per provisioner: outputs, objects and network rules for a resource request."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.load.layers import effective
from dockyard.load.repo import load
from dockyard.model.platform import Platform, build_platform
from dockyard.model.service import ResourceRequest
from dockyard.render.bundle import Source
from dockyard.render.labels import selector
from dockyard.render.placeholders import SecretRef
from dockyard.render.provisioners import BUILT_IN
from dockyard.render.provisioners.base import Peer, Provision, ProvisionError, Request
from dockyard.render.provisioners.custom import from_document
from tests.helpers import copy_example

EVERY = Path(__file__).resolve().parents[2] / "golden" / "repos" / "every-field"


@pytest.fixture(scope="module")
def platform() -> Platform:
    repo = load(EVERY)
    return build_platform(repo, effective(repo, "lab"))


def provision(platform: Platform, type_: str, params: dict | None = None, service: str = "catalog") -> Provision:
    owner = platform.service(service)
    resource = ResourceRequest("res", type_, params or {})
    request = Request(
        platform,
        owner,
        resource,
        owner.settings.namespace,
        selector(owner),
        Source("x"),
        {s.name: s for s in platform.services},
    )
    provisioner = BUILT_IN.get(type_) or from_document(type_, platform.provisioners[type_])
    return provisioner.provision(request)


def kinds(result: Provision) -> list[str]:
    return [r.kind for r in result.objects]


def test_route(platform: Platform) -> None:
    result = provision(platform, "route", {"host": "www", "path": "/shop"})
    assert result.outputs == {
        "host": "www.every.example.org",
        "path": "/shop",
        "url": "https://www.every.example.org/shop",
    }
    route = result.objects[0].manifest
    assert route["spec"]["parentRefs"] == [{"name": "platform", "namespace": "dockyard-gateway"}]
    assert route["spec"]["rules"][0]["backendRefs"] == [{"name": "catalog", "port": 80}]
    assert result.ingress == [Peer("dockyard-gateway", {}, (("TCP", 8080),))]


def test_a_route_on_a_host_another_team_claims_is_refused(platform: Platform) -> None:
    import dataclasses

    from dockyard.model.settings import Team

    teams = {"discovery": Team(hosts=("search", "*.search.example.org")), "core": Team(hosts=("catalog",))}
    claimed = dataclasses.replace(platform, settings=dataclasses.replace(platform.settings, teams=teams))
    domain = platform.domain
    assert provision(claimed, "route", {"host": "catalog"}).outputs["host"] == f"catalog.{domain}"  # its own
    assert provision(claimed, "route", {"host": "shop"}).outputs["host"] == f"shop.{domain}"  # no team's
    for host, full in (("search", f"search.{domain}"), ("eu.search.example.org", "eu.search.example.org")):
        with pytest.raises(ProvisionError) as refused:
            provision(claimed, "route", {"host": host})
        assert str(refused.value) == (
            f"resource `res`: host {full} is team discovery's (`teams.<name>.hosts`), and this service is team "
            "core's; route a host of its own team"
        )


def test_route_refuses_a_port_the_service_does_not_have(platform: Platform) -> None:
    with pytest.raises(ProvisionError) as refused:
        provision(platform, "route", {"port": 81})
    assert str(refused.value) == (
        "resource `res`: port 81 is not a service port (ports: 80 (http), 9090 (metrics), 5353 (udp))"
    )


def test_route_takes_a_port_by_name(platform: Platform) -> None:
    by_number = provision(platform, "route", {"port": 80}).objects[0].manifest
    by_name = provision(platform, "route", {"port": "http"}).objects[0].manifest
    assert by_name["spec"]["rules"] == by_number["spec"]["rules"]


@pytest.mark.parametrize("host", ["shop.example.net", "a.b.every.example.org"])
def test_route_refuses_an_https_host_the_gateway_has_no_certificate_for(platform: Platform, host: str) -> None:
    with pytest.raises(ProvisionError) as refused:
        provision(platform, "route", {"host": host})
    assert str(refused.value) == (
        f"resource `res`: host {host} is not one level under the platform domain every.example.org; the gateway's "
        f"certificate covers *.every.example.org only, so https://{host} would not be served; "
        "use a name under every.example.org"
    )


def test_dns(platform: Platform) -> None:
    assert provision(platform, "dns").outputs == {"host": "catalog-res.every.example.org"}
    assert provision(platform, "dns", {"host": "api.other.org"}).outputs == {"host": "api.other.org"}


def test_postgres_dedicated(platform: Platform) -> None:
    result = provision(platform, "postgres")
    assert kinds(result) == ["Cluster", "NetworkPolicy"]
    cluster = result.objects[0].manifest
    assert cluster["spec"]["instances"] == 2 and cluster["spec"]["storage"] == {"size": "5Gi"}
    assert result.outputs["password"] == SecretRef("catalog-res-app", "password")
    assert result.outputs["host"] == "catalog-res-rw.core.svc.cluster.local"


def test_postgres_shared(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    repo = load(root)
    shared = build_platform(repo, effective(repo, "local"))
    result = provision(shared, "postgres", service="orders")
    assert kinds(result) == ["Database"]
    assert result.objects[0].namespace == "dockyard-databases"
    assert [t.kind for t in result.tasks] == ["postgres-role"]
    assert result.outputs["username"] == SecretRef("orders-res-postgres", "username")


def test_redis(platform: Platform) -> None:
    result = provision(platform, "redis", {"memory": "64Mi"})
    assert kinds(result) == ["Deployment", "Service", "NetworkPolicy"]
    assert result.outputs == {
        "host": "catalog-res.core.svc.cluster.local",
        "port": "6379",
        "username": SecretRef("catalog-res-redis", "username"),
        "password": SecretRef("catalog-res-redis", "password"),
    }
    [credentials] = result.tasks  # generated once on the cluster, never in the render
    assert (credentials.kind, credentials.data["name"], credentials.data["namespaces"]) == (
        "ensure-secret",
        "catalog-res-redis",
        ["core"],
    )
    container = result.objects[0].manifest["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"] == {"memory": "64Mi"}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert "args" not in container and "$REDIS_PASSWORD" in container["command"][2]  # never in argv


def test_s3(platform: Platform) -> None:
    result = provision(platform, "s3")
    assert result.outputs["bucket"] == "every-catalog-res"
    assert result.outputs["secret_access_key"] == SecretRef("catalog-res-s3", "AWS_SECRET_ACCESS_KEY")
    assert [(t.kind, t.data["bucket"]) for t in result.tasks] == [("s3-bucket", "every-catalog-res")]
    assert result.objects == []
    assert result.egress[0].ports == (("TCP", 8333),)  # SeaweedFS's S3 port


@pytest.mark.parametrize("bucket", ["Media", "a", "x" * 64, "-media", "media-", "my.media", "m;reboot", "m $(id)"])
def test_s3_bucket_names_follow_s3s_rules(platform: Platform, bucket: str) -> None:
    """The name reaches the store's bucket job as a word of its shell script: only S3's own bucket
    names pass (and no dots)."""
    with pytest.raises(ProvisionError) as refused:
        provision(platform, "s3", {"bucket": bucket})
    assert str(refused.value) == (
        f"resource `res`: bucket `{bucket}` (params.bucket) is not a bucket name: 3 to 63 lowercase letters, "
        "digits and hyphens, starting and ending with a letter or digit"
    )
    assert provision(platform, "s3", {"bucket": "m3d-ia"}).outputs["bucket"] == "m3d-ia"


def test_volume(platform: Platform) -> None:
    result = provision(platform, "volume", {"size": "3Gi", "storageClass": "fast"}, service="search")
    claim = result.objects[0].manifest
    assert claim["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "3Gi"}},
        "storageClassName": "fast",
    }
    with pytest.raises(ProvisionError):
        provision(platform, "volume", {"accessMode": "Sometimes"})


def test_a_volume_many_pods_mount_needs_an_access_mode_for_them(platform: Platform) -> None:
    """catalog autoscales to six pods: the default ReadWriteOnce would attach to one node."""
    with pytest.raises(ProvisionError) as refused:
        provision(platform, "volume")
    assert str(refused.value).startswith(
        "resource `res`: up to 6 pods mount this volume, but a ReadWriteOnce claim attaches to one node"
    )
    with pytest.raises(ProvisionError, match="a ReadWriteOncePod claim attaches to one pod"):
        provision(platform, "volume", {"accessMode": "ReadWriteOncePod"})
    chosen = provision(platform, "volume", {"accessMode": "ReadWriteOnce"})  # said so: one node
    assert chosen.objects[0].manifest["spec"]["accessModes"] == ["ReadWriteOnce"]
    shared = provision(platform, "volume", {"accessMode": "ReadWriteMany"})
    assert shared.objects[0].manifest["spec"]["accessModes"] == ["ReadWriteMany"]


def test_service_dependency(platform: Platform) -> None:
    result = provision(platform, "service", {"name": "search"})
    assert result.outputs == {
        "url": "http://search.discovery.svc.cluster.local:8080",
        "host": "search.discovery.svc.cluster.local",
        "port": "8080",
        "name": "search",
    }
    assert result.depends_on == "search"
    assert result.egress[0].namespace == "discovery"


def test_a_service_of_another_team_is_a_dependency_only_when_it_lets_that_team_in(platform: Platform) -> None:
    """catalog (team core) may depend on search (team discovery): search's `callers` names core.
    search may not depend on catalog, which names no caller of another team."""
    assert provision(platform, "service", {"name": "search"}, service="catalog").outputs["name"] == "search"
    with pytest.raises(ProvisionError) as refused:
        provision(platform, "service", {"name": "catalog"}, service="search")
    assert str(refused.value) == (
        "resource `res`: service `catalog` is team core's, and lets no service of team discovery depend on it; "
        "add `discovery` (the team) or `search` to `callers` in its settings (services/catalog/dockyard.yaml)"
    )


def test_secret(platform: Platform) -> None:
    result = provision(platform, "secret", {"keys": ["token"]})
    assert result.outputs == {"token": SecretRef("catalog-res", "token")}
    assert result.objects == []


def test_secret_from_a_store_is_an_external_secret(platform: Platform) -> None:
    result = provision(platform, "secret", {"keys": ["token", "cert"], "from": "store", "store": "vault"})
    assert result.outputs == {"token": SecretRef("catalog-res", "token"), "cert": SecretRef("catalog-res", "cert")}
    (external,) = result.objects
    assert external.manifest == {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "catalog-res", "namespace": external.namespace},
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": "vault"},
            "target": {"name": "catalog-res", "creationPolicy": "Owner"},
            "data": [
                {"secretKey": "cert", "remoteRef": {"key": "catalog/res", "property": "cert"}},
                {"secretKey": "token", "remoteRef": {"key": "catalog/res", "property": "token"}},
            ],
        },
    }
    own = {"from": "store", "store": "team", "storeKind": "SecretStore", "remoteKey": "kv/catalog", "refresh": "15m"}
    spec = provision(platform, "secret", {"keys": ["token"], **own}).objects[0].manifest["spec"]
    assert (spec["secretStoreRef"], spec["data"][0]["remoteRef"]["key"], spec["refreshInterval"]) == (
        {"kind": "SecretStore", "name": "team"},
        "kv/catalog",
        "15m",
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"from": "store"},
            "resource `res`: params.store must name the ClusterSecretStore (or, with params.storeKind: "
            "SecretStore, the namespace's SecretStore) that reaches the secret manager",
        ),
        (
            {"from": "store", "store": "v", "storeKind": "Vault"},
            "resource `res`: params.storeKind must be ClusterSecretStore or SecretStore, not `Vault`",
        ),
        (
            {"from": "store", "store": "v", "refresh": "hourly"},
            "resource `res`: params.refresh must be a duration such as 1h or 15m, not `hourly`",
        ),
        ({"store": "v"}, "resource `res`: params.store is for `from: store` only"),
        ({"from": "repo", "remoteKey": "k"}, "resource `res`: params.remoteKey is for `from: store` only"),
        ({"from": "store", "store": "v", "path": "p"}, "resource `res`: params.path is for `from: repo` only"),
        (
            {"from": "vault"},
            "resource `res`: params.from must be `outside` (a Secret people manage), `repo` (the repo's encrypted "
            "secrets) or `store` (a secret manager), not `vault`",
        ),
    ],
)
def test_secret_params_of_another_source_are_refused(platform: Platform, params: dict, message: str) -> None:
    with pytest.raises(ProvisionError) as refused:
        provision(platform, "secret", {"keys": ["token"], **params})
    assert str(refused.value) == message


def test_api_in_the_mesh(platform: Platform) -> None:
    result = provision(platform, "api")
    assert kinds(result) == [
        "RequestAuthentication",
        "AuthorizationPolicy",
        "Gateway",
        "AuthorizationPolicy",
        "SecurityPolicy",
        "ReferenceGrant",
    ]
    # the pods admit only the waypoint, the edge (the API is routed) and the metrics scrape: a pod
    # sending to their addresses would pass the waypoint by
    pods = result.objects[3].manifest
    assert pods["metadata"]["name"] == "catalog-pods"
    assert pods["spec"]["selector"] == {"matchLabels": selector(platform.service("catalog"))}
    assert pods["spec"]["rules"] == [
        {"from": [{"source": {"principals": ["*/ns/core/sa/waypoint"]}}]},
        {"from": [{"source": {"namespaces": ["dockyard-gateway"]}}]},
        {"to": [{"operation": {"ports": ["9090"]}}]},
    ]
    rules = result.objects[1].manifest["spec"]["rules"]
    open_rules = [r for r in rules if "from" not in r]
    assert [r["to"][0]["operation"] for r in open_rules] == [
        {"methods": ["GET"], "paths": ["/items"]},
        {"methods": ["GET"], "paths": ["/items/{*}"]},
    ]
    delete = next(r for r in rules if r["to"][0]["operation"]["methods"] == ["DELETE"])
    assert [c["values"] for c in delete["when"]] == [["catalog:admin"], ["catalog:write"]]
    me = next(r for r in rules if r["to"][0]["operation"]["paths"] == ["/me"])
    assert "when" not in me and me["from"] == [{"source": {"requestPrincipals": ["*"]}}]
    assert result.service_labels == {"istio.io/use-waypoint": "waypoint"}
    assert result.tasks[0].data["scopes"] == {
        "catalog:admin": "Administer the catalog",
        "catalog:read": "Read the catalog",
        "catalog:write": "Change the catalog",
    }


def test_api_without_mesh_or_sso_only_gives_outputs(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    repo = load(root)
    local = build_platform(repo, effective(repo, "local"))  # dev-fast
    result = provision(local, "api", service="orders")
    assert result.objects == [] and result.tasks == []
    assert result.outputs == {"url": "http://orders.shop.svc.cluster.local:80", "clientId": "orders"}


def test_custom_provisioner(platform: Platform) -> None:
    result = provision(platform, "queue", {"name": "jobs"}, service="search")
    assert result.outputs == {
        "url": "amqp://broker.dockyard-messaging.svc.cluster.local:5672/jobs",
        "password": SecretRef("search-res-amqp", "password"),
    }
    queue = result.objects[0].manifest
    assert (queue["metadata"], queue["spec"]["name"]) == ({"name": "search-res", "namespace": "discovery"}, "jobs")
    assert result.egress == [Peer("dockyard-messaging", {}, (("TCP", 5672),))]


def test_custom_provisioner_refuses_unknown_params(platform: Platform) -> None:
    with pytest.raises(ProvisionError) as refused:
        provision(platform, "queue", {"nmae": "x"}, service="search")
    assert str(refused.value) == "resource `res`: unknown param nmae (params: durable, name)"


def test_a_platform_replaces_a_built_in_type_with_its_own(tmp_path: Path) -> None:
    """As Score's implementations let a platform do: `provisioners/redis.yaml` is what `type: redis`
    means in this repo (here, a managed Redis outside the cluster), for every service."""
    from dockyard.render.services import render

    root = copy_example(tmp_path)
    (root / "provisioners" / "redis.yaml").write_text(
        "apiVersion: dockyard.dev/v1alpha1\nkind: Provisioner\ndescription: the managed Redis of our cloud\n"
        'outputs:\n  host: redis.example.internal\n  port: "6380"\nmanifests: []\n'
    )
    repo = load(root)
    bundle = render(build_platform(repo, effective(repo, "local")))
    names = [(o.manifest["metadata"].get("labels") or {}).get("app.kubernetes.io/name") for o in bundle.objects]
    assert "redis" not in names  # the built-in's Deployment is gone
    (worker,) = [o for o in bundle.objects if o.kind == "Deployment" and o.name == "worker"]
    env = {e["name"]: e.get("value") for e in worker.manifest["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert (env["REDIS_HOST"], env["REDIS_PORT"]) == ("redis.example.internal", "6380")


def test_every_resource_type_the_loader_knows_has_a_built_in_provisioner() -> None:
    from dockyard.load.resource_types import ResourceType

    assert sorted(BUILT_IN) == sorted(ResourceType)  # the other way round fails at import


def test_outputs_declared_are_outputs_given(platform: Platform) -> None:
    for type_, provisioner in sorted(BUILT_IN.items()):
        if type_ in ("secret", "api"):
            continue
        params = {"name": "search"} if type_ == "service" else {}
        owner = "search" if type_ == "volume" else "catalog"  # one replica: the default access mode fits
        assert sorted(provision(platform, type_, params, owner).outputs) == sorted(provisioner.outputs), type_
