"""The repo's encrypted secrets on the real API server: a unique value goes through set, render,
check, plan, apply, a change and drift, and is found nowhere but in the Secret in the cluster."""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import uuid
from pathlib import Path

import pyrage
import pytest
from lightkube import Client
from lightkube.core.exceptions import ApiError
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import ConfigMap, Event, Namespace, Secret
from lightkube.types import PatchType

from dockyard.localcluster import control_plane
from dockyard.secrets import keys, rules, sopsfile, store
from tests.cluster.commands import PLAIN, dockyard, writes_during
from tests.helpers import replace, run_cli

IDENTITY = pyrage.x25519.Identity.generate()


@pytest.fixture
def repo(tmp_path: Path, api: Client, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(keys.KEY_ENV, str(IDENTITY))
    name = f"s{uuid.uuid4().hex[:8]}"
    root = tmp_path / name
    shutil.copytree(PLAIN, root)
    replace(root, "platform.yaml", "name: plain", f"name: {name}")
    replace(root, "platform.yaml", "team: plain", f"team: {name}")
    replace(
        root,
        "services/api/score.yaml",
        "      MODE: normal\n",
        "      MODE: normal\n      TOKEN: ${resources.creds.token}\n",
    )
    with (root / "services" / "api" / "score.yaml").open("a") as score:
        score.write("resources:\n  creds:\n    type: secret\n    params: {keys: [token], from: repo}\n")
    rules.add_layout_rule(root, [str(IDENTITY.to_public())])
    yield root
    with contextlib.suppress(ApiError):
        api.delete(Namespace, name)


def _set(root: Path, key: str, value: str) -> None:
    target = store.layer_file(root, "secrets/platform.yaml")
    previous = store.open_secrets(target, keys.identities())
    store.save(target, store.with_value(previous.values if previous else {}, key, value), previous)


def test_a_secret_value_reaches_the_cluster_and_nothing_else(
    repo: Path,
    tmp_path: Path,
    local_cluster: control_plane.Running,
    api: Client,
    capsys: pytest.CaptureFixture[str],
) -> None:
    canary = f"canary-{uuid.uuid4().hex}"
    _set(repo, "creds.token", canary)
    outputs = [
        run_cli(capsys, "render", str(repo), "-c", "local", "-o", str(tmp_path / "out")),
        run_cli(capsys, "check", str(repo), "-c", "local"),
        dockyard(capsys, local_cluster, "plan", str(repo), "-c", "local"),
    ]
    applied = dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes")
    assert applied.code == 0, applied.err
    outputs.append(applied)
    secret = api.get(Secret, "api-creds", namespace=repo.name)
    assert base64.b64decode(secret.data["token"]).decode() == canary
    deployment = api.get(Deployment, "api", namespace=repo.name)
    env = deployment.spec.template.spec.containers[0].env
    token = next(e for e in env if e.name == "TOKEN")
    assert (token.value, token.valueFrom.secretKeyRef.name, token.valueFrom.secretKeyRef.key) == (
        None,
        "api-creds",
        "token",
    )
    first_digest = deployment.spec.template.metadata.annotations["dockyard.dev/secrets-digest"]

    # a new value: the plan says the Secret changed (never how), the pods roll, nothing else is written
    _set(repo, "creds.token", canary + "-2")
    changed = dockyard(capsys, local_cluster, "plan", str(repo), "-c", "local")
    outputs.append(changed)
    assert changed.out.splitlines()[-1] == "plan: +0 ~2 -0 (9 unchanged)", changed.out
    assert "token: '<secret: changed>'" in changed.out
    written = writes_during(
        local_cluster,
        lambda: outputs.append(dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes")),
    )
    assert sorted((e["objectRef"]["resource"], e["objectRef"].get("name")) for e in written) == [
        ("configmaps", f"{repo.name}-local"),
        ("deployments", "api"),
        ("secrets", "api-creds"),
    ]
    assert base64.b64decode(api.get(Secret, "api-creds", namespace=repo.name).data["token"]).decode() == canary + "-2"
    rolled = api.get(Deployment, "api", namespace=repo.name).spec.template.metadata.annotations
    assert rolled["dockyard.dev/secrets-digest"] != first_digest

    # applied again: nothing is written; someone changes the value in the cluster: the plan sees it
    # (another field manager's change is a conflict: Dockyard does not take it over silently)
    assert (
        writes_during(
            local_cluster, lambda: dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes")
        )
        == []
    )
    api.patch(
        Secret,
        "api-creds",
        {"data": {"token": base64.b64encode(b"tampered").decode()}},
        namespace=repo.name,
        patch_type=PatchType.MERGE,
    )
    drift = dockyard(capsys, local_cluster, "plan", str(repo), "-c", "local")
    outputs.append(drift)
    assert drift.code == 1 and "Apply failed with 1 conflict: conflict with" in drift.err  # seen, never shown
    assert "dGFtcGVyZWQ=" not in drift.out + drift.err and "tampered" not in drift.out + drift.err

    # the value is nowhere but in the Secret
    places = [o.out + o.err for o in outputs]
    places += [p.read_text() for p in (tmp_path / "out").rglob("*") if p.is_file()]
    places.append(json.dumps(api.get(ConfigMap, f"{repo.name}-local", namespace="dockyard-system").to_dict()))
    places.append(json.dumps(api.get(Deployment, "api", namespace=repo.name).to_dict(), default=str))
    places.append(json.dumps(secret.metadata.to_dict(), default=str))  # annotations, managed fields
    places += [json.dumps(e.to_dict(), default=str) for e in api.list(Event, namespace=repo.name)]
    places.append((Path(local_cluster.kubeconfig).parent / "logs" / "audit.log").read_text())
    places.append((repo / "secrets" / "platform.yaml").read_text())
    encoded = base64.b64encode(canary.encode()).decode()
    assert [i for i, text in enumerate(places) if canary in text or encoded in text] == []


def test_the_sync_controller_opens_them_with_its_own_key_and_without_one_changes_nothing(
    repo: Path, tmp_path: Path, local_cluster: control_plane.Running, api: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lightkube.resources.core_v1 import Event

    from dockyard.sync.controller import Controller, Settings
    from dockyard.sync.source import GitSource
    from dockyard.sync.status import Result
    from tests.helpers import commit_all

    canary = f"canary-{uuid.uuid4().hex}"
    _set(repo, "creds.token", canary)
    commit_all(repo, "a repo secret")
    lines: list[str] = []
    settings = Settings("local", kubeconfig=Path(local_cluster.kubeconfig), context=local_cluster.context, timeout=60)
    monkeypatch.setenv(keys.KEY_ENV, str(pyrage.x25519.Identity.generate()))  # a key that opens nothing here
    locked = Controller(GitSource(str(repo), "main", tmp_path / "cache"), settings, lines.append)
    attempt = locked.cycle()
    assert attempt is not None and attempt.result is Result.FAILED
    assert "secrets/platform.yaml: none of the age keys at hand opens it" in attempt.message
    assert "nothing was written" in attempt.message
    with pytest.raises(ApiError):
        api.get(Namespace, repo.name)  # not even the namespace: nothing is applied without the values
    monkeypatch.setenv(keys.KEY_ENV, str(IDENTITY))  # the controller's own key, as its Secret gives it
    opened = Controller(GitSource(str(repo), "main", tmp_path / "cache"), settings, lines.append)
    applied = opened.cycle()
    assert applied is not None and applied.result is Result.APPLIED, applied
    assert base64.b64decode(api.get(Secret, "api-creds", namespace=repo.name).data["token"]).decode() == canary
    from lightkube.generic_resource import get_generic_resource

    kind = get_generic_resource("dockyard.dev/v1alpha1", "Platform")
    assert kind is not None
    shown = json.dumps(api.get(kind, f"{repo.name}-local").to_dict(), default=str)
    events = [json.dumps(e.to_dict(), default=str) for e in api.list(Event, namespace="default")]
    assert [t for t in (shown, *events, *lines) if canary in t] == []


def test_a_controller_that_starts_after_another_process_applied_does_not_loop_on_secrets(
    repo: Path,
    tmp_path: Path,
    local_cluster: control_plane.Running,
    api: Client,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Secret's marker is keyed per process: markers the CLI recorded never match the
    controller's. The controller follows what its own plan read, so its watch wakes nothing."""
    import os
    import time

    from dockyard.deploy import observed
    from tests.cluster.commands import looping, until
    from tests.helpers import commit_all

    _set(repo, "creds.token", f"canary-{uuid.uuid4().hex}")
    commit_all(repo, "a repo secret")
    assert dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes").code == 0
    monkeypatch.setattr(observed, "_VALUES_KEY", os.urandom(32))  # as a process started afterwards
    observed._MARKERS.clear()
    lines: list[str] = []
    with looping(repo, local_cluster, tmp_path / "cache", lines) as controller:
        until(lambda: controller.ready and len(controller.state.history) == 1, 60, lines)
        time.sleep(5)
        assert len(controller.state.history) == 1, lines
        assert not [line for line in lines if line.startswith("drift:")], lines


def test_generated_credentials_kept_in_the_repo_come_back_on_a_rebuilt_cluster(
    repo: Path, local_cluster: control_plane.Running, api: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    with (repo / "services" / "api" / "score.yaml").open("a") as score:
        score.write("  cache:\n    type: redis\n")
    _set(repo, "creds.token", "t")
    assert dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes").code == 0
    generated = api.get(Secret, "api-cache-redis", namespace=repo.name)
    password = base64.b64decode(generated.data["password"]).decode()
    exported = dockyard(capsys, local_cluster, "secrets", "export-generated", str(repo), "-c", "local")
    assert exported.code == 0, exported.err
    assert exported.out.startswith("exported ") and "into secrets/local.yaml (under generated)" in exported.out
    kept = sopsfile.open_file("x", (repo / "secrets" / "local.yaml").read_bytes(), [IDENTITY]).values
    assert kept["generated"][repo.name]["api-cache-redis"]["password"] == password
    assert password not in (repo / "secrets" / "local.yaml").read_text() + exported.out + exported.err

    api.delete(Secret, "api-cache-redis", namespace=repo.name)  # as on a cluster rebuilt from git
    again = dockyard(capsys, local_cluster, "apply", str(repo), "-c", "local", "--yes")
    assert again.code == 0, again.err
    back = api.get(Secret, "api-cache-redis", namespace=repo.name)
    assert base64.b64decode(back.data["password"]).decode() == password
    assert password not in again.out + again.err
