"""The sync controller as a platform component: on when `sync.controller` is set, its image the
version pinned, its access derived from everything the render holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dockyard.render.components.controller import APPLY_VERBS, NAME, NAMESPACE
from tests.helpers import copy_example, replace, run_cli

SETTINGS = """sync:
  controller:
    source: https://git.example.org/shop/platform.git
    image: registry.example.org/dockyard/dockyard
    version: 0.2.0
    credentials: platform-git
    decryption: platform-age
"""


def _repo(tmp_path: Path, extra: str = "") -> Path:
    repo = copy_example(tmp_path)
    with (repo / "platform.yaml").open("a") as platform:
        platform.write(SETTINGS + extra)
    return repo


def _render(repo: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    result = run_cli(capsys, "render", str(repo), "-c", "local")
    assert result.code == 0, result.err
    return [o for o in yaml.safe_load_all(result.out) if o]


def _granted(role: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    granted: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                granted.setdefault((group, resource), set()).update(rule["verbs"])
    return granted


@pytest.mark.tools
def test_the_controller_may_apply_prune_and_watch_every_kind_it_renders_and_nothing_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    objects = _render(_repo(tmp_path), capsys)
    role = next(o for o in objects if o["kind"] == "ClusterRole" and o["metadata"]["name"] == NAME)
    granted = _granted(role)
    plurals = {
        (c["spec"]["group"], c["spec"]["names"]["kind"]): c["spec"]["names"]["plural"]
        for c in objects
        if c["kind"] == "CustomResourceDefinition"
    }
    builtin = {"Deployment": "deployments", "Service": "services", "ConfigMap": "configmaps", "Namespace": "namespaces"}
    for manifest in objects:
        group = manifest["apiVersion"].rpartition("/")[0]
        resource = plurals.get((group, manifest["kind"])) or builtin.get(manifest["kind"])
        if resource is not None:
            assert set(APPLY_VERBS) <= granted[(group, resource)], (group, resource)
    kinds = {(o["apiVersion"].rpartition("/")[0], o["kind"]) for o in objects}
    assert ("", "Pod") not in kinds and ("", "pods") not in granted  # no Pod is rendered: none may be touched
    assert granted[("", "secrets")] == {"get", "create", "patch"}  # the lifecycle tasks' Secrets: no list, no delete
    assert granted[("dockyard.dev", "platforms/status")] == {"get", "patch", "update"}
    assert all("*" not in rule["resources"] and "*" not in rule["verbs"] for rule in role["rules"])
    deployment = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == NAME)
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == "registry.example.org/dockyard/dockyard:0.2.0"  # the pinned release, exactly
    assert container["args"][:5] == ["sync", "run", "https://git.example.org/shop/platform.git", "--cluster", "local"]
    assert {"--leader-elect", "--credentials"} <= set(container["args"])
    assert deployment["spec"]["replicas"] == 2
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    secrets = {v["secret"]["secretName"]: v["secret"] for v in pod["volumes"] if "secret" in v}
    assert set(secrets) == {"dockyard-webhook", "platform-git", "platform-age"}
    assert secrets["platform-age"]["items"] == [{"key": "keys.txt", "path": "keys.txt"}]
    assert {"name": "SOPS_AGE_KEY_FILE", "value": "/var/run/dockyard/age/keys.txt"} in container["env"]
    service = next(o for o in objects if o["kind"] == "Service" and o["metadata"]["namespace"] == NAMESPACE)
    assert service["spec"]["selector"]["dockyard.dev/leader"] == "true"
    assert any(
        o["kind"] == "CustomResourceDefinition" and o["metadata"]["name"] == "platforms.dockyard.dev" for o in objects
    )
    check = run_cli(capsys, "check", str(tmp_path / "shop"), "-c", "local")
    assert check.code == 0, check.out + check.err  # the credentials Secret is people's, named in the layers


@pytest.mark.tools
def test_a_pinned_version_and_digest_name_the_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    digest = "sha256:" + "ab" * 32
    repo = _repo(tmp_path)
    replace(repo, "platform.yaml", "    version: 0.2.0\n", f"    version: 0.2.7\n    digest: {digest}\n")
    objects = _render(repo, capsys)
    deployment = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == NAME)
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == (
        f"registry.example.org/dockyard/dockyard:0.2.7@{digest}"
    )


@pytest.mark.tools
def test_where_digests_are_required_the_controllers_image_needs_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path, "imagePolicy:\n  requireDigest: true\n")
    result = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "platform")
    assert result.code != 0
    line = (repo / "platform.yaml").read_text().splitlines().index(
        "    source: https://git.example.org/shop/platform.git"
    ) + 1
    assert (
        f"platform.yaml:{line}:5: the controller's image is not pinned by digest (this environment requires digests)"
        in result.err
    )


@pytest.mark.tools
def test_a_version_outside_the_repos_range_is_an_error_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path)
    replace(repo, "platform.yaml", "    version: 0.2.0\n", "    version: 0.3.0\n")
    result = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "platform")
    assert result.code != 0
    line = (repo / "platform.yaml").read_text().splitlines().index("    version: 0.3.0") + 1
    assert (
        f"platform.yaml:{line}:14: the controller's version 0.3.0 is outside the Dockyard versions "
        'this repo is written for (">=0.2,<0.3")' in result.err
    )


@pytest.mark.tools
def test_without_sync_controller_there_is_no_controller_and_asking_for_it_says_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_example(tmp_path)
    with (repo / "platform.yaml").open("a") as platform:
        platform.write("components:\n  dockyard-controller:\n    enabled: true\n")
    result = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "platform")
    assert result.code != 0
    assert (
        "component `dockyard-controller` needs `sync.controller` (at least its source, image and version)" in result.err
    )
    assert "hint: set sync.controller.source, .image and .version" in result.err


@pytest.mark.tools
def test_a_token_in_the_source_url_is_refused_at_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _repo(tmp_path)
    replace(repo, "platform.yaml", "https://git.example.org/", "https://bot:ghp_tok42@git.example.org/")
    result = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "platform")
    assert result.code != 0
    line = (repo / "platform.yaml").read_text().splitlines().index(
        "    source: https://bot:ghp_tok42@git.example.org/shop/platform.git"
    ) + 1
    assert f"platform.yaml:{line}:13: the source URL holds a password or token" in result.err
    assert "hint: remove it from the URL and name a Secret with it in sync.controller.credentials" in result.err
    assert "Traceback" not in result.err and "ghp_tok42" not in result.err
