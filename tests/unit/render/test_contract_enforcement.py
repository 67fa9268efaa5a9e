"""The rendered policies permit exactly what the contract permits: for random contracts and for a
corpus written to look like real APIs, an evaluator of Istio's documented matching and an OpenAPI
reading of the contract agree on every (method, path, credentials) tried: nothing fails open,
nothing is wrongly denied."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockyard.errors import Problems
from dockyard.load.yamlsafe import Document
from dockyard.render.openapi import edge, istio
from dockyard.render.openapi.operations import read
from dockyard.render.openapi.sources import Sources
from tests.helpers import copy_example, replace, run_cli
from tests.unit.render.enforcement import (
    Request,
    Token,
    contract_allows,
    edge_allows,
    mesh_allows,
    normalise,
    pods_admit,
)

ISSUER = "https://sso.shop.example.com/realms/shop"
AUDIENCE = "orders"
WORDS = ("orders", "items", "export", "v1")
SCOPES = ("read", "write", "admin")
METHODS = ("get", "post", "delete")


def _policies(contract: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    document = Document("c.yaml", contract, b"")
    problems = Problems()
    read_contract = read(Sources("c.yaml", {"c.yaml": document}), problems)
    assert not problems, problems.errors
    authentication = {"spec": {"jwtRules": [{"issuer": ISSUER, "audiences": [AUDIENCE]}]}}
    authorization = {"spec": {"action": "ALLOW", "rules": istio.rules(read_contract)}}
    return authentication, authorization


def _edge_policy(contract: dict[str, Any]) -> dict[str, Any]:
    document = Document("c.yaml", contract, b"")
    read_contract = read(Sources("c.yaml", {"c.yaml": document}), Problems())
    return edge.security_policy(read_contract, AUDIENCE, "shop", ISSUER, "http://keys", {"name": "keys"})


def _agree(contract: dict[str, Any], requests: list[Request]) -> list[str]:
    """Where the mesh or the edge disagrees with the contract, for each request tried."""
    authentication, authorization = _policies(contract)
    policy = _edge_policy(contract)
    disagreements = []
    for request in requests:
        spec = contract_allows(contract, request, AUDIENCE, ISSUER)
        for enforcer, verdict in (
            ("mesh", mesh_allows(request, authentication, authorization)),
            ("edge", edge_allows(request, policy)),
        ):
            # the edge refuses matrix parameters (`;`) on purpose: backends read them differently
            expected = spec and not (enforcer == "edge" and ";" in normalise(request.url_path))
            if verdict != expected:
                what = "fails open" if verdict else "wrongly denies"
                disagreements.append(f"{enforcer} {what}: {request.method} {request.path} {request.token}")
    return disagreements


# --- random contracts -----------------------------------------------------------------------------

segment = st.one_of(st.sampled_from(WORDS), st.just("{param}"))
template = st.lists(segment, min_size=1, max_size=3).map(
    lambda parts: "/" + "/".join(p if p != "{param}" else f"{{p{i}}}" for i, p in enumerate(parts))
)
scope_list = st.lists(st.sampled_from(SCOPES), max_size=2, unique=True)
requirement = st.one_of(
    st.just({}),
    scope_list.map(lambda s: {"oauth": s}),
    scope_list.map(lambda s: {"oidc": s}),  # OpenID Connect: the same realm's tokens
    st.tuples(scope_list, scope_list).map(lambda p: {"oauth": p[0], "oidc": p[1]}),  # both: every scope
    st.just({"bearer": []}),  # an HTTP bearer token: any valid token of this API
)
security = st.one_of(st.none(), st.just([]), st.lists(requirement, min_size=1, max_size=2))
operation = security.map(
    lambda s: {"responses": {"200": {"description": "ok"}}} | ({} if s is None else {"security": s})
)
path_item = st.dictionaries(st.sampled_from(METHODS), operation, min_size=1, max_size=3)
servers = st.one_of(
    st.none(), st.just([{"url": "/api"}]), st.just([{"url": "https://api.example.com/v2"}, {"url": "/"}])
)


@st.composite
def contracts(draw: st.DrawFn) -> dict[str, Any]:
    document: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "components": {
            "securitySchemes": {
                "oauth": {
                    "type": "oauth2",
                    "flows": {"clientCredentials": {"tokenUrl": "https://t", "scopes": {s: s for s in SCOPES}}},
                },
                "oidc": {"type": "openIdConnect", "openIdConnectUrl": "https://sso.example.com/.well-known/x"},
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            }
        },
        "paths": draw(st.dictionaries(template, path_item, min_size=1, max_size=5)),
    }
    default = draw(security)
    if default is not None:
        document["security"] = default
    chosen = draw(servers)
    if chosen is not None:
        document["servers"] = chosen
    return document


request_segment = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(("123", "x-1", "a%2Fb", "", "me;x", "7;v=1", "EXPORT", "Orders", "%65xport", "a%5Cb", "..")),
)
query = st.sampled_from(("", "", "?x=1", "?/admin", "?a=b/../c", "?"))
token = st.one_of(
    st.none(),
    st.lists(st.sampled_from(SCOPES), unique=True).map(lambda s: Token(ISSUER, (AUDIENCE,), " ".join(s))),
    st.just(Token(ISSUER, ("payments",), " ".join(SCOPES))),
    st.just(Token("https://elsewhere.example.com", (AUDIENCE,), " ".join(SCOPES))),
)
request = st.builds(
    lambda method, prefix, parts, asked, credentials: Request(
        method, prefix + "/" + "/".join(parts) + asked, credentials
    ),
    st.sampled_from(("GET", "POST", "DELETE", "PUT", "HEAD")),
    st.sampled_from(("", "/api", "/v2", "/api/")),
    st.lists(request_segment, min_size=1, max_size=4),
    query,
    token,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contracts(), st.lists(request, min_size=20, max_size=40))
def test_random_contracts_are_enforced_exactly(contract: dict[str, Any], requests: list[Request]) -> None:
    # requests for every operation as written (parameters filled in), and random ones
    written = [
        Request(method.upper(), base + path.replace("{p0}", "7").replace("{p1}", "8").replace("{p2}", "9") + asked, tok)
        for path, item in contract["paths"].items()
        for method in item
        for base in ("", "/api", "/v2")
        for tok in (None, Token(ISSUER, (AUDIENCE,), " ".join(SCOPES)), Token(ISSUER, (AUDIENCE,), "read"))
        for asked in ("", "?x=1")
    ]
    assert _agree(contract, written + requests) == []


def test_between_two_servers_the_template_with_text_further_left_wins() -> None:
    """`GET /v2/orders/orders` is `GET /{a}/{b}` under the server `/v2`, and would be `POST
    /{a}/orders/{b}` under `/`: over the whole path, `/v2/{a}/{b}` has text first, so the request
    names that path item: its GET is allowed, a POST is not (found by the property test above)."""
    ok = {"responses": {"200": {"description": "ok"}}}
    contract = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "servers": [{"url": "https://api.example.com/v2"}, {"url": "/"}],
        "paths": {"/{p0}/{p1}": {"get": ok}, "/{p0}/orders/{p2}": {"post": ok}, "/orders": {"get": ok}},
    }
    requests = [Request(method, "/v2/orders/orders", None) for method in ("GET", "POST", "DELETE")]
    assert [contract_allows(contract, r, AUDIENCE, ISSUER) for r in requests] == [True, False, False]
    assert _agree(contract, requests) == []


# --- contracts written to look like real APIs ----------------------------------------------------------

CORPUS = Path(__file__).parent / "contracts"


def _every_request(contract: dict[str, Any], extra_paths: list[str]) -> list[Request]:
    paths = set(extra_paths)
    servers = [urlsplit(s["url"]).path.rstrip("/") for s in contract.get("servers") or []]
    for base in sorted({"", "/v3", "/api/v1", "/v1", *servers}):
        for written in contract.get("paths") or {}:
            for value in ("7", "export", "me", "a%2Fb", "..%2Fadmin"):
                filled = "/".join(value if p.startswith("{") else p for p in written.split("/"))
                paths |= {base + filled, base + filled + "/", base + filled.replace("/", "//", 1)}
                paths |= {base + filled + "?x=1", base + filled + "?/invoice", base + filled + ";v=1"}
    tokens = [None, Token("https://elsewhere.example.com", (AUDIENCE,), "")]
    scopes = sorted(
        {s for scheme in _schemes(contract) for flow in scheme.get("flows", {}).values() for s in flow["scopes"]}
    )
    tokens += [Token(ISSUER, (AUDIENCE,), " ".join(scopes[:i])) for i in range(len(scopes) + 1)]
    tokens += [Token(ISSUER, (AUDIENCE,), scope) for scope in scopes]
    tokens += [Token(ISSUER, ("payments",), " ".join(scopes))]
    methods = ("GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS")
    return [Request(m, p, t) for m in methods for p in sorted(paths) for t in tokens]


def _schemes(contract: dict[str, Any]) -> list[dict[str, Any]]:
    return list(((contract.get("components") or {}).get("securitySchemes") or {}).values())


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.yaml")))
def test_real_shaped_contracts_are_enforced_exactly(name: str) -> None:
    contract = yaml.safe_load((CORPUS / name).read_text())
    requests = _every_request(contract, ["/", "/admin", "/v3/admin", "/orders/export/x"])
    allowed = sum(contract_allows(contract, r, AUDIENCE, ISSUER) for r in requests)
    assert len(requests) > 500 and allowed >= 100  # many requests reach an operation, not only refusals
    assert _agree(contract, requests) == []


# --- through the real render -----------------------------------------------------------------------------


def _rendered(repo: Path, capsys: pytest.CaptureFixture[str]) -> dict[tuple[str, str], dict[str, Any]]:
    replace(repo, "environments/dev.yaml", "profile: dev-fast", "profile: complete")
    result = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "services")
    assert result.code == 0, result.err
    return {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(result.out)}


def test_the_example_orders_api_as_rendered(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The mesh's and the edge's policies exactly as `dockyard render` writes them, judged on every
    request; and the pods admit only the waypoint, the edge and the metrics scrape."""
    repo = copy_example(tmp_path)
    contract = yaml.safe_load((repo / "services/orders/openapi.yaml").read_text())
    rendered = _rendered(repo, capsys)
    authentication = rendered[("RequestAuthentication", "orders")]
    authorization = rendered[("AuthorizationPolicy", "orders")]
    edge_policy = rendered[("SecurityPolicy", "orders-contract")]
    assert authentication["spec"]["jwtRules"][0]["jwksUri"] == (
        "http://keycloak-http.dockyard-identity.svc.cluster.local/realms/shop/protocol/openid-connect/certs"
    )
    issuer = authentication["spec"]["jwtRules"][0]["issuer"]
    assert issuer == "https://sso.shop.localtest.me/realms/shop"
    requests = [
        Request(r.method, r.path, Token(issuer, r.token.audiences, r.token.scope) if r.token else None)
        for r in _every_request(contract, ["/orders/export"])
    ]
    disagreements = []
    for req in requests:
        spec = contract_allows(contract, req, AUDIENCE, issuer)
        if mesh_allows(req, authentication, authorization) != spec:
            disagreements.append(f"mesh {req.method} {req.path} {req.token}")
        if edge_allows(req, edge_policy) != (spec and ";" not in normalise(req.url_path)):
            disagreements.append(f"edge {req.method} {req.path} {req.token}")
    assert disagreements == []
    pods = rendered[("AuthorizationPolicy", "orders-pods")]
    waypoint, gateway, other = "cluster.local/ns/shop/sa/waypoint", "cluster.local/ns/dockyard-gateway/sa/envoy", None
    assert pods_admit(pods, waypoint, "shop", 8080)
    assert pods_admit(pods, gateway, "dockyard-gateway", 8080)
    assert not pods_admit(pods, "cluster.local/ns/shop/sa/payments", "shop", 8080)  # past the waypoint: refused
    assert not pods_admit(pods, other, None, 8080)  # plaintext from outside the mesh
    assert pods_admit(pods, other, None, 9090)  # Prometheus scrapes the metrics port
    anonymous_delete = Request("DELETE", "/orders/123")
    assert not mesh_allows(anonymous_delete, authentication, authorization)


def test_a_concrete_path_under_its_own_servers_still_shadows_the_templates() -> None:
    """`/orders/export` lives only under `/admin` (path-level `servers`); OpenAPI would give
    `/orders/export` at the root to the public `/orders/{id}`, but a service's router does not read
    `servers` and would run the export: both enforcers refuse it."""
    oauth = {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "https://t", "scopes": {"admin": "a"}}}}
    contract = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "components": {"securitySchemes": {"oauth": oauth}},
        "paths": {
            "/orders/{id}": {"get": {"security": [], "responses": {"200": {"description": "ok"}}}},
            "/orders/export": {
                "servers": [{"url": "https://x.example.com/admin"}],
                "get": {"security": [{"oauth": ["admin"]}], "responses": {"200": {"description": "ok"}}},
            },
        },
    }
    authentication, authorization = _policies(contract)
    policy = _edge_policy(contract)
    admin = Token(ISSUER, (AUDIENCE,), "admin")
    for request, allowed in (
        (Request("GET", "/orders/export"), False),
        (Request("GET", "/orders/7"), True),
        (Request("GET", "/admin/orders/export"), False),
        (Request("GET", "/admin/orders/export", admin), True),
    ):
        assert mesh_allows(request, authentication, authorization) == allowed, request
        assert edge_allows(request, policy) == allowed, request
