"""Score's shared resources: resources of the same type, class and `id` are one, used by every
service that declares it (a queue two services share is one Redis both reach, not one each)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import copy_example, replace, run_cli


def _share_the_queue(repo: Path) -> None:
    replace(
        repo, "services/worker/score.yaml", "  queue:\n    type: redis\n", "  queue:\n    type: redis\n    id: jobs\n"
    )
    replace(
        repo,
        "services/payments/score.yaml",
        "\nresources:\n",
        "\nresources:\n  jobs:\n    type: redis\n    id: jobs\n",
    )
    replace(
        repo,
        "services/payments/score.yaml",
        "      PROVIDER_API_KEY: ${resources.provider.apiKey}\n",
        "      PROVIDER_API_KEY: ${resources.provider.apiKey}\n      JOBS_HOST: ${resources.jobs.host}\n",
    )


def _objects(capsys: pytest.CaptureFixture[str], repo: Path) -> dict[tuple[str, str], dict[str, Any]]:
    result = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "services")
    assert result.code == 0, result.err
    return {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(result.out)}


def _env(deployment: dict[str, Any], name: str) -> str:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return next(e["value"] for e in container["env"] if e["name"] == name)


def test_two_services_sharing_a_redis_get_one_that_admits_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_example(tmp_path)
    _share_the_queue(repo)
    objects = _objects(capsys, repo)
    redis = [
        name
        for kind, name in objects
        if kind == "Deployment"
        and objects[(kind, name)]["spec"]["template"]["spec"]["containers"][0]["name"] == "redis"
    ]
    assert redis == ["jobs"]
    admitted = [
        peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
        for peer in objects[("NetworkPolicy", "jobs-redis")]["spec"]["ingress"][0]["from"]
    ]
    assert admitted == ["payments", "worker"]
    assert _env(objects[("Deployment", "payments")], "JOBS_HOST") == "jobs.shop.svc.cluster.local"
    assert _env(objects[("Deployment", "worker")], "REDIS_HOST") == "jobs.shop.svc.cluster.local"
    checked = run_cli(capsys, "check", str(repo), "-c", "local")
    wired = [line for line in checked.out.splitlines() if "[wiring-" in line and "keycloak-http" not in line]
    assert wired == [], checked.out  # both services' policies let them reach it


def test_a_shared_resource_must_be_one_resource(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_example(tmp_path)
    _share_the_queue(repo)
    replace(repo, "services/payments/score.yaml", "    id: jobs\n", "    id: jobs\n    params:\n      memory: 1Gi\n")
    replace(
        repo, "services/web/score.yaml", "  orders:\n    type: service\n", "  orders:\n    type: service\n    id: x\n"
    )
    result = run_cli(capsys, "validate", str(repo))
    assert result.code == 1
    assert result.err.splitlines()[:4] == [
        "services/web/score.yaml:44:9: a `service` resource cannot be shared (`id: x`): each service has its own",
        "  hint: built-in types that can be shared: postgres, redis, secret, volume",
        "services/worker/score.yaml:35:9: shared resource `redis.default#jobs` has params different from "
        "`payments`'s (services/payments/score.yaml:36:3): it is one resource",
        "  hint: give every service that shares it the same params",
    ]


MANAGED_REDIS = """apiVersion: dockyard.dev/v1alpha1
kind: Provisioner
description: The managed Redis of the platform's cloud, for resources of class `managed`
outputs:
  host: redis.managed.example.com
  port: "6380"
"""


def test_a_class_picks_the_platforms_provisioner_for_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_example(tmp_path)
    (repo / "provisioners" / "redis.managed.yaml").write_text(MANAGED_REDIS)
    replace(
        repo,
        "services/worker/score.yaml",
        "  queue:\n    type: redis\n",
        "  queue:\n    type: redis\n    class: managed\n",
    )
    objects = _objects(capsys, repo)
    assert _env(objects[("Deployment", "worker")], "REDIS_HOST") == "redis.managed.example.com"
    assert ("Deployment", "worker-queue") not in objects  # no in-cluster Redis for it
    replace(repo, "services/worker/score.yaml", "    class: managed\n", "    class: huge\n")
    result = run_cli(capsys, "validate", str(repo))
    assert (result.code, result.err.splitlines()[:2]) == (
        1,
        [
            "services/worker/score.yaml:35:12: no provisioner for a `redis` resource of class `huge`",
            "  hint: add provisioners/redis.huge.yaml, or leave out the class for the platform's `redis`",
        ],
    )
