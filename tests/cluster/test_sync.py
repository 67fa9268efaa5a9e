"""The sync controller against the real API server and real git repositories on disk."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from lightkube import Client
from lightkube.resources.apps_v1 import Deployment
from lightkube.types import PatchType

from dockyard.localcluster import control_plane
from dockyard.sync import controller as controller_module
from dockyard.sync.controller import Controller, Settings
from dockyard.sync.metrics import Metrics
from dockyard.sync.server import Endpoints
from dockyard.sync.source import GitSource
from dockyard.sync.status import Result
from dockyard.sync.webhooks import Receiver
from tests.cluster.commands import dockyard, looping, platform_name, requests_during, until
from tests.helpers import commit_all, replace

SECRET = b"hook-secret-for-the-tests"


def _controller(origin: Path, cluster: control_plane.Running, tmp_path: Path, lines: list[str]) -> Controller:
    settings = Settings("local", kubeconfig=Path(cluster.kubeconfig), context=cluster.context, timeout=60)
    return Controller(GitSource(str(origin), "main", tmp_path / "sync-cache"), settings, lines.append)


def _platform(api: Client, name: str) -> dict:
    from lightkube.generic_resource import get_generic_resource

    kind = get_generic_resource("dockyard.dev/v1alpha1", "Platform")
    assert kind is not None
    return api.get(kind, f"{name}-local").to_dict()


def _conditions(platform: dict) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in platform["status"]["conditions"]}


def _env(api: Client, namespace: str) -> dict[str, str]:
    deployment = api.get(Deployment, "api", namespace=namespace)
    return {e.name: e.value for e in deployment.spec.template.spec.containers[0].env or []}


def test_a_commit_is_applied_a_broken_one_is_reported_and_retried_and_the_newest_wins(
    origin: Path, local_cluster: control_plane.Running, api: Client, tmp_path: Path
) -> None:
    lines: list[str] = []
    controller = _controller(origin, local_cluster, tmp_path, lines)
    name = platform_name(origin)
    first = controller.cycle()
    assert first is not None and first.result is Result.APPLIED, lines
    assert (first.created, first.configured, first.pruned) == (10, 0, 0)
    assert _env(api, name)["MODE"] == "normal"
    platform = _platform(api, name)
    assert platform["spec"] == {
        "source": str(origin),
        "branch": "main",
        "path": ".",
        "cluster": "local",
        "platform": name,
    }
    assert platform["status"]["lastAppliedRevision"] == first.revision
    assert _conditions(platform) == {
        "Ready": ("True", "Applied"),
        "Reconciling": ("False", "Idle"),
        "Stalled": ("False", "Progressing"),
    }
    assert controller.cycle() is None  # nothing new: no work

    replace(origin, "services/api/score.yaml", "MODE: normal", "MODE: fast\n      MODE_TYPO: [1")
    broken = commit_all(origin, "a broken commit")
    failed = controller.cycle()
    assert failed is not None and failed.result is Result.FAILED
    assert failed.message.startswith("1 problem: services/api/score.yaml:10:19: invalid YAML: ")  # not again by client
    assert _env(api, name)["MODE"] == "normal"  # nothing of it reached the cluster
    platform = _platform(api, name)
    assert (platform["status"]["lastAppliedRevision"], platform["status"]["lastAttemptedRevision"]) == (
        first.revision,
        broken,
    )
    assert _conditions(platform)["Ready"] == ("False", "Failed")
    assert [h["result"] for h in platform["status"]["history"]] == ["failed", "applied"]
    assert controller.cycle() is None  # the broken revision waits for its backoff
    controller.retry.due = 0
    again = controller.cycle()
    assert again is not None and again.result is Result.FAILED and controller.retry.failures == 2

    replace(origin, "services/api/score.yaml", "MODE: fast\n      MODE_TYPO: [1", "MODE: fast")
    fixed = commit_all(origin, "the fix")
    newest = controller.cycle()  # at once, whatever the backoff of the broken one
    assert newest is not None and (newest.result, newest.revision, newest.configured) == (Result.APPLIED, fixed, 1)
    assert _env(api, name)["MODE"] == "fast"
    assert _conditions(_platform(api, name))["Ready"] == ("True", "Applied")


def test_drift_is_put_back_and_an_idle_cycle_sends_no_request(
    origin: Path, local_cluster: control_plane.Running, api: Client, tmp_path: Path
) -> None:
    lines: list[str] = []
    controller = _controller(origin, local_cluster, tmp_path, lines)
    name = platform_name(origin)
    assert controller.cycle() is not None
    assert requests_during(local_cluster, controller.cycle) == []
    api.patch(
        Deployment,
        "api",
        {
            "spec": {
                "template": {"spec": {"containers": [{"name": "main", "env": [{"name": "MODE", "value": "hacked"}]}]}}
            }
        },
        namespace=name,
        patch_type=PatchType.STRATEGIC,
        field_manager="someone-else",
        force=True,
    )
    assert _env(api, name)["MODE"] == "hacked"
    controller.drift_due = 0
    repaired = controller.cycle()
    assert repaired is not None and repaired.result is Result.APPLIED and repaired.configured == 1, lines
    assert _env(api, name)["MODE"] == "normal"


def test_an_unreachable_source_changes_nothing_and_stalls_until_it_is_back(
    origin: Path, local_cluster: control_plane.Running, api: Client, tmp_path: Path
) -> None:
    lines: list[str] = []
    controller = _controller(origin, local_cluster, tmp_path, lines)
    name = platform_name(origin)
    assert controller.cycle() is not None
    away = tmp_path / "away"
    shutil.move(origin, away)
    requests = requests_during(
        local_cluster, lambda: [controller.cycle() for _ in range(controller_module.STALL_AFTER - 1)]
    )
    assert requests == []  # nothing is read, written or pruned while the source is gone
    assert controller.cycle() is None
    platform = _platform(api, name)
    assert _conditions(platform)["Stalled"] == ("True", "CannotProgress")
    assert "the source cannot be fetched (5 times)" in platform["status"]["conditions"][2]["message"]
    assert api.get(Deployment, "api", namespace=name) is not None
    shutil.move(away, origin)
    assert controller.cycle() is None  # same revision, applied: nothing to do
    assert _conditions(_platform(api, name))["Stalled"] == ("False", "Progressing")


def test_a_signed_push_webhook_applies_the_commit_in_seconds(
    origin: Path, local_cluster: control_plane.Running, api: Client, tmp_path: Path
) -> None:
    lines: list[str] = []
    controller = _controller(origin, local_cluster, tmp_path, lines)
    controller.settings = Settings(
        "local", kubeconfig=Path(local_cluster.kubeconfig), context=local_cluster.context, interval=3600, timeout=60
    )
    name = platform_name(origin)
    stop, wake = threading.Event(), threading.Event()
    metrics = Metrics()
    server = Endpoints(Receiver(SECRET, "main"), metrics, wake, lambda: controller.ready, lambda: True, lines.append)
    http_server = server.serve("127.0.0.1", 0)
    loop = threading.Thread(target=controller.run, args=(stop, wake), daemon=True)
    loop.start()
    url = f"http://127.0.0.1:{http_server.server_address[1]}"
    try:
        until(lambda: controller.ready, 60, lines)
        replace(origin, "services/api/score.yaml", "MODE: normal", "MODE: webhook")
        sha = commit_all(origin, "by webhook")
        body = json.dumps({"ref": "refs/heads/main", "after": sha}).encode()
        signature = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        headers = {"X-GitHub-Event": "push", "X-GitHub-Delivery": sha, "X-Hub-Signature-256": signature}
        pushed = time.monotonic()
        assert httpx.post(f"{url}/hooks/github", content=body, headers=headers, trust_env=False).status_code == 202
        until(lambda: controller.state.applied == sha, 30, lines)
        took = time.monotonic() - pushed
        assert _env(api, name)["MODE"] == "webhook"
        assert httpx.get(f"{url}/readyz", trust_env=False).status_code == 200
        print(f"commit -> applied through the webhook: {took:.2f} s")
    finally:
        stop.set()
        wake.set()
        loop.join(30)
        http_server.shutdown()


def _inbox() -> tuple[ThreadingHTTPServer, list[bytes]]:
    """A receiver of notifications on loopback, and the bodies it was sent."""
    bodies: list[bytes] = []

    class Inbox(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Inbox)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, bodies


def test_the_command_syncs_once_and_status_shows_it(
    origin: Path,
    local_cluster: control_plane.Running,
    api: Client,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKYARD_SYNC_CACHE", str(tmp_path / "sync-cache"))
    name = platform_name(origin)
    synced = dockyard(capsys, local_cluster, "sync", str(origin), "-c", "local", "--once")
    assert synced.code == 0, synced.err
    head = commit_all(origin, "nothing changes")  # an empty commit
    again = dockyard(capsys, local_cluster, "sync", str(origin), "-c", "local", "--once")
    assert again.out == f"{head[:12]} is applied\n"
    shown = dockyard(capsys, local_cluster, "sync", "status", "-c", "local")
    block = shown.out.split(f"Platform {name}-local: ")[1].split("\nPlatform ")[0].splitlines()
    assert block[0] == f"{origin} (main), cluster local"
    assert block[1].split()[:3] == ["Ready", "True", "Applied:"]
    assert block[4].split() == ["applied", head]
    assert block[6].split()[1:4] == [head[:12], "applied", block[6].split()[3]]
    assert block[6].endswith("0 created, 0 configured, 0 pruned")


def test_a_restarted_controller_takes_up_the_recorded_history(
    origin: Path, local_cluster: control_plane.Running, api: Client, tmp_path: Path
) -> None:
    lines: list[str] = []
    first = _controller(origin, local_cluster, tmp_path, lines)
    applied = first.cycle()
    assert applied is not None and applied.result is Result.APPLIED
    restarted = _controller(origin, local_cluster, tmp_path / "elsewhere", lines)
    planned = restarted.cycle()  # the same revision: checked for drift once, nothing written
    assert planned is not None and (planned.result, planned.created, planned.configured) == (Result.APPLIED, 0, 0)
    assert f"resumed: {applied.revision[:12]} applied before" in lines
    history = _platform(api, platform_name(origin))["status"]["history"]
    assert [(h["revision"], h["result"], h["created"]) for h in history] == [
        (applied.revision, "applied", 0),
        (applied.revision, "applied", 10),
    ]
    assert restarted.cycle() is None


def test_one_of_two_controllers_acts_and_the_other_takes_over_when_it_dies(
    origin: Path, local_cluster: control_plane.Running, api: Client, tmp_path: Path
) -> None:
    from dockyard.deploy.client import Connection
    from dockyard.sync.lease import Leadership, Lease, lease_name

    name = platform_name(origin)
    lines: dict[str, list[str]] = {"a": [], "b": []}
    lease = lease_name(str(origin), "main", f"local-{name}")
    runs = {}
    for who in ("a", "b"):
        controller = _controller(origin, local_cluster, tmp_path / who, lines[who])
        controller.settings = Settings(
            "local", kubeconfig=Path(local_cluster.kubeconfig), context=local_cluster.context, interval=0.5, timeout=60
        )
        connection = Connection(Path(local_cluster.kubeconfig), local_cluster.context)
        leadership = Leadership(Lease(connection, lease, f"candidate-{who}", duration=3.0), lines[who].append)
        stop, wake = threading.Event(), threading.Event()
        thread = threading.Thread(target=controller.run, args=(stop, wake, leadership), daemon=True)
        runs[who] = (controller, leadership, stop, thread)
        thread.start()
        if who == "a":
            until(lambda c=controller: c.ready, 60, lines["a"])
    a, b = runs["a"][0], runs["b"][0]
    time.sleep(2)
    assert b.state.history == [] and not runs["b"][1].leading.is_set()  # b waits: a holds the Lease
    runs["a"][2].set()  # a dies without giving the Lease up (no release)
    runs["a"][1].step_down(release=False)
    runs["a"][3].join(30)
    replace(origin, "services/api/score.yaml", "MODE: normal", "MODE: successor")
    sha = commit_all(origin, "while a is gone")
    until(lambda: b.state.applied == sha, 40, lines["b"])
    assert _env(api, name)["MODE"] == "successor"
    assert any(line.startswith("leading (Lease dockyard-system/") for line in lines["b"])
    assert a.state.applied != sha
    runs["b"][2].set()
    runs["b"][3].join(30)
    runs["b"][1].step_down(release=True)
    from lightkube.resources.coordination_v1 import Lease as LeaseObject

    assert api.get(LeaseObject, lease, namespace="dockyard-system").spec.holderIdentity is None


def test_receivers_hear_of_applied_revisions_and_removed_services(
    origin: Path, local_cluster: control_plane.Running, api: Client, tmp_path: Path
) -> None:
    inbox, bodies = _inbox()
    url = f"http://127.0.0.1:{inbox.server_address[1]}/events"
    with (origin / "platform.yaml").open("a") as platform:
        platform.write(f"notifications:\n  - name: ops\n    url: {url}\n")
    commit_all(origin, "tell ops")
    lines: list[str] = []
    controller = _controller(origin, local_cluster, tmp_path, lines)
    try:
        assert controller.cycle() is not None
        until(lambda: len(bodies) == 1, 10, lines)
        shutil.rmtree(origin / "services" / "client")
        removal = commit_all(origin, "no more client")
        attempt = controller.cycle()
        assert attempt is not None and attempt.result is Result.APPLIED and attempt.pruned == 3, lines
        until(lambda: len(bodies) == 3, 10, lines)
        heard = [json.loads(body) for body in bodies]
        assert [(e["type"], e["subject"]) for e in heard] == [
            ("dev.dockyard.sync.applied", heard[0]["subject"]),
            ("dev.dockyard.sync.applied", removal),
            ("dev.dockyard.sync.service-removed", "client"),
        ]
        assert heard[1]["data"]["pruned"] == 3
    finally:
        controller.notifier.close()
        inbox.shutdown()


def test_a_watch_sees_drift_and_the_loop_puts_it_back_at_once(
    origin: Path, local_cluster: control_plane.Running, api: Client, tmp_path: Path
) -> None:
    """The loop polls hourly and plans drift hourly here: only the watch can bring the repair."""
    lines: list[str] = []
    name = platform_name(origin)
    with looping(origin, local_cluster, tmp_path / "sync-cache", lines) as controller:
        until(lambda: controller.ready and len(controller.state.history) == 1, 60, lines)
        time.sleep(3)  # the pods become ready, status changes: no drift
        assert len(controller.state.history) == 1, lines
        changed = time.monotonic()
        api.patch(
            Deployment,
            "api",
            {"spec": {"replicas": 5}},
            namespace=name,
            patch_type=PatchType.MERGE,
            field_manager="someone-else",
        )
        until(lambda: api.get(Deployment, "api", namespace=name).spec.replicas == 2, 30, lines)
        print(f"drift put back {time.monotonic() - changed:.2f} s after the change")
        assert any(line == f"drift: Deployment.apps {name}/api was changed on the cluster" for line in lines)
        until(lambda: len(controller.state.history) == 2, 30, lines)
        assert controller.state.history[0].configured == 1


def test_a_change_to_fields_dockyard_does_not_own_wakes_the_loop_once(
    origin: Path, local_cluster: control_plane.Running, api: Client, tmp_path: Path
) -> None:
    """Someone labels a Deployment: the watch sees a new marker, the plan finds nothing to put
    back, and the live object is the new baseline (before, each restart of the watches saw the
    same change again: a plan after another, for ever)."""
    lines: list[str] = []
    name = platform_name(origin)
    with looping(origin, local_cluster, tmp_path / "sync-cache", lines) as controller:
        until(lambda: controller.ready and len(controller.state.history) == 1, 60, lines)
        api.patch(
            Deployment,
            "api",
            {"metadata": {"labels": {"team-note": "on-call"}}},
            namespace=name,
            patch_type=PatchType.MERGE,
            field_manager="someone-else",
        )
        until(lambda: len(controller.state.history) == 2, 30, lines)
        time.sleep(5)
        assert len(controller.state.history) == 2, lines
        assert api.get(Deployment, "api", namespace=name).metadata.labels["team-note"] == "on-call"


CANARY = "canary-5b1d7c2e-sync-never-print-me"
TOKEN = f"""apiVersion: dockyard.dev/v1alpha1
kind: Provisioner
description: a Secret with a value (a platform repo should not do this; Dockyard must still not leak it)
manifests:
  - apiVersion: v1
    kind: Secret
    metadata: {{name: "${{service}}-${{id}}"}}
    stringData: {{token: "{CANARY}"}}
"""


def test_a_secret_value_never_reaches_status_events_logs_or_notifications(
    origin: Path, local_cluster: control_plane.Running, api: Client, tmp_path: Path
) -> None:
    from lightkube.resources.core_v1 import Event

    inbox, heard = _inbox()
    (origin / "provisioners").mkdir(exist_ok=True)
    (origin / "provisioners" / "token.yaml").write_text(TOKEN)
    replace(origin, "services/client/score.yaml", "resources:\n", "resources:\n  extra:\n    type: token\n")
    with (origin / "platform.yaml").open("a") as platform:
        platform.write(
            "checks:\n  waivers:\n    - rule: platform\n      object: Secret */client-extra\n"
            "      reason: this test needs a Secret with a value\n      expires: '2099-12-31'\n"
            f"notifications:\n  - name: ops\n    url: http://127.0.0.1:{inbox.server_address[1]}/\n"
        )
    commit_all(origin, "a secret with a value")
    lines: list[str] = []
    controller = _controller(origin, local_cluster, tmp_path, lines)
    try:
        assert controller.cycle() is not None
        replace(origin, "provisioners/token.yaml", CANARY, CANARY + "-rotated")
        replace(origin, "services/api/score.yaml", "MODE: normal", "MODE: [broken")  # and a failing revision
        commit_all(origin, "rotated, and broken")
        failed = controller.cycle()
        assert failed is not None and failed.result is Result.FAILED
        replace(origin, "services/api/score.yaml", "MODE: [broken", "MODE: normal")
        commit_all(origin, "rotated")
        assert controller.cycle() is not None
        until(lambda: len(heard) >= 3, 10, lines)
    finally:
        controller.notifier.close()
        inbox.shutdown()
    name = platform_name(origin)
    shown = json.dumps(_platform(api, name))
    events = [e.message or "" for e in api.list(Event, namespace="default") if e.involvedObject.name == f"{name}-local"]
    assert len(events) >= 3
    for text in (shown, *events, *lines, *(h.decode() for h in heard)):
        assert CANARY not in text
