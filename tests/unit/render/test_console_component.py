"""The console in the cluster: on with `console.inCluster`, beside the sync controller (its
release, its source), at console.<domain> behind the gateway, signing people in with the platform's
Keycloak through a client its tasks make."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dockyard.render.components.console import NAME, NAMESPACE
from tests.helpers import copy_example, run_cli
from tests.standin_charts import complete_repo

SETTINGS = """sync:
  controller:
    source: https://git.example.org/shop/platform.git
    image: registry.example.org/dockyard/dockyard
    version: 0.2.0
    credentials: platform-git
console:
  inCluster: true
teams:
  shop:
    editors: [shop-developers]
platformAdmins: [platform-admins]
"""


@pytest.mark.tools
def test_the_console_runs_beside_the_controller_behind_the_gateway_and_the_platforms_sso(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _standins = complete_repo(tmp_path)
    with (repo / "platform.yaml").open("a") as platform:
        platform.write(SETTINGS)
    rendered = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "platform")
    assert rendered.code == 0, rendered.err
    objects = {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(rendered.out) if o}
    deployment = objects[("Deployment", NAME)]
    assert deployment["metadata"]["namespace"] == NAMESPACE == "dockyard-sync"
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.example.org/dockyard/dockyard:0.2.0"  # the controller's release
    args = container["args"]
    assert args[0] == "console" and args[-1] == "--no-plans"
    pairs = dict(zip(args[1:-1:2], args[2:-1:2], strict=True))
    assert pairs["--source"] == "https://git.example.org/shop/platform.git"
    assert pairs["--public-url"] == "https://console.shop.localtest.me"
    assert pairs["--oidc-issuer"] == "https://sso.shop.localtest.me/realms/shop"
    assert pairs["--oidc-client-secret-file"] == "/var/run/dockyard/console/client-secret"
    assert pairs["--credentials"] == "/var/run/dockyard/git"
    assert deployment["spec"]["strategy"] == {"type": "Recreate"} and deployment["spec"]["replicas"] == 1
    route = objects[("HTTPRoute", "console")]
    assert route["spec"]["hostnames"] == ["console.shop.localtest.me"]
    assert "--no-plans" in args  # it reads; dry runs need the rights applying needs
    assert ("ClusterRoleBinding", f"{NAME}-plan") not in objects
    status = objects[("ClusterRole", f"{NAME}-status")]["rules"]
    assert status[1] == {
        "apiGroups": [""],
        "resources": ["configmaps"],
        "verbs": ["get"],
        "resourceNames": ["shop-local"],
    }
    services = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "services")
    assert services.code == 0, services.err
    bindings = {
        o["metadata"]["name"]: o
        for o in yaml.safe_load_all(services.out)
        if o and o["kind"] == "RoleBinding" and o["metadata"]["namespace"] == "shop"
    }
    assert bindings[f"{NAME}-view"]["roleRef"]["name"] == "view"  # no Secrets
    assert bindings[f"{NAME}-jobs"]["roleRef"]["name"] == "dockyard-console-jobs"
    assert bindings[f"{NAME}-jobs"]["subjects"] == [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}]

    from dockyard.actions import chart_store
    from dockyard.render.platform import render_platform
    from tests.charts import platform_of

    tasks = render_platform(platform_of(repo), chart_store()).tasks
    client = next(t for t in tasks if t.kind == "keycloak-client" and t.name == "dockyard-console")
    assert client.data["redirectUris"] == ["https://console.shop.localtest.me/auth/callback"]
    assert client.data["groups"] == ["platform-admins", "shop-developers"]
    assert client.data["secretFrom"] == {
        "namespace": "dockyard-sync",
        "name": "dockyard-console",
        "key": "client-secret",
    }
    prune = next(t for t in tasks if t.kind == "keycloak-prune")
    assert "dockyard-console" in prune.data["clients"]  # the realm keeps it
    checked = run_cli(capsys, "check", str(repo), "-c", "local")
    assert checked.code == 0, checked.out + checked.err


@pytest.mark.tools
def test_the_console_in_the_cluster_says_what_it_needs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_example(tmp_path)
    with (repo / "platform.yaml").open("a") as platform:
        platform.write("console:\n  inCluster: true\n")
    result = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "platform")
    lines: list[Any] = result.err.splitlines()
    assert result.code == 1, result.err
    assert lines[0].endswith(
        ": the console in the cluster needs the sync controller (`sync.controller`: its release and source) and "
        "Keycloak (the `sso` feature, or the component `keycloak`)"
    ), lines
    assert lines[0].startswith("platform.yaml:")


@pytest.mark.tools
def test_in_the_cluster_a_change_on_a_branch_must_be_pushed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo, _standins = complete_repo(tmp_path)
    with (repo / "platform.yaml").open("a") as platform:
        platform.write(SETTINGS.replace("  inCluster: true\n", "  inCluster: true\n  changes: branch\n"))
    result = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "platform")
    assert result.code == 1
    assert "in the cluster, each change's branch must be pushed (the clone is lost when its pod goes): the " in (
        result.err
    )
    assert "hint: set console.remote: origin" in result.err


@pytest.mark.tools
def test_in_the_cluster_the_forges_token_comes_from_a_secret_of_the_platform_team(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _standins = complete_repo(tmp_path)
    review = (
        "  changes: branch\n  remote: origin\n  review:\n    forge: gitea\n    api: https://git.example.org/api/v1\n"
    )
    review += "    repository: shop/platform\n    tokenEnv: DOCKYARD_FORGE_SHOP\n"
    with (repo / "platform.yaml").open("a") as platform:
        platform.write(SETTINGS.replace("  inCluster: true\n", "  inCluster: true\n" + review))
    rendered = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "platform")
    assert rendered.code == 0, rendered.err
    objects = {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(rendered.out) if o}
    container = objects[("Deployment", NAME)]["spec"]["template"]["spec"]["containers"][0]
    token = next(e for e in container["env"] if e["name"] == "DOCKYARD_FORGE_SHOP")
    assert token == {
        "name": "DOCKYARD_FORGE_SHOP",
        "valueFrom": {"secretKeyRef": {"name": "dockyard-console-forge", "key": "token"}},
    }
    checked = run_cli(capsys, "check", str(repo), "-c", "local")  # until the platform team makes the Secret
    assert checked.code == 1
    assert (
        "Deployment.apps dockyard-sync/dockyard-console: spec.template.spec.containers[0].env[1]: reads Secret "
        "dockyard-sync/dockyard-console-forge, which nothing on this cluster creates"
    ) in checked.out + checked.err


def test_a_forge_review_needs_changes_pushed_on_a_branch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_example(tmp_path)
    with (repo / "platform.yaml").open("a") as platform:
        platform.write(
            "console:\n  review:\n    forge: github\n    api: https://api.github.com\n    repository: acme/shop\n"
        )
    result = run_cli(capsys, "validate", str(repo))
    assert result.code == 1
    first = result.err.splitlines()[0]
    assert first.endswith(
        ": console.review opens a pull request for each change's branch, but changes are not pushed on a branch of "
        "their own here"
    ), result.err
    assert first.startswith("platform.yaml:")
    assert "hint: set `changes: branch` and `remote: origin` under console, or remove console.review" in result.err
