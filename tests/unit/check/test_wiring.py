"""The wiring check on small renders built for each case, and on the example as it is: each kind of
broken wire is found, named with its object, and the example's wiring is whole."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from dockyard.check.wiring import check_wiring
from dockyard.render.bundle import Bundle, Rendered, Source, TaskRequest, obj
from tests.helpers import copy_example, replace, run_cli

HERE = Source("services/app/score.yaml")
C = "spec.template.spec.containers[0]"


def _deployment(name: str, namespace: str, *, labels: dict[str, str] | None = None, **container: Any) -> dict:
    labels = labels or {"app": name}
    pod = {"containers": [{"name": "main", "image": "registry.example.org/x:1", **container}]}
    spec = {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": pod}}
    return obj("apps/v1", "Deployment", name, namespace, spec=spec)


def _service(name: str, namespace: str, port: int = 80, target: int | str = 8080) -> dict:
    spec = {"selector": {"app": name}, "ports": [{"name": "http", "port": port, "targetPort": target}]}
    return obj("v1", "Service", name, namespace, spec=spec)


def _bundle(*manifests: dict, stage: str = "services", tasks: tuple[TaskRequest, ...] = ()) -> Bundle:
    namespaces = sorted({m["metadata"].get("namespace") for m in manifests} - {None})
    objects = [Rendered(obj("v1", "Namespace", ns, None), "namespaces", HERE) for ns in namespaces]
    objects += [Rendered(m, m.pop("_stage", stage), HERE) for m in map(copy.deepcopy, manifests)]
    return Bundle.of(objects, tasks)


def _messages(bundle: Bundle) -> list[str]:
    return [f"{f.rule}: {f.object}: {f.path + ': ' if f.path else ''}{f.message}" for f in check_wiring(bundle)]


def test_an_address_must_name_a_service_and_one_of_its_ports() -> None:
    env = [
        {"name": "GOOD", "value": "http://api.shop.svc.cluster.local"},
        {"name": "WRONG_PORT", "value": "api.shop.svc:8080"},
        {"name": "NO_SERVICE", "value": "postgres://user@db.shop.svc.cluster.local:5432/app"},
        {"name": "ELSEWHERE", "value": "http://thing.other-team.svc.cluster.local"},
    ]
    bundle = _bundle(_deployment("app", "shop", env=env), _deployment("api", "shop"), _service("api", "shop"))
    assert _messages(bundle) == [
        f"wiring-address: Deployment.apps shop/app: {C}.env[1].value: `api.shop.svc:8080` names port "
        "8080, but Service shop/api has port 80",
        f"wiring-address: Deployment.apps shop/app: {C}.env[2].value: `db.shop.svc:5432` names Service "
        "shop/db, which nothing on this cluster creates (Services there: api)",
    ]


def test_an_address_of_a_component_the_cluster_does_not_install_is_a_warning() -> None:
    """A namespace the render knows nothing of is someone else's; one of the platform's own
    components that this cluster does not install is a dead address, said as a warning."""
    env = [
        {"name": "TRACES", "value": "http://tempo.dockyard-observability.svc.cluster.local:4318"},
        {"name": "ELSEWHERE", "value": "http://thing.other-team.svc.cluster.local"},
    ]
    findings = check_wiring(_bundle(_deployment("app", "shop", env=env)))
    assert [(f.severity.value, f.path, f.message) for f in findings] == [
        (
            "warn",
            f"{C}.env[0].value",
            "`tempo.dockyard-observability.svc:4318` names Service dockyard-observability/tempo, in the namespace "
            "of the platform's loki, opentelemetry-collector and tempo, which this cluster does not install: "
            "nothing answers there",
        )
    ]


def test_values_the_fast_encoder_refuses_are_searched_too() -> None:
    """An integer beyond 64 bits, a date (YAML reads one from `2026-11-28`) and non-ASCII text in
    the same object: the address beside them is still found."""
    import datetime

    settings = obj(
        "v1",
        "ConfigMap",
        "settings",
        "shop",
        data={"big": 2**70, "day": datetime.date(2026, 11, 28), "name": "café", "url": "http://db.shop.svc:5432"},
    )
    app = _deployment("app", "shop", envFrom=[{"configMapRef": {"name": "settings"}}])
    assert _messages(_bundle(app, settings)) == [
        "wiring-address: ConfigMap shop/settings: data.url: `db.shop.svc:5432` names Service shop/db, which nothing "
        "on this cluster creates (namespace shop has no Services)"
    ]


def test_short_addresses_are_held_to_the_services_too() -> None:
    """`<service>:<port>` and `scheme://<service>` in the pod's namespace (its DNS search path), and
    `<service>.<namespace>` for a namespace of the render, as whole variable or argument values."""
    env = [
        {"name": "GOOD", "value": "api:80"},
        {"name": "GOOD_URL", "value": "http://api/v1"},
        {"name": "GOOD_NS", "value": "api.shop:80"},
        {"name": "WRONG_PORT", "value": "api:8080"},
        {"name": "NO_SERVICE", "value": "redis:6379"},
        {"name": "OTHER_NS", "value": "cache.data:6379"},
        {"name": "UNKNOWN_NS", "value": "thing.other-team:80"},  # a namespace the render knows nothing of
        {"name": "WORD", "value": "info"},
        {"name": "TIME", "value": "12:30"},
        {"name": "LOCAL", "value": "localhost:8080"},
        {"name": "DOMAIN", "value": "https://api.example.com/x"},
    ]
    app = _deployment("app", "shop", env=env, args=["--upstream", "api:81"])
    bundle = _bundle(app, _deployment("api", "shop"), _service("api", "shop"), obj("v1", "ConfigMap", "x", "data"))
    assert _messages(bundle) == [
        f"wiring-address: Deployment.apps shop/app: {C}.args[1]: `api:81` names port 81, but Service "
        "shop/api has port 80",
        f"wiring-address: Deployment.apps shop/app: {C}.env[3].value: `api:8080` names port 8080, but "
        "Service shop/api has port 80",
        f"wiring-address: Deployment.apps shop/app: {C}.env[4].value: `redis:6379` names Service "
        "shop/redis, which nothing on this cluster creates (Services there: api)",
        f"wiring-address: Deployment.apps shop/app: {C}.env[5].value: `cache.data:6379` names Service "
        "data/cache, which nothing on this cluster creates (namespace data has no Services)",
    ]


def test_what_a_controller_makes_is_known() -> None:
    cluster = obj("postgresql.cnpg.io/v1", "Cluster", "pg", "data", spec={"instances": 1})
    env = [
        {"name": "HOST", "value": "pg-rw.data.svc.cluster.local:5432"},
        {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "pg-app", "key": "password"}}},
    ]
    app = _deployment("app", "data", env=env)
    assert _messages(_bundle(app, cluster)) == []
    app["spec"]["template"]["spec"]["containers"][0]["env"][1]["valueFrom"]["secretKeyRef"]["key"] = "passwd"
    assert _messages(_bundle(app, cluster)) == [
        "wiring-reference: Deployment.apps data/app: spec.template.spec.containers[0].env[1]: reads key `passwd` of "
        "Secret data/pg-app, which the controller of Cluster data/pg makes with keys dbname, host, jdbc-uri, "
        "password, pgpass, port, uri, user, username"
    ]


def test_secrets_and_config_maps_must_exist_with_their_keys() -> None:
    made = TaskRequest("ensure-secret", "creds", {"name": "creds", "namespaces": ["shop"], "keys": {"token": {}}}, HERE)
    config = obj("v1", "ConfigMap", "settings", "shop", data={"level": "info"})
    env = [
        {"name": "A", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token"}}},
        {"name": "B", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "secret"}}},
        {"name": "C", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "level"}}},
        {"name": "D", "valueFrom": {"secretKeyRef": {"name": "nowhere", "key": "x", "optional": True}}},
    ]
    app = _deployment("app", "shop", env=env, envFrom=[{"configMapRef": {"name": "missing"}}])
    assert _messages(_bundle(app, config, tasks=(made,))) == [
        "wiring-reference: Deployment.apps shop/app: spec.template.spec.containers[0].envFrom[0]: reads ConfigMap "
        "shop/missing, which nothing on this cluster creates (not in the render, not made by a lifecycle task or "
        "a controller)",
        "wiring-reference: Deployment.apps shop/app: spec.template.spec.containers[0].env[1]: reads key `secret` of "
        "Secret shop/creds, which the ensure-secret task creds makes with keys token",
    ]


def _external_secret(name: str, namespace: str, store: str, kind: str = "ClusterSecretStore") -> dict:
    spec = {
        "secretStoreRef": {"kind": kind, "name": store},
        "target": {"name": name},
        "data": [{"secretKey": "apiKey", "remoteRef": {"key": f"{namespace}/{name}", "property": "apiKey"}}],
    }
    return obj("external-secrets.io/v1", "ExternalSecret", name, namespace, spec=spec)


def test_a_secret_the_external_secrets_operator_makes_is_known_and_its_store_looked_for() -> None:
    """The Secret an ExternalSecret names is made at run time, with its keys; its store should be in
    the render (a ClusterSecretStore, or a SecretStore of its namespace): a warning when not."""
    reads = [
        {"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "provider", "key": "apiKey"}}},
        {"name": "OTHER", "valueFrom": {"secretKeyRef": {"name": "provider", "key": "other"}}},
    ]
    store = obj("external-secrets.io/v1", "ClusterSecretStore", "vault", None, spec={"provider": {}})
    app = _deployment("app", "shop", env=reads)
    assert _messages(_bundle(app, _external_secret("provider", "shop", "vault"), store)) == [
        f"wiring-reference: Deployment.apps shop/app: {C}.env[1]: reads key `other` of Secret shop/provider, which "
        "the controller of ExternalSecret shop/provider makes with keys apiKey",
    ]
    missing = check_wiring(_bundle(app, _external_secret("provider", "shop", "team", "SecretStore"), store))
    assert [(f.severity.value, f.path, f.message) for f in missing if "store" in f.message.lower()] == [
        (
            "warn",
            "spec.secretStoreRef.name",
            "reads its values through SecretStore team, which nothing on this cluster creates: the External "
            "Secrets Operator makes no Secret without it",
        )
    ]


def _gateway(listeners: list[dict]) -> dict:
    gateway = obj(
        "gateway.networking.k8s.io/v1", "Gateway", "edge", "gw", spec={"gatewayClassName": "x", "listeners": listeners}
    )
    gateway["metadata"]["labels"] = {"dockyard.dev/component": "edge"}
    gateway["_stage"] = "platform-networking"
    return gateway


def _route(hostnames: list[str], port: int = 80, section: str | None = None) -> dict:
    parent = {"name": "edge", "namespace": "gw", **({"sectionName": section} if section else {})}
    spec = {"parentRefs": [parent], "hostnames": hostnames, "rules": [{"backendRefs": [{"name": "api", "port": port}]}]}
    return obj("gateway.networking.k8s.io/v1", "HTTPRoute", "api", "shop", spec=spec)


def test_a_route_must_attach_to_a_listener_that_admits_it() -> None:
    same = {"name": "web", "protocol": "HTTP", "port": 80}
    everyone = {**same, "name": "all", "hostname": "*.example.com", "allowedRoutes": {"namespaces": {"from": "All"}}}
    api = (_deployment("api", "shop"), _service("api", "shop"))
    assert _messages(_bundle(_gateway([same]), _route(["api.example.com"]), *api)) == [
        "wiring-route: HTTPRoute.gateway.networking.k8s.io shop/api: spec.parentRefs[0]: no listener of Gateway "
        "gw/edge admits it: listener web admits routes of namespace gw only"
    ]
    assert _messages(_bundle(_gateway([everyone]), _route(["api.example.org"]), *api)) == [
        "wiring-route: HTTPRoute.gateway.networking.k8s.io shop/api: spec.parentRefs[0]: no listener of Gateway "
        "gw/edge admits it: listener all serves *.example.com, not api.example.org"
    ]
    assert _messages(_bundle(_gateway([everyone]), _route(["api.example.com"], section="web"), *api)) == [
        "wiring-route: HTTPRoute.gateway.networking.k8s.io shop/api: spec.parentRefs[0]: names listener `web` of "
        "Gateway gw/edge, which has listeners all"
    ]
    assert _messages(_bundle(_gateway([everyone]), _route(["api.example.com"], port=81), *api)) == [
        "wiring-route: HTTPRoute.gateway.networking.k8s.io shop/api: spec.rules[0].backendRefs[0]: sends to port "
        "81 of Service shop/api (ports: 80)"
    ]
    assert _messages(_bundle(_gateway([everyone]), _route(["api.example.com"]), *api)) == []


def _sign_in_policy(route: str, port: int = 80, namespace: str = "auth") -> dict:
    backend = {"group": "", "kind": "Service", "name": "proxy", "namespace": namespace, "port": port}
    spec = {
        "targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": route}],
        "extAuth": {"http": {"backendRefs": [backend]}},
    }
    return obj("gateway.envoyproxy.io/v1alpha1", "SecurityPolicy", "sign-in", "shop", spec=spec)


def _grant(kind: str, group: str) -> dict:
    spec = {
        "from": [{"group": group, "kind": kind, "namespace": "shop"}],
        "to": [{"group": "", "kind": "Service", "name": "proxy"}],
    }
    return obj("gateway.networking.k8s.io/v1beta1", "ReferenceGrant", f"from-shop-{kind.lower()}", "auth", spec=spec)


def test_a_security_policy_protects_a_route_that_exists_and_sends_where_it_may() -> None:
    """A policy naming a route that does not exist applies to nothing (the route it meant stays open);
    its sign-in Service must exist, on its port, with a grant when it is in another namespace."""
    everyone = {"name": "web", "protocol": "HTTP", "port": 80, "allowedRoutes": {"namespaces": {"from": "All"}}}
    parts = (
        _gateway([everyone]),
        _route(["api.example.com"]),
        _deployment("api", "shop"),
        _service("api", "shop"),
        _deployment("proxy", "auth"),
        _service("proxy", "auth"),
    )
    grant = _grant("SecurityPolicy", "gateway.envoyproxy.io")
    assert _messages(_bundle(*parts, _sign_in_policy("api"), grant)) == []
    assert _messages(_bundle(*parts, _sign_in_policy("apis"), grant)) == [
        "wiring-policy: SecurityPolicy.gateway.envoyproxy.io shop/sign-in: spec.targetRefs[0]: protects HTTPRoute "
        "shop/apis, which nothing on this cluster creates: the policy applies to nothing"
    ]
    assert _messages(_bundle(*parts, _sign_in_policy("api"))) == [
        "wiring-policy: SecurityPolicy.gateway.envoyproxy.io shop/sign-in: spec.extAuth.http.backendRefs[0]: sends "
        "to Service auth/proxy of another namespace, and no ReferenceGrant of auth lets SecurityPolicies of shop use "
        "it (Envoy Gateway refuses the policy)"
    ]
    assert _messages(_bundle(*parts, _sign_in_policy("api", port=4180), grant)) == [
        "wiring-policy: SecurityPolicy.gateway.envoyproxy.io shop/sign-in: spec.extAuth.http.backendRefs[0]: sends "
        "to port 4180 of Service auth/proxy (ports: 80)"
    ]
    assert _messages(_bundle(*parts, _sign_in_policy("api", namespace="elsewhere"), grant)) == [
        "wiring-policy: SecurityPolicy.gateway.envoyproxy.io shop/sign-in: spec.extAuth.http.backendRefs[0]: sends "
        "to Service elsewhere/proxy, which nothing on this cluster creates"
    ]


def test_a_route_to_another_namespace_needs_its_grant() -> None:
    everyone = {"name": "web", "protocol": "HTTP", "port": 80, "allowedRoutes": {"namespaces": {"from": "All"}}}
    route = _route(["api.example.com"])
    route["spec"]["rules"][0]["backendRefs"][0].update(name="proxy", namespace="auth")
    parts = (_gateway([everyone]), route, _deployment("proxy", "auth"), _service("proxy", "auth"))
    assert _messages(_bundle(*parts)) == [
        "wiring-route: HTTPRoute.gateway.networking.k8s.io shop/api: spec.rules[0].backendRefs[0]: sends to Service "
        "auth/proxy of another namespace, and no ReferenceGrant of auth lets HTTPRoutes of shop use it (the gateway "
        "refuses the backend)"
    ]
    assert _messages(_bundle(*parts, _grant("HTTPRoute", "gateway.networking.k8s.io"))) == []
    assert _messages(_bundle(*parts, _grant("SecurityPolicy", "gateway.envoyproxy.io"))) != []


def test_a_service_cannot_route_a_host_of_the_platform() -> None:
    """A team's route for prometheus.<domain> with a longer path would take those requests (and
    the cookies sent to that host) past the platform's sign-in."""
    everyone = {"name": "web", "protocol": "HTTP", "port": 80, "allowedRoutes": {"namespaces": {"from": "All"}}}
    ui = _route(["prometheus.example.com"])
    ui["metadata"].update(name="prometheus", namespace="monitoring")
    ui["spec"]["rules"][0]["backendRefs"][0]["name"] = "prometheus"
    ui["_stage"] = "platform-services"
    parts = (_gateway([everyone]), ui, _deployment("prometheus", "monitoring"), _service("prometheus", "monitoring"))
    api = (_deployment("api", "shop"), _service("api", "shop"))
    assert _messages(_bundle(*parts, _route(["api.example.com"]), *api)) == []
    assert _messages(_bundle(*parts, _route(["prometheus.example.com"]), *api)) == [
        "wiring-route: HTTPRoute.gateway.networking.k8s.io shop/api: spec.hostnames[0]: routes host "
        "prometheus.example.com, which is the platform's (HTTPRoute monitoring/prometheus): its paths would take "
        "that host's requests, and its visitors' cookies, past the platform's checks"
    ]


def test_every_url_handed_out_for_the_platforms_hosts_is_served() -> None:
    everyone = {"name": "web", "protocol": "HTTP", "port": 80, "allowedRoutes": {"namespaces": {"from": "All"}}}
    urls = [
        {"name": "SELF", "value": "http://api.example.com/orders"},  # served
        {"name": "SECURE", "value": "https://api.example.com/orders"},  # no HTTPS listener
        {"name": "DOCS", "value": "see http://docs.example.com."},  # no route has the host
        {"name": "ELSEWHERE", "value": "https://example.org/"},  # someone else's host
    ]
    api = (_deployment("api", "shop", env=urls), _service("api", "shop"))
    bundle = _bundle(_gateway([everyone]), _route(["api.example.com"]), *api)
    found = [f"{f.rule}: {f.object}: {f.message}" for f in check_wiring(bundle, "example.com")]
    assert found == [  # in the order of the variables that hand them out
        "wiring-url: Deployment.apps shop/api: hands out `https://api.example.com`, which nothing serves: the routes "
        "with host api.example.com attach to no HTTPS listener that admits them",
        "wiring-url: Deployment.apps shop/api: hands out `http://docs.example.com`, which nothing serves: no "
        "HTTPRoute has host docs.example.com",
    ]
    # without the domain, only hosts some route names are judged
    assert [f.message for f in check_wiring(bundle)] == [
        "hands out `https://api.example.com`, which nothing serves: the routes with host api.example.com attach to "
        "no HTTPS listener that admits them"
    ]
    secure = {**everyone, "name": "secure", "protocol": "HTTPS", "port": 443}
    assert [
        f.message
        for f in check_wiring(_bundle(_gateway([everyone, secure]), _route(["api.example.com"]), *api), "example.com")
    ] == ["hands out `http://docs.example.com`, which nothing serves: no HTTPRoute has host docs.example.com"]


def _deny_all(namespace: str) -> dict:
    return obj(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        "default-deny",
        namespace,
        spec={"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    )


def _allow(name: str, namespace: str, app: str, direction: str, peer_ns: str, peer_app: str, port: int) -> dict:
    peers = "to" if direction == "egress" else "from"
    peer = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": peer_ns}}}
    peer["podSelector"] = {"matchLabels": {"app": peer_app}}
    rule = {peers: [peer], "ports": [{"protocol": "TCP", "port": port}]}
    spec = {"podSelector": {"matchLabels": {"app": app}}, "policyTypes": [direction.capitalize()], direction: [rule]}
    return obj("networking.k8s.io/v1", "NetworkPolicy", name, namespace, spec=spec)


def _allow_dns(namespace: str, protocol: str = "UDP") -> dict:
    kube_dns = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
    }
    rule = {"to": [kube_dns], "ports": [{"protocol": protocol, "port": 53}]}
    spec = {"podSelector": {}, "policyTypes": ["Egress"], "egress": [rule]}
    return obj("networking.k8s.io/v1", "NetworkPolicy", "allow-dns", namespace, spec=spec)


def _front_calls_back() -> tuple[dict, ...]:
    """A pod of namespace front configured with the address of Service back/api, and its pods."""
    env = [{"name": "API", "value": "http://api.back.svc.cluster.local"}]
    api = _deployment("api", "back", ports=[{"name": "http", "containerPort": 8080}])
    return _deployment("app", "front", env=env), api, _service("api", "back", target="http")


def test_a_wire_must_pass_the_network_policies_of_both_sides() -> None:
    parts = (
        *_front_calls_back(),
        _deny_all("front"),
        _deny_all("back"),
        _allow_dns("front"),
    )
    egress = _allow("app-out", "front", "app", "egress", "back", "api", 8080)
    ingress = _allow("api-in", "back", "api", "ingress", "front", "app", 8080)
    assert _messages(_bundle(*parts, egress, ingress)) == []
    assert _messages(_bundle(*parts, egress)) == [
        "wiring-network: Deployment.apps front/app: spec.template.spec.containers[0].env[0].value: "
        "connects to `api.back.svc:80` (pods on port 8080), but the "
        "NetworkPolicies of back selecting the receiving pods (default-deny) allow no ingress on TCP 8080 from "
        "front pods (app=app)"
    ]
    assert [f.hint for f in check_wiring(_bundle(*parts, egress))] == [
        "a NetworkPolicy of back selecting those pods must admit ingress from front pods (app=app) on TCP 8080; "
        "name the Service through a resource (`type: service`) and Dockyard writes both rules"
    ]
    wrong_port = _allow("app-out", "front", "app", "egress", "back", "api", 80)
    assert _messages(_bundle(*parts, wrong_port, ingress)) == [
        "wiring-network: Deployment.apps front/app: spec.template.spec.containers[0].env[0].value: "
        "connects to `api.back.svc:80` (pods on port 8080), but the "
        "NetworkPolicies of front selecting the sending pods (allow-dns, app-out, default-deny) allow no egress on "
        "TCP 8080 "
        "to back pods (app=api)"
    ]


def test_policies_found_for_labels_once_are_not_given_to_other_labels() -> None:
    """The policies that isolate a set of labels are kept by the mapping's identity; a mapping made
    and dropped must not hand its verdict to a new one that takes its id."""
    from dockyard.check.wiring.network import Endpoint, Policies

    api_only = _allow("api-in", "back", "api", "ingress", "front", "app", 8080)
    policies = Policies([Rendered(api_only, "services", HERE)])
    for round_ in range(50):
        labels = {"app": "api"} if round_ % 2 == 0 else {"app": "web"}
        isolating = policies.isolating(Endpoint("back", labels, None), "Ingress")
        assert [p.name for p in isolating] == (["api-in"] if labels["app"] == "api" else [])
        del labels  # without the entry holding it, the next mapping may take its id


def test_a_pod_that_finds_a_service_by_name_must_reach_the_clusters_dns() -> None:
    """Its egress must admit kube-system's kube-dns pods on UDP 53 before any address works; a
    gateway's route or a scrape finds endpoints through the API and needs no DNS."""
    parts = (
        *_front_calls_back(),
        _deny_all("front"),
        _allow("app-out", "front", "app", "egress", "back", "api", 8080),
    )
    assert _messages(_bundle(*parts, _allow_dns("front"))) == []
    refused = [
        f"wiring-network: Deployment.apps front/app: {C}.env[0].value: finds `api.back.svc:80` by its name, but "
        "the NetworkPolicies of front selecting the sending pods (app-out, default-deny) allow no egress on UDP 53 "
        "to kube-system pods (k8s-app=kube-dns): it cannot resolve any Service name"
    ]
    assert _messages(_bundle(*parts)) == refused
    assert [f.hint for f in check_wiring(_bundle(*parts))] == [
        "a NetworkPolicy of front must admit egress to kube-system pods (k8s-app=kube-dns) on UDP and TCP 53, as "
        "the allow-dns policy of Dockyard's team namespaces does"
    ]
    over_tcp = [refused[0].replace("(app-out, default-deny)", "(allow-dns, app-out, default-deny)")]
    assert _messages(_bundle(*parts, _allow_dns("front", "TCP"))) == over_tcp  # DNS asks over UDP first


def test_a_pod_that_holds_a_url_of_the_platforms_hosts_may_call_the_gateways_proxies() -> None:
    """The request goes to the Envoy proxies of the Gateway that serves the host (labelled as Envoy
    Gateway labels them, on the listener's port + 10000); a URL may only be shown to browsers, so a
    refusal is a warning."""
    from dockyard.check.findings import Severity

    secure = {"name": "secure", "protocol": "HTTPS", "port": 443, "allowedRoutes": {"namespaces": {"from": "All"}}}
    env = [{"name": "API", "value": "https://api.example.com/orders"}]
    parts = (
        _gateway([secure]),
        _route(["api.example.com"]),
        _deployment("api", "shop"),
        _service("api", "shop"),
        _deployment("app", "front", env=env),
        _deny_all("front"),
        _allow_dns("front"),
    )
    (found,) = check_wiring(_bundle(*parts))
    assert (found.severity, found.object, found.path) == (
        Severity.WARN,
        "Deployment.apps front/app",
        f"{C}.env[0].value",
    )
    assert found.message == (
        "holds `https://api.example.com`, served by the proxies of Gateway gw/edge; if its pods call it (not only "
        "show it to browsers), they connect there (pods on port 10443), but the NetworkPolicies of front selecting "
        "the sending pods (allow-dns, default-deny) allow no egress on TCP 10443 to gw pods "
        "(app.kubernetes.io/component=proxy, app.kubernetes.io/managed-by=envoy-gateway, app.kubernetes.io/name=envoy)"
    )
    proxies = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gw"}},
        "podSelector": {"matchLabels": {"gateway.envoyproxy.io/owning-gateway-name": "edge"}},
    }
    rule = {"to": [proxies], "ports": [{"protocol": "TCP", "port": 10443}]}
    to_gateway = obj(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        "to-gateway",
        "front",
        spec={"podSelector": {}, "policyTypes": ["Egress"], "egress": [rule]},
    )
    assert check_wiring(_bundle(*parts, to_gateway)) == []


def test_a_metrics_scrape_must_pass_the_network_policies_too() -> None:
    """A ServiceMonitor makes Prometheus (its pods come from the operator, labelled as it labels
    them) connect to the pods behind the Services it selects; a default-deny namespace must admit it."""
    prometheus = obj("monitoring.coreos.com/v1", "Prometheus", "main", "monitoring", spec={})
    monitor = obj(
        "monitoring.coreos.com/v1",
        "ServiceMonitor",
        "api",
        "shop",
        spec={"selector": {"matchLabels": {"app": "api"}}, "endpoints": [{"port": "metrics"}]},
    )
    service = obj(
        "v1",
        "Service",
        "api",
        "shop",
        spec={"selector": {"app": "api"}, "ports": [{"name": "metrics", "port": 9090, "targetPort": 9090}]},
    )
    service["metadata"]["labels"] = {"app": "api"}
    parts = (prometheus, monitor, service, _deployment("api", "shop"), _deny_all("shop"))
    scraped = obj(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        "scrape",
        "shop",
        spec={
            "podSelector": {"matchLabels": {"app": "api"}},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
                    "ports": [{"protocol": "TCP", "port": 9090}],
                }
            ],
        },
    )
    assert _messages(_bundle(*parts, scraped)) == []
    assert _messages(_bundle(*parts)) == [
        "wiring-network: ServiceMonitor.monitoring.coreos.com shop/api: connects to `api.shop.svc:9090 (metrics "
        "scrape)` (pods on port 9090), but the NetworkPolicies of shop selecting the receiving pods (default-deny) "
        "allow no ingress on TCP 9090 from monitoring pods (app.kubernetes.io/name=prometheus, prometheus=main)"
    ]


def test_a_service_monitor_must_select_services_with_the_port_it_scrapes() -> None:
    """One that names a port its Services lack, or selects nothing where every Service is known,
    scrapes nothing, silently; a namespace with Services a controller makes is not judged."""

    def monitor(port: str, app: str = "api", namespace: str = "shop") -> dict:
        spec = {"selector": {"matchLabels": {"app": app}}, "endpoints": [{"port": port}]}
        return obj("monitoring.coreos.com/v1", "ServiceMonitor", "api", namespace, spec=spec)

    service = _service("api", "shop")
    service["metadata"]["labels"] = {"app": "api"}
    parts = (service, _deployment("api", "shop"))
    assert _messages(_bundle(*parts, monitor("http"))) == []
    assert _messages(_bundle(*parts, monitor("metrics"))) == [
        "wiring-scrape: ServiceMonitor.monitoring.coreos.com shop/api: spec.endpoints[0].port: scrapes port "
        "`metrics`, which none of the Services it selects has (shop/api: ports http): it scrapes nothing there"
    ]
    (refused,) = check_wiring(_bundle(*parts, monitor("metrics")))
    assert str(refused).endswith(
        "[wiring-scrape, deny]\n  hint: name one of those ports, or turn the port on in the chart's values "
        "(`components.<name>.values`)"
    )
    assert _messages(_bundle(*parts, monitor("http", app="web"))) == [
        "wiring-scrape: ServiceMonitor.monitoring.coreos.com shop/api: spec.selector: selects no Service in shop: "
        "it scrapes nothing"
    ]
    made_later = obj("postgresql.cnpg.io/v1", "Cluster", "pg", "shop", spec={"instances": 1})
    assert _messages(_bundle(*parts, made_later, monitor("metrics", app="pg"))) == []  # its Services come later


def test_nothing_waits_on_a_later_stage() -> None:
    early = _deployment("identity", "id", env=[{"name": "DB", "value": "db.data.svc.cluster.local:5432"}])
    early["_stage"] = "platform-networking"
    database = _service("db", "data", port=5432, target=5432)
    database["_stage"] = "platform-services"
    assert _messages(_bundle(early, database, _deployment("db", "data"))) == [
        "wiring-stage: Deployment.apps id/identity: spec.template.spec.containers[0].env[0].value: "
        "in stage platform-networking, it connects to "
        "`db.data.svc:5432`, which stage platform-services applies later: if it needs it to start, stage "
        "platform-networking can never become healthy"
    ]


def test_a_secret_a_task_makes_after_a_stage_is_too_late_for_that_stage() -> None:
    """The keycloak-client task runs once stage platform-services is healthy: a pod of that stage
    cannot start on the client secret it writes; a pod of a later stage can."""
    client = TaskRequest(
        "keycloak-client",
        "proxy",
        {"clientId": "proxy", "secretTo": {"namespace": "auth", "name": "proxy-oidc", "key": "client-secret"}},
        HERE,
    )
    env = [{"name": "SECRET", "valueFrom": {"secretKeyRef": {"name": "proxy-oidc", "key": "client-secret"}}}]
    proxy = _deployment("proxy", "auth", env=env)
    proxy["_stage"] = "platform-services"
    assert _messages(_bundle(proxy, tasks=(client,))) == [
        "wiring-stage: Deployment.apps auth/proxy: spec.template.spec.containers[0].env[0]: in stage "
        "platform-services, it reads Secret auth/proxy-oidc, which the keycloak-client task proxy makes only "
        "after stage platform-services: its pods cannot start before then"
    ]
    proxy["_stage"] = "services"
    assert _messages(_bundle(proxy, tasks=(client,))) == []


def test_duplicate_names_in_a_pod() -> None:
    env = [{"name": "KC_HEALTH_ENABLED", "value": "true"}, {"name": "KC_HEALTH_ENABLED", "value": "true"}]
    app = _deployment("keycloak", "id", env=env, ports=[{"containerPort": 8080}, {"containerPort": 8080}])
    assert _messages(_bundle(app)) == [
        "wiring-duplicate: Deployment.apps id/keycloak: spec.template.spec.containers[0].env: variable "
        "`KC_HEALTH_ENABLED` appears 2 times",
        "wiring-duplicate: Deployment.apps id/keycloak: spec.template.spec.containers[0].ports: port `8080/TCP` "
        "appears 2 times",
    ]


@pytest.mark.tools
def test_the_example_is_wired_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "check", str(copy_example(tmp_path)), "-c", "local", "--output", "json")
    import json

    wiring = [f for f in json.loads(result.out) if f["rule"].startswith("wiring-")]
    # dev-fast installs no identity provider: the token URL the callers of the orders API are
    # given (so their variables resolve alike everywhere) is one nothing answers; said, not refused
    assert [(f["object"], f["severity"], f["message"]) for f in wiring] == [
        (
            f"Deployment.apps shop/{caller}",
            "warn",
            "`keycloak-http.dockyard-identity.svc:80` names Service dockyard-identity/keycloak-http, in the "
            "namespace of the platform's keycloak and oauth2-proxy, which this cluster does not install: "
            "nothing answers there",
        )
        for caller in ("payments", "worker")
    ]


@pytest.mark.tools
def test_a_broken_wire_in_the_example_stops_apply_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_example(tmp_path)
    replace(
        repo,
        "services/payments/score.yaml",
        "ORDERS_URL: ${resources.orders.url}",
        "ORDERS_URL: http://orders.shop.svc:8080",
    )
    result = run_cli(capsys, "check", str(repo), "-c", "local")
    assert result.code == 1
    assert (
        "services/payments/score.yaml:10:19: Deployment.apps shop/payments: "
        "spec.template.spec.containers[0].env[0].value: `orders.shop.svc:8080` names port 8080, "
        "but Service shop/orders has ports 80, 9090 [wiring-address, deny]"
    ) in result.out.splitlines()


@pytest.mark.tools
def test_a_broken_wire_in_a_components_value_is_placed_at_the_layers_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The chart renders the value into its object; the finding names the layer's line that set it."""
    repo = copy_example(tmp_path)
    annotation = "            example.org/upstream: http://nosuch.dockyard-gateway.svc:8080\n"
    override = "  envoy-gateway:\n    values:\n      deployment:\n        pod:\n          annotations:\n" + annotation
    replace(repo, "clusters/local.yaml", "components:\n", "components:\n" + override)
    result = run_cli(capsys, "check", str(repo), "-c", "local")
    assert result.code == 1
    assert (
        "clusters/local.yaml:23:35: Deployment.apps dockyard-gateway/envoy-gateway: "
        'spec.template.metadata.annotations["example.org/upstream"]: `nosuch.dockyard-gateway.svc:8080` names '
        "Service dockyard-gateway/nosuch, which nothing on this cluster creates (Services there: envoy-gateway) "
        "[wiring-address, deny]"
    ) in result.out.splitlines()


@pytest.mark.tools
def test_the_complete_platform_is_wired_whole_and_a_stage_deadlock_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every component (profile `complete`; stand-ins with the real charts' names and ports where
    this machine cannot pull the chart) and the example's services: nothing to report. With Keycloak
    back in the stage before its database (as it was), the check finds the deadlock."""
    from dockyard.actions import chart_store
    from dockyard.render.components import identity
    from dockyard.render.components.catalog import CATALOG
    from dockyard.render.platform import render_platform
    from tests.charts import platform_of
    from tests.standin_charts import complete_repo

    repo, _standins = complete_repo(tmp_path)
    replace(
        repo,
        "services/web/score.yaml",
        "  orders:\n    type: service\n",
        "  orders:\n    type: service\n  media:\n    type: s3\n",
    )
    bundle = render_platform(platform_of(repo), chart_store())
    assert len(bundle.objects) > 200
    assert check_wiring(bundle, "shop.localtest.me") == []
    _object_store_serves_the_bucket(bundle)
    _explained_through_the_mesh_and_the_edge(bundle)
    _external_secrets_from_the_real_chart(bundle)
    import dataclasses

    earlier = dataclasses.replace(identity.KEYCLOAK, stage="platform-networking")
    monkeypatch.setitem(CATALOG, "keycloak", earlier)
    assert _messages(render_platform(platform_of(repo), chart_store())) == [
        "wiring-stage: StatefulSet.apps dockyard-identity/keycloak: in stage platform-networking, it connects to "
        "`platform-postgres-rw.dockyard-databases.svc`, which stage platform-services applies later: if it needs it "
        "to start, stage platform-networking can never become healthy"
    ]
    _argo_cd_is_configured_through_its_own_objects(bundle, repo, monkeypatch)


def _external_secrets_from_the_real_chart(bundle: Bundle) -> None:
    """The payments service's provider key comes from a Vault through the External Secrets Operator:
    its ExternalSecret, the operator from its real chart (the CRDs from the upstream's bundle, none
    from the chart), and the chart's ServiceMonitor scraping a port its Service has (wiring-scrape)."""
    found = {(o.kind, o.namespace, o.name) for o in bundle.objects}
    assert ("ExternalSecret", "shop", "payments-provider") in found
    assert ("ClusterSecretStore", None, "vault") in found
    operator = {(k, n) for k, ns, n in found if ns == "dockyard-secrets"}
    assert {("Deployment", "external-secrets"), ("Deployment", "external-secrets-webhook")} <= operator
    assert ("ServiceMonitor", "external-secrets-metrics") in operator
    crds = [o for o in bundle.objects if o.kind == "CustomResourceDefinition" and "external-secrets.io" in o.name]
    assert {o.manifest["metadata"]["labels"]["dockyard.dev/component"] for o in crds} == {"external-secrets-crds"}


def _argo_cd_is_configured_through_its_own_objects(bundle: Bundle, repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Argo CD's install manifest, with Dockyard's settings merged into its own ConfigMaps (what
    upstream wrote there stays); a setting for an object the manifest no longer has is an error."""
    import dataclasses

    from dockyard.actions import chart_store
    from dockyard.errors import InputError
    from dockyard.render.bundle import obj
    from dockyard.render.components import operations
    from dockyard.render.components.catalog import CATALOG
    from dockyard.render.platform import render_platform
    from tests.charts import platform_of

    argocd = {(o.kind, o.name): o.manifest for o in bundle.objects if o.namespace == "argocd"}
    settings = argocd[("ConfigMap", "argocd-cm")]["data"]
    assert settings["url"] == "https://argocd.shop.localtest.me"
    assert "resource.exclusions" in settings  # upstream's own settings kept
    assert argocd[("ConfigMap", "argocd-cmd-params-cm")]["data"] == {"server.insecure": "true"}
    assert argocd[("Deployment", "argocd-server")]["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "quay.io/argoproj/argocd:v3.6.1"
    )
    renamed = dataclasses.replace(
        operations.ARGO_CD, patches=lambda _p: [obj("v1", "ConfigMap", "argocd-config", None, data={"a": "b"})]
    )
    monkeypatch.setitem(CATALOG, "argo-cd", renamed)
    with pytest.raises(InputError) as refused:
        render_platform(platform_of(repo), chart_store())
    (problem,) = refused.value.problems
    assert problem.message == (
        "component `argo-cd`: ConfigMap argocd-config, which Dockyard configures, is not in go module "
        "github.com/argoproj/argo-cd/v3@v3.6.1/manifests/install.yaml"
    )
    assert problem.hint == "the upstream changed its objects: update the component's patches"


def _explained_through_the_mesh_and_the_edge(bundle: Bundle) -> None:
    from dockyard.check.wiring.explain import explain_wire

    (inside,) = explain_wire(bundle, "payments", "orders")
    assert inside.lines()[2] == (
        "  ok dns      orders.shop.svc from kube-system's kube-dns (UDP 53): NetworkPolicy shop/allow-dns admits it "
        "(egress[0])"
    )
    assert inside.lines()[4:9] == [
        "  ok mesh     both namespaces are in the ambient mesh: HBONE on port 15008",
        "  ok waypoint through waypoint shop/waypoint; it enforces AuthorizationPolicy shop/orders, "
        "RequestAuthentication shop/orders",
        "  ok pods     AuthorizationPolicy shop/orders-pods admits the waypoint",
        "  ok egress   NetworkPolicy shop/allow-mesh admits it (egress[0])",
        "  ok ingress  NetworkPolicy shop/allow-mesh admits it (ingress[0])",
    ]
    (edge,) = explain_wire(bundle, "gateway", "https://api.shop.localtest.me/orders/1")
    assert edge.connects
    assert edge.lines()[1:4] == [
        "  ok listener admitted by listener dockyard-gateway/platform https (HTTPS 443)",
        "  ok route    hosts api.shop.localtest.me, paths /orders (services/orders/score.yaml:42:3)",
        "  ok policy   SecurityPolicy shop/orders-contract: tokens checked, 8 rules, else Deny",
    ]
    # the edge joins the mesh and sends to the pods' addresses: past the waypoint, admitted by the pods
    assert edge.lines()[5:8] == [
        "  ok mesh     both namespaces are in the ambient mesh: HBONE on port 15008",
        "  ok waypoint not on this path: the sender sends to the pods' addresses",
        "  ok pods     AuthorizationPolicy shop/orders-pods admits namespace dockyard-gateway",
    ]
    # Prometheus has no sign-in of its own: every request goes to oauth2-proxy first, and the paths
    # oauth2-proxy answers itself never reach Prometheus
    (ui,) = explain_wire(bundle, "gateway", "https://prometheus.shop.localtest.me/query")
    assert ui.lines()[0] == (
        "gateway -> HTTPRoute dockyard-monitoring/prometheus -> Service "
        "dockyard-monitoring/kube-prometheus-stack-prometheus"
    )
    assert ui.lines()[3] == (
        "  ok policy   SecurityPolicy dockyard-monitoring/prometheus-sign-in: each request goes first to Service "
        "dockyard-identity/oauth2-proxy (external authorization: a 200 passes)"
    )
    (own,) = explain_wire(bundle, "gateway", "https://prometheus.shop.localtest.me/oauth2/callback")
    assert (
        own.lines()[0]
        == "gateway -> HTTPRoute dockyard-monitoring/prometheus -> Service dockyard-identity/oauth2-proxy"
    )


def _object_store_serves_the_bucket(bundle: Bundle) -> None:
    """With SeaweedFS's real chart: the s3 resource's bucket is made by the chart's bucket job, its
    secret key reaches the server from the Secret the task makes, the server reads Dockyard's
    identities, and the chart's own Secrets (a generated SFTP password) are not rendered."""
    import json

    from dockyard.render.components import data

    store = {(o.kind, o.name): o.manifest for o in bundle.objects if o.namespace == "dockyard-storage"}
    assert not [name for kind, name in store if kind == "Secret"]
    pod = store[("Deployment", "object-store-all-in-one")]["spec"]["template"]["spec"]
    (server,) = pod["containers"]
    key = data.s3_access_key("web-media")
    assert {
        "name": f"S3_SECRET_{key.upper()}",
        "valueFrom": {"secretKeyRef": {"key": "secretKey", "name": "s3-user-web-media"}},
    } in server["env"]
    assert f"-s3.config={data.IDENTITIES_DIR}/identities.json" in server["command"][-1]
    assert {"name": "dockyard-identities", "configMap": {"name": data.IDENTITIES}} in pod["volumes"]
    identities = json.loads(store[("ConfigMap", data.IDENTITIES)]["data"]["identities.json"])["identities"]
    assert [i["name"] for i in identities] == ["platform", "web-media"]
    script = store[("Job", "object-store-bucket-hook")]["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    assert "s3.bucket.create --name shop-web-media" in script
    assert "s3.bucket.create --name tempo-traces" in script


@pytest.mark.tools
def test_explain_wire_shows_each_hop_and_what_admits_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = str(copy_example(tmp_path))
    result = run_cli(capsys, "check", repo, "-c", "local", "--explain-wire", "web", "orders")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "Deployment.apps shop/web -> Service shop/orders port 80",
        "  ok address  `orders.shop.svc:80` in Deployment.apps shop/web (services/web/score.yaml:10:19)",
        "  ok dns      orders.shop.svc from kube-system's kube-dns (UDP 53): NetworkPolicy shop/allow-dns admits it "
        "(egress[0])",
        "  ok service  Service shop/orders port 80 -> pods of Deployment.apps shop/orders, port 8080",
        "  ok egress   NetworkPolicy shop/web admits it (egress[0])",
        "  ok ingress  NetworkPolicy shop/orders admits it (ingress[2])",
        "  connects",
    ]
    # a call the render does not make: no address, and both sides' policies refuse it
    result = run_cli(capsys, "check", repo, "-c", "local", "--explain-wire", "web", "shop/payments:80")
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[1] == (
        "  NO address  the configuration of Deployment.apps shop/web (variables, arguments, ConfigMaps it reads) "
        "names no address of Service shop/payments on port 80"
    )
    assert lines[2].startswith("  ok dns      payments.shop.svc from kube-system's kube-dns (UDP 53): ")
    assert lines[4].startswith("  NO egress   the NetworkPolicies of shop selecting the sending pods (allow-dns, ")
    assert lines[5].startswith("  NO ingress  the NetworkPolicies of shop selecting the receiving pods (")
    assert lines[-1] == "  refused"


@pytest.mark.tools
def test_explain_wire_from_the_edge_follows_a_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = str(copy_example(tmp_path))
    result = run_cli(
        capsys, "check", repo, "-c", "local", "--explain-wire", "gateway", "http://api.shop.localtest.me/orders/1"
    )
    assert result.code == 0, result.err
    assert result.out.splitlines()[:4] == [
        "gateway -> HTTPRoute shop/orders-public -> Service shop/orders",
        "  ok listener admitted by listener dockyard-gateway/platform http (HTTP 80)",
        "  ok route    hosts api.shop.localtest.me, paths /orders (services/orders/score.yaml:42:3)",
        "  ok policy   no SecurityPolicy: every request the route matches reaches the Service",
    ]
    # dev-fast has no certificates: nothing serves https
    result = run_cli(
        capsys, "check", repo, "-c", "local", "--explain-wire", "gateway", "https://api.shop.localtest.me/orders/1"
    )
    assert result.code == 1
    assert result.out.splitlines()[1] == (
        "  NO listener no listener for https admits the route: dockyard-gateway/platform http is HTTP 80"
    )
    result = run_cli(capsys, "check", repo, "-c", "local", "--explain-wire", "gateway", "http://nowhere.example/")
    assert (result.code, result.err) == (2, "error: no HTTPRoute on this cluster serves host nowhere.example at /\n")


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        (
            "nobody",
            "orders",
            "no workload named `nobody` in the render for this cluster (workloads: cnpg-controller-manager, "
            "envoy-gateway, orders, payments, web, worker, worker-queue; or `gateway` for the edge)",
        ),
        ("web", "nothing", "no Service named `nothing` in the render for this cluster"),
        ("web", "orders:81", "Service shop/orders has no port 81 (ports: 80, 9090)"),
        ("web", "orders:http", "`orders:http`: the port after `:` must be a number"),
        ("web", "https://api.shop.localtest.me/", "a URL is explained from `gateway` (the edge), not from `web`"),
    ],
)
@pytest.mark.tools
def test_explain_wire_names_what_it_cannot_find(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str, target: str, message: str
) -> None:
    result = run_cli(capsys, "check", str(copy_example(tmp_path)), "-c", "local", "--explain-wire", source, target)
    assert (result.code, result.out, result.err) == (2, "", f"error: {message}\n")
