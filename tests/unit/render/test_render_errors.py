"""Render errors name the file and line, exit 1, and write nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import copy_example, replace, run_cli


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ("services/payments/score.yaml", "${resources.orders.url}", "${resources.orders.uri}"),
            "services/payments/score.yaml:10:19: `${resources.orders.uri}`: resource `orders` has no output `uri` "
            "(outputs: clientId, clientSecret, host, name, port, tokenUrl, url)",
        ),
        (
            ("services/web/nginx.conf", "${resources.orders.url}", "${ORDERS_URL}"),
            "services/web/score.yaml:13:9: `${ORDERS_URL}` is not a placeholder Dockyard knows; use "
            "${metadata.<key>} or ${resources.<id>.<output>}, and $$ for a literal $",
        ),
        (
            ("services/web/nginx.conf", "${resources.orders.url}", "${resources.orders.url}$${literal}"),
            None,
        ),
        (
            ("services/web/score.yaml", "      path: /\n", "      path: home\n"),
            "services/web/score.yaml:36:3: resource `public`: params.path must start with /",
        ),
        (
            ("services/payments/score.yaml", "      keys: [apiKey]", "      keys: []"),
            "services/payments/score.yaml:39:3: resource `provider`: params.keys must list the Secret's keys",
        ),
        (
            ("services/web/score.yaml", "        memory: 64Mi\n      limits:", "        memory: 512Mi\n      limits:"),
            "services/web/score.yaml:19:17: requests.memory 512Mi is more than the container's limits.memory 128Mi: "
            "lower the request or raise the limit (`dockyard explain services.web.resources` shows the defaults "
            "and where they are set)",
        ),
        (
            (
                "services/web/score.yaml",
                "        memory: 64Mi\n      limits:\n        memory: 128Mi\n",
                "        memory: 512Mi\n",
            ),
            "services/web/score.yaml:19:17: requests.memory 512Mi is more than the service's default limits.memory "
            "128Mi: lower the request or raise the limit (`dockyard explain services.web.resources` shows the "
            "defaults and where they are set)",
        ),
        (
            ("services/web/score.yaml", "  name: web\n", "  name: web\n  annotations:\n    bad key: x\n"),
            "services/web/score.yaml:7:5: `bad key` is not a Kubernetes annotation key: [prefix/]name, the name at "
            "most 63 characters",
        ),
        (
            ("services/web/score.yaml", "  name: web\n", "  name: web\n  annotations:\n    dockyard.dev/owner: x\n"),
            "services/web/score.yaml:7:5: `dockyard.dev/owner`: the prefix dockyard.dev/ is Dockyard's own",
        ),
        (  # types as YAML names them (it said "must be a list or NoneType")
            (
                "services/web/score.yaml",
                "  orders:\n    type: service\n",
                "  orders:\n    type: service\n    params: {scopes: orders:read}\n",
            ),
            "services/web/score.yaml:42:3: resource `orders`: params.scopes must be a list, not a string",
        ),
        (
            ("services/orders/openapi.yaml", '        "200": {description: The orders}', '        "200": 42'),
            "services/orders/openapi.yaml:28:16: invalid OpenAPI contract: `paths./orders.get.responses.200`: "
            "42 is not valid under any of the schemas listed in the 'oneOf' keyword",
        ),
    ],
)
@pytest.mark.tools
def test_render_problems(
    edit: tuple[str, str, str], expected: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_example(tmp_path)
    replace(repo, *edit)
    out = tmp_path / "out"
    result = run_cli(capsys, "render", str(repo), "--cluster", "local", "--output", str(out))
    if expected is None:
        assert result.code == 0, result.err
        return
    assert result.err.splitlines()[0] == expected
    assert result.code == 1
    assert not out.exists()


def test_validate_reports_render_problems_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_example(tmp_path)
    replace(repo, "services/payments/score.yaml", "${resources.orders.url}", "${resources.orders.uri}")
    result = run_cli(capsys, "validate", str(repo))
    assert result.code == 1
    assert "resource `orders` has no output `uri`" in result.err


def test_a_limit_alone_is_also_the_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Kubernetes' rule: a container that sets a limit and no request asks for its limit, never
    for the service's default request, which may be above it (an invalid pod before)."""
    import yaml

    repo = copy_example(tmp_path)
    replace(
        repo,
        "services/web/score.yaml",
        "        memory: 64Mi\n      limits:\n        memory: 128Mi\n",
        "      limits:\n        memory: 100Mi\n",
    )
    replace(
        repo,
        "environments/dev.yaml",
        "profile: dev-fast\n",
        "profile: dev-fast\nserviceDefaults:\n  resources:\n"
        "    requests:\n      memory: 256Mi\n    limits:\n      memory: 512Mi\n",
    )
    result = run_cli(capsys, "render", str(repo), "--cluster", "local", "--only", "services")
    assert result.code == 0, result.err
    (web,) = [
        d for d in yaml.safe_load_all(result.out) if d and d["kind"] == "Deployment" and d["metadata"]["name"] == "web"
    ]
    assert web["spec"]["template"]["spec"]["containers"][0]["resources"] == {
        "requests": {"cpu": "50m", "memory": "100Mi"},
        "limits": {"memory": "100Mi"},
    }


def _web_with(repo: Path, host: str, extra: str) -> None:
    replace(repo, "services/web/score.yaml", "      host: www\n", f"      host: {host}\n")
    replace(repo, "services/web/score.yaml", "  orders:\n    type: service\n", "  orders:\n    type: service\n" + extra)


def test_placeholders_in_resource_params(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Score lists resource params as a placeholder location: a route's host from a dns resource's
    output (the dns resource is provisioned first), or from the workload's metadata; a cycle, a
    secret output or something that is not a host name is an error at its line."""
    import yaml

    def routes(repo: Path) -> dict[str, list[str]]:
        result = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "services")
        assert result.code == 0, result.err
        found = [d for d in yaml.safe_load_all(result.out) if d and d["kind"] == "HTTPRoute"]
        return {d["metadata"]["name"]: d["spec"]["hostnames"] for d in found}

    repo = copy_example(tmp_path / "dns")
    _web_with(repo, "${resources.dns.host}", "  dns:\n    type: dns\n    params: {host: shop-web}\n")
    assert routes(repo)["web-public"] == ["shop-web.shop.localtest.me"]
    repo = copy_example(tmp_path / "metadata")
    _web_with(repo, "${metadata.name}-front", "")
    assert routes(repo)["web-public"] == ["web-front.shop.localtest.me"]

    for name, host, extra, message in (
        (
            "cycle",
            "${resources.dns.host}",
            '  dns:\n    type: dns\n    params: {host: "${resources.public.host}"}\n',
            "services/web/score.yaml:36:3: resources name each other's outputs in a cycle: dns -> public -> dns",
        ),
        (
            "secret",
            "${resources.key.token}",
            "  key:\n    type: secret\n    params: {keys: [token]}\n",
            "services/web/score.yaml:39:7: a resource param cannot hold a secret output; pass it as a container "
            "variable instead",
        ),
        (
            "url",
            "${resources.orders.url}",
            "",
            "services/web/score.yaml:36:3: resource `public`: params.host `http://orders.shop.svc.cluster.local:80` "
            "is not a DNS host name",
        ),
        (  # the service was left out of the render without a word before (found by the console's corpus)
            "no such resource",
            "${resources.db.host}",
            "",
            "services/web/score.yaml:39:7: `${resources.db.host}`: no resource `db` in this workload (resources: "
            "orders)",
        ),
    ):
        repo = copy_example(tmp_path / name)
        _web_with(repo, host, extra)
        result = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "services")
        assert (result.code, result.err.splitlines()[0]) == (1, message)


def test_a_placeholder_names_a_key_with_a_dot_by_escaping_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Score: `\\.` in a placeholder is a dot of the key, not a step into it."""
    import yaml

    repo = copy_example(tmp_path)
    replace(
        repo, "services/web/score.yaml", "  name: web\n", "  name: web\n  annotations:\n    example.org/team: shop\n"
    )
    replace(
        repo,
        "services/web/score.yaml",
        "      PUBLIC_HOST: ${resources.public.host}\n",
        "      PUBLIC_HOST: ${resources.public.host}\n      TEAM: ${metadata.annotations.example\\.org/team}\n",
    )
    result = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "services")
    assert result.code == 0, result.err
    (web,) = [
        d for d in yaml.safe_load_all(result.out) if d and d["kind"] == "Deployment" and d["metadata"]["name"] == "web"
    ]
    assert {"name": "TEAM", "value": "shop"} in web["spec"]["template"]["spec"]["containers"][0]["env"]


def test_every_placeholder_problem_of_a_service_is_reported_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_example(tmp_path)
    replace(repo, "services/web/score.yaml", "${resources.orders.url}", "${resources.orders.uri}")
    replace(repo, "services/web/score.yaml", "${resources.public.host}", "${resources.public.hots}")
    result = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "services")
    assert result.code == 1
    assert [line.split(": ", 1)[0] for line in result.err.splitlines() if not line.startswith(("  ", "2 "))] == [
        "services/web/score.yaml:10:19",
        "services/web/score.yaml:11:20",
    ]
    assert result.err.splitlines()[-1] == "2 problems found; nothing was changed"
