"""Score's `containers.*.before`: init containers and native sidecars, and what cannot be started so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import copy_example, run_cli, write

PROXY_PROBE = "    readinessProbe:\n      httpGet: {path: /ready, port: 15021}\n"


def _batch(repo: Path, containers: str) -> None:
    write(
        repo,
        "services/batch/score.yaml",
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: batch\nservice:\n  ports:\n    http: {port: 8080}\n"
        "containers:\n" + containers,
    )


def _pod(capsys: pytest.CaptureFixture[str], repo: Path) -> dict[str, Any]:
    result = run_cli(capsys, "render", str(repo), "--cluster", "local", "--only", "services")
    assert result.code == 0, result.err
    (batch,) = [
        d
        for d in yaml.safe_load_all(result.out)
        if d and d["kind"] == "Deployment" and d["metadata"]["name"] == "batch"
    ]
    pod: dict[str, Any] = batch["spec"]["template"]["spec"]
    return pod


def test_containers_before_others_are_init_containers_in_their_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_example(tmp_path)
    _batch(
        repo,
        "  app:\n    image: app:1\n"
        "  migrate:\n    image: app:1\n    command: [/app/migrate]\n    before:\n      app: {ready: complete}\n"
        "  schema:\n    image: app:1\n    before:\n      migrate: {ready: complete}\n      app: {ready: complete}\n"
        "  proxy:\n    image: proxy:1\n    before:\n      app: {ready: healthy}\n" + PROXY_PROBE + "  logs:\n"
        "    image: logs:1\n    before:\n      app: {ready: started}\n",
    )
    pod = _pod(capsys, repo)
    assert [c["name"] for c in pod["containers"]] == ["app"]
    assert pod["containers"][0]["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    init = {c["name"]: c for c in pod["initContainers"]}
    assert [c["name"] for c in pod["initContainers"]] == ["logs", "proxy", "schema", "migrate"]
    assert "restartPolicy" not in init["migrate"] and "restartPolicy" not in init["schema"]
    assert init["logs"]["restartPolicy"] == "Always" and "startupProbe" not in init["logs"]
    assert init["proxy"]["restartPolicy"] == "Always"
    assert init["proxy"]["startupProbe"] == {
        "httpGet": {"path": "/ready", "port": 15021},
        "periodSeconds": 2,
        "failureThreshold": 150,
    }
    assert init["migrate"]["command"] == ["/app/migrate"]
    assert init["migrate"]["securityContext"] == pod["containers"][0]["securityContext"]


@pytest.mark.parametrize(
    ("containers", "expected"),
    [
        (
            "  app:\n    image: a\n  one:\n    image: a\n    before:\n      ap: {ready: complete}\n",
            "services/batch/score.yaml:13:7: `ap` is not a container of this workload\n  hint: did you mean `app`?",
        ),
        (
            "  app:\n    image: a\n  one:\n    image: a\n    before:\n      one: {ready: complete}\n",
            "services/batch/score.yaml:13:7: container `one` cannot start before itself",
        ),
        (
            "  app:\n    image: a\n  one:\n    image: a\n    before:\n      app: {ready: complete}\n"
            "  two:\n    image: a\n    before:\n      app: {ready: started}\n      one: {ready: complete}\n",
            "services/batch/score.yaml:17:7: container `two` is started one way, but its `before` asks for complete "
            "and started\n  hint: give every entry of its `before` the same `ready`",
        ),
        (
            "  app:\n    image: a\n  one:\n    image: a\n    before:\n      app: {ready: complete}\n" + PROXY_PROBE,
            "services/batch/score.yaml:14:5: container `one` runs to completion before the others (`ready: "
            "complete`), so it has no probe: Kubernetes refuses probes on such init containers\n"
            "  hint: remove the probe, or use `ready: healthy` for a container that keeps running",
        ),
        (
            "  app:\n    image: a\n  one:\n    image: a\n    before:\n      app: {ready: healthy}\n",
            "services/batch/score.yaml:13:7: container `one` must be healthy before the others start, but has no "
            "readinessProbe to tell\n  hint: give it a readinessProbe, or use `ready: started`",
        ),
        (
            "  one:\n    image: a\n    before:\n      two: {ready: started}\n"
            "  two:\n    image: a\n    before:\n      one: {ready: started}\n",
            "services/batch/score.yaml:7:1: every container starts before another: none is left to run as the "
            "workload itself\n  hint: remove `before` from the container the others prepare for\n"
            "services/batch/score.yaml:11:7: `before` goes round in a circle: `one` and `two` each wait for "
            "another\n  hint: one of them must start without waiting for the others",
        ),
    ],
)
def test_what_cannot_start_in_that_order_is_an_error_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], containers: str, expected: str
) -> None:
    repo = copy_example(tmp_path)
    _batch(repo, containers)
    result = run_cli(capsys, "validate", str(repo))
    assert result.code == 1
    count = expected.count("services/batch")
    assert result.err.strip() == f"{expected}\n{count} problem{'s' if count > 1 else ''} found; nothing was changed"
