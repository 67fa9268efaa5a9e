"""What the platform could not enforce exactly is refused when the contract is read, at its line:
never a policy looser than the contract, never one the mesh refuses at apply time."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import copy_example, replace, run_cli, write

CONTRACT = "services/orders/openapi.yaml"
ID_PARAMETER = "      - {name: id, in: path, required: true, schema: {type: string}}\n"


def _scheme(name: str, body: str) -> str:
    return f"    {name}:\n{body}"


CASES = {
    "an API key": (
        lambda r: (
            replace(
                r,
                CONTRACT,
                "  securitySchemes:\n",
                "  securitySchemes:\n" + _scheme("key", "      type: apiKey\n      in: header\n      name: X-Key\n"),
            ),
            replace(
                r,
                CONTRACT,
                '        - platform: [orders:write]\n      responses:\n        "201"',
                '        - key: []\n      responses:\n        "201"',
            ),
        ),
        [
            "services/orders/openapi.yaml:36:16: security scheme `key` (apiKey) is not one the platform can check: "
            "it enforces OAuth 2 and OpenID Connect tokens (JWTs from the platform's Keycloak) and their scopes",
            "  hint: require an OAuth 2 scheme here, or set `auth.jwt: false` in its dockyard.yaml and check "
            "credentials in the service itself",
        ],
    ),
    "HTTP Basic": (
        lambda r: (
            replace(
                r,
                CONTRACT,
                "  securitySchemes:\n",
                "  securitySchemes:\n" + _scheme("basic", "      type: http\n      scheme: basic\n"),
            ),
            replace(r, CONTRACT, "security:\n  - platform: [orders:read]\n", "security:\n  - basic: []\n"),
        ),
        [
            "services/orders/openapi.yaml:19:12: security scheme `basic` (http basic) is not one the platform can "
            "check: it enforces OAuth 2 and OpenID Connect tokens (JWTs from the platform's Keycloak) and their scopes",
            "  hint: require an OAuth 2 scheme here, or set `auth.jwt: false` in its dockyard.yaml and check "
            "credentials in the service itself",
        ],
    ),
    "mutual TLS": (
        lambda r: (
            replace(r, CONTRACT, "openapi: 3.0.3\n", "openapi: 3.1.0\n"),
            replace(
                r,
                CONTRACT,
                "  securitySchemes:\n",
                "  securitySchemes:\n" + _scheme("client-cert", "      type: mutualTLS\n"),
            ),
            replace(r, CONTRACT, "security:\n  - platform: [orders:read]\n", "security:\n  - client-cert: []\n"),
        ),
        [
            "services/orders/openapi.yaml:18:18: security scheme `client-cert` (mutualTLS) is not one the platform can "
            "check: it enforces OAuth 2 and OpenID Connect tokens (JWTs from the platform's Keycloak) and their scopes",
            "  hint: require an OAuth 2 scheme here, or set `auth.jwt: false` in its dockyard.yaml and check "
            "credentials in the service itself",
        ],
    ),
    "a scope with a wildcard": (
        lambda r: (
            replace(
                r,
                CONTRACT,
                "            orders:write: Create and cancel orders\n",
                '            orders:write: Create and cancel orders\n            "orders:*": Everything\n',
            ),
        ),
        [
            "services/orders/openapi.yaml:15:13: scope `orders:*` has characters an OAuth scope cannot have, or "
            "`*`, which the mesh would read as a wildcard",
            "  hint: use letters, digits and punctuation such as `:` `.` `-` `/` (no spaces, quotes, backslashes "
            "or `*`)",
        ],
    ),
    "a scope longer than the enforcers accept": (
        lambda r: (
            replace(
                r,
                CONTRACT,
                "            orders:write: Create and cancel orders\n",
                "            orders:write: Create and cancel orders\n            " + "o" * 254 + ": Long\n",
            ),
        ),
        [
            "services/orders/openapi.yaml:15:13: scope `" + "o" * 40 + "…` is 254 characters long; Envoy Gateway "
            "accepts scopes of at most 253 (and Keycloak names of at most 255)",
            "  hint: give it a shorter name",
        ],
    ),
    "a scope Keycloak gives everyone": (
        lambda r: (
            replace(
                r,
                CONTRACT,
                "            orders:write: Create and cancel orders\n",
                "            orders:write: Create and cancel orders\n            email: The caller's email\n",
            ),
        ),
        [
            "services/orders/openapi.yaml:15:13: scope `email` is one of Keycloak's own client scopes, which callers "
            "get without asking",
            "  hint: give the API's scope a name of its own (for example `orders:read`)",
        ],
    ),
    "a scope no flow declares": (
        lambda r: replace(
            r,
            CONTRACT,
            '        - platform: [orders:write]\n      responses:\n        "201"',
            '        - platform: [orders:create]\n      responses:\n        "201"',
        ),
        [
            "services/orders/openapi.yaml:32:22: scope `orders:create` is not declared in any flow of security "
            "scheme `platform`, so no client could ever be granted it",
            "  hint: declare it under components.securitySchemes.platform.flows.<flow>.scopes",
        ],
    ),
    "a parameter sharing its segment": (
        lambda r: replace(r, CONTRACT, "  /orders/{id}:\n", "  /orders/{id}:cancel:\n"),
        [
            "services/orders/openapi.yaml:35:3: path `/orders/{id}:cancel`: segment `{id}:cancel` mixes a parameter "
            "with text; the mesh matches parameters as whole segments only, so this operation cannot be enforced "
            "exactly",
            "  hint: give the parameter a segment of its own (e.g. /tasks/{name}/run), or set "
            "`auth.jwt: false` in its dockyard.yaml and check credentials in the service",
        ],
    ),
    "a parameter spanning segments": (
        lambda r: replace(
            r,
            CONTRACT,
            "  /orders/{id}:\n    parameters:\n" + ID_PARAMETER,
            "  /orders/{+id}:\n    parameters:\n" + ID_PARAMETER.replace("id,", "'+id',"),
        ),
        [
            "services/orders/openapi.yaml:35:3: path `/orders/{+id}`: `{+id}` is a URI template expansion whose "
            "value may span segments (RFC 6570); an OpenAPI path parameter is one segment, and a value's %2F is "
            "decoded into segments before any check, so this operation cannot be enforced exactly",
            "  hint: write the segments out (e.g. /v2/projects/{project}/tasks), or set `auth.jwt: false` in its "
            "dockyard.yaml and check credentials in the service",
        ],
    ),
    "a literal star in a path": (
        lambda r: replace(r, CONTRACT, "  /healthz:\n", "  /health/*:\n"),
        [
            "services/orders/openapi.yaml:18:3: path `/health/*`: segment `*` has characters the mesh would not "
            "match literally (`*` is a wildcard to it; empty segments are merged)",
            "  hint: use letters, digits and - . _ ~ ! $ & ' ( ) + , ; : @ = in path segments",
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_what_cannot_be_enforced_exactly_is_refused(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit, expected = CASES[case]
    repo = copy_example(tmp_path)
    edit(repo)
    result = run_cli(capsys, "validate", str(repo))
    assert (result.code, result.err.splitlines()[:-1]) == (1, expected)
    assert "Traceback" not in result.err


def test_a_service_that_checks_tokens_itself_may_use_any_scheme(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_example(tmp_path)
    CASES["an API key"][0](repo)
    replace(
        repo, "services/orders/dockyard.yaml", "kind: ServiceSettings\n", "kind: ServiceSettings\nauth: {jwt: false}\n"
    )
    assert run_cli(capsys, "validate", str(repo)).code == 0


def test_base_paths_and_referenced_path_items_reach_the_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import yaml

    repo = copy_example(tmp_path)
    replace(repo, CONTRACT, "security:\n", "servers:\n  - url: https://api.shop.example.com/v1\nsecurity:\n")
    replace(
        repo, CONTRACT, "  /healthz:\n    get:\n", "  /healthz:\n    $ref: 'health.yaml#/item'\n  /unused:\n    get:\n"
    )
    write(
        repo,
        "services/orders/health.yaml",
        "item:\n  get:\n    security: []\n    responses: {'200': {description: ok}}\n",
    )
    replace(repo, "environments/dev.yaml", "profile: dev-fast", "profile: complete")
    result = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "services")
    assert result.code == 0, result.err
    policy = next(
        o
        for o in yaml.safe_load_all(result.out)
        if o["kind"] == "AuthorizationPolicy" and o["metadata"]["name"] == "orders"
    )
    paths = sorted({p for rule in policy["spec"]["rules"] for to in rule["to"] for p in to["operation"]["paths"]})
    assert paths == ["/v1/healthz", "/v1/orders", "/v1/orders/{*}", "/v1/unused"]


def test_a_problem_in_a_large_contract_is_reported_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Real APIs' contracts run to megabytes: positions are found with the contract's own limits,
    not the 1 MiB of a platform file (every problem was at line 1 column 1)."""
    repo = copy_example(tmp_path)
    CASES["a parameter sharing its segment"][0](repo)
    contract = repo / CONTRACT
    contract.write_text(contract.read_text() + "x-notes: " + "n" * (2 << 20) + "\n")
    result = run_cli(capsys, "validate", str(repo))
    assert result.code == 1
    assert result.err.splitlines()[0].startswith("services/orders/openapi.yaml:35:3: path `/orders/{id}:cancel`")


def test_a_scope_two_apis_declare_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Keycloak's scopes belong to the realm: a second API declaring `orders:read` would accept
    every token granted it for the first."""
    repo = copy_example(tmp_path)
    contract = (repo / CONTRACT).read_text().replace("title: Orders", "title: Storefront")
    write(repo, "services/web/openapi.yaml", contract)
    replace(
        repo,
        "services/web/score.yaml",
        "  orders:\n    type: service\n",
        "  orders:\n    type: service\n  api:\n    type: api\n",
    )
    replace(
        repo, "services/web/dockyard.yaml", "kind: ServiceSettings\n", "kind: ServiceSettings\ncontract: openapi.yaml\n"
    )
    result = run_cli(capsys, "render", str(repo), "-c", "prod-eu", "--only", "services")
    assert result.code == 1
    assert result.err.splitlines()[:2] == [
        "services/web/score.yaml:44:3: scope `orders:read` is declared by the APIs of both `orders` and `web`; "
        "scopes belong to the whole realm, so a token with it would pass both",
        "  hint: give each API's scopes names of its own (for example `web:read`)",
    ]
