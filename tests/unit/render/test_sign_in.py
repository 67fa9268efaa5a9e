"""People's sign-in to the API server with the platform's SSO: the kubectl client the Keycloak
component's tasks make, and the API server's authenticator that trusts it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from dockyard.load.layers import effective
from dockyard.load.repo import load
from dockyard.localcluster import authentication
from dockyard.model.platform import Platform, build_platform
from dockyard.model.settings import Team
from dockyard.render.components import identity
from dockyard.render.task_data import TaskKind
from tests.helpers import copy_example, run_cli


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Platform:
    repo = load(copy_example(tmp_path_factory.mktemp("shop")))
    return build_platform(repo, effective(repo, "prod-eu"))


def with_teams(platform: Platform) -> Platform:
    teams = {
        "shop": Team(editors=("shop-developers", "support"), viewers=("support",)),
        "search": Team(editors=("search-developers",)),
    }
    settings = dataclasses.replace(platform.settings, teams=teams, platform_admins=("platform-admins",))
    return dataclasses.replace(platform, settings=settings)


def test_without_groups_keycloak_gets_only_its_admin(platform: Platform) -> None:
    assert [task.name for task in identity.keycloak_tasks(platform)] == [identity.ADMIN_SECRET]


def test_the_groups_the_layers_name_get_a_public_kubectl_client(platform: Platform) -> None:
    tasks = identity.keycloak_tasks(with_teams(platform))
    assert [(task.kind, task.name) for task in tasks] == [
        (TaskKind.ENSURE_SECRET, identity.ADMIN_SECRET),
        (TaskKind.KEYCLOAK_CLIENT, "kubernetes"),
    ]
    assert tasks[1].data == {
        "realm": "shop",
        "clientId": "kubernetes",
        "title": "Kubernetes API (kubectl)",
        "public": True,
        "redirectUris": ["http://localhost:8000", "http://localhost:18000"],
        "groups": ["platform-admins", "search-developers", "shop-developers", "support"],
    }


def test_the_api_server_takes_name_and_groups_from_the_token_and_never_a_system_one() -> None:
    authenticator = identity.api_server_authenticator("https://sso.example.org/realms/shop", "PEM")
    assert authenticator["issuer"] == {
        "url": "https://sso.example.org/realms/shop",
        "audiences": ["kubernetes"],
        "certificateAuthority": "PEM",
    }
    assert authenticator["claimMappings"] == {
        "username": {"claim": "preferred_username", "prefix": "sso:"},
        "groups": {"expression": identity.TOP_LEVEL_GROUPS},  # the real API server runs it: test_tenancy.py
    }
    rules = [rule["expression"] for rule in authenticator["userValidationRules"]]
    assert rules == ["!user.username.startsWith('system:')", "user.groups.all(group, !group.startsWith('system:'))"]


def test_the_local_api_server_starts_trusting_no_issuer_and_keeps_what_it_was_told(tmp_path: Path) -> None:
    path = tmp_path / "authentication.yaml"
    authentication.ensure(path)
    assert authentication.trusted(path) == []
    issuer = identity.api_server_authenticator("https://127.0.0.1:8443/realms/shop")
    authentication.trust(path, [issuer])
    authentication.ensure(path)  # a restart keeps it
    assert authentication.trusted(path) == [issuer]


def test_authentication_prints_the_configuration_for_a_cluster_with_sso(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import yaml

    repo = copy_example(tmp_path / "shop")
    result = run_cli(capsys, "authentication", "-c", "prod-eu", str(repo))
    assert result.code == 0, result.err
    expected = authentication.configuration(
        [identity.api_server_authenticator("https://sso.eu.shop.example.com/realms/shop")]
    )
    assert yaml.safe_load(result.out) == expected
    assert result.err == (
        "warning: no layer of cluster prod-eu names a group (`teams.<name>.editors`, `viewers`, `platformAdmins`): "
        "people can sign in, but no RoleBinding grants them anything\n"
    )
    refused = run_cli(capsys, "authentication", "-c", "local", str(repo))
    assert (refused.code, refused.out) == (2, "")
    assert refused.err == (
        "error: cluster local does not install Keycloak (profile dev-fast): there is no sign-in to trust; use a "
        "profile with `sso`, or switch the component `keycloak` on\n"
    )


@pytest.mark.parametrize(
    ("kubernetes", "version"),
    [
        ("1.36", "apiserver.config.k8s.io/v1"),
        ("1.34", "apiserver.config.k8s.io/v1"),
        ("1.33", "apiserver.config.k8s.io/v1beta1"),
        ("1.30", "apiserver.config.k8s.io/v1beta1"),
        ("1.29", None),
    ],
)
def test_the_configuration_is_of_the_version_the_clusters_api_server_reads(
    kubernetes: str, version: str | None
) -> None:
    assert authentication.api_version(kubernetes) == version


def test_an_older_cluster_is_told_to_use_the_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.helpers import replace

    repo = copy_example(tmp_path / "shop")
    replace(repo, "clusters/prod-eu.yaml", 'version: "1.35"', 'version: "1.29"')
    result = run_cli(capsys, "authentication", "-c", "prod-eu", str(repo))
    assert result.code == 2
    assert "cluster prod-eu runs Kubernetes 1.29; an AuthenticationConfiguration with these claims needs 1.30" in (
        result.err
    )
