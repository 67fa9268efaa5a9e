"""Push webhooks: each provider's real signature scheme, replays, other branches, oversized bodies;
through the real HTTP endpoint on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator

import httpx
import pytest

from dockyard.sync.metrics import Metrics
from dockyard.sync.server import Endpoints
from dockyard.sync.webhooks import MAX_BODY, Receiver, Verdict

SECRET = b"s3cret-of-the-hook"


def _sign(body: bytes, secret: bytes = SECRET) -> str:
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def _push(ref: str = "refs/heads/main", after: str = "a" * 40) -> bytes:
    return json.dumps({"ref": ref, "after": after, "repository": {"full_name": "org/platform"}}).encode()


def _github(body: bytes, delivery: str = "d-1", signature: str | None = None) -> dict[str, str]:
    return {
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": signature if signature is not None else "sha256=" + _sign(body),
    }


def test_github_signed_push_to_the_branch_syncs_and_anything_else_does_not() -> None:
    receiver = Receiver(SECRET, "main")
    body = _push()
    assert receiver.receive("github", _github(body), body).verdict is Verdict.SYNC
    assert receiver.receive("github", _github(body, "d-2"), body).verdict is Verdict.REPLAYED  # same signed body
    other = _push(after="b" * 40)
    assert receiver.receive("github", _github(other, "d-1"), other).verdict is Verdict.REPLAYED  # same delivery
    wrong = _push(after="c" * 40)
    assert receiver.receive("github", _github(wrong, "d-3", "sha256=" + _sign(wrong, b"guess")), wrong).verdict is (
        Verdict.UNSIGNED
    )
    headers = _github(wrong, "d-4")
    del headers["X-Hub-Signature-256"]
    assert receiver.receive("github", headers, wrong).verdict is Verdict.UNSIGNED
    assert (
        receiver.receive("github", _github(wrong, "d-5", _sign(wrong)), wrong).verdict is Verdict.UNSIGNED
    )  # no prefix
    feature = _push("refs/heads/feature", "d" * 40)
    outcome = receiver.receive("github", _github(feature, "d-6"), feature)
    assert (outcome.verdict, outcome.detail) == (Verdict.IGNORED, "a push to feature, not main")
    ping = b'{"zen": "Keep it logically awesome."}'
    assert receiver.receive("github", {**_github(ping, "d-7"), "X-GitHub-Event": "ping"}, ping).verdict is (
        Verdict.IGNORED
    )


def test_gitlab_gitea_forgejo_and_bitbucket_each_with_their_own_scheme() -> None:
    receiver = Receiver(SECRET, "main")
    body = _push(after="1" * 40)
    gitlab = {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": SECRET.decode(), "X-Gitlab-Event-UUID": "u1"}
    assert receiver.receive("gitlab", gitlab, body).verdict is Verdict.SYNC
    body = _push(after="2" * 40)
    assert receiver.receive(
        "gitlab", {**gitlab, "X-Gitlab-Token": "nope", "X-Gitlab-Event-UUID": "u2"}, body
    ).verdict is (Verdict.UNSIGNED)
    gitea = {"X-Gitea-Event": "push", "X-Gitea-Signature": _sign(body), "X-Gitea-Delivery": "g1"}
    assert receiver.receive("gitea", gitea, body).verdict is Verdict.SYNC
    body = _push(after="3" * 40)
    forgejo = {"X-Forgejo-Event": "push", "X-Forgejo-Signature": _sign(body), "X-Forgejo-Delivery": "f1"}
    assert receiver.receive("forgejo", forgejo, body).verdict is Verdict.SYNC
    assert receiver.receive("gitea", {**gitea, "X-Gitea-Delivery": "g2"}, body).verdict is Verdict.UNSIGNED
    cloud = json.dumps({"push": {"changes": [{"new": {"type": "branch", "name": "main"}}]}}).encode()
    bitbucket = {"X-Event-Key": "repo:push", "X-Hub-Signature": "sha256=" + _sign(cloud), "X-Request-UUID": "b1"}
    assert receiver.receive("bitbucket", bitbucket, cloud).verdict is Verdict.SYNC
    server = json.dumps({"changes": [{"ref": {"id": "refs/heads/main"}}], "n": 2}).encode()
    data_center = {
        "X-Event-Key": "repo:refs_changed",
        "X-Hub-Signature": "sha256=" + _sign(server),
        "X-Request-UUID": "b2",
    }
    assert receiver.receive("bitbucket", data_center, server).verdict is Verdict.SYNC


def test_the_replay_window_forgets_after_an_hour() -> None:
    now = [1000.0]
    receiver = Receiver(SECRET, "main", clock=lambda: now[0])
    body = _push()
    assert receiver.receive("github", _github(body), body).verdict is Verdict.SYNC
    now[0] += 3599
    assert receiver.receive("github", _github(body), body).verdict is Verdict.REPLAYED
    now[0] += 2
    assert receiver.receive("github", _github(body), body).verdict is Verdict.SYNC


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        Receiver(b"", "main")


@pytest.fixture
def endpoint() -> Iterator[tuple[str, threading.Event, Metrics]]:
    wake, metrics = threading.Event(), Metrics()
    endpoints = Endpoints(Receiver(SECRET, "main"), metrics, wake, lambda: False, lambda: True, lambda _line: None)
    server = endpoints.serve("127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", wake, metrics
    finally:
        server.shutdown()


def test_the_endpoint_answers_each_case_with_its_status(endpoint: tuple[str, threading.Event, Metrics]) -> None:
    url, wake, _metrics = endpoint
    body = _push(after="e" * 40)
    with httpx.Client(base_url=url, trust_env=False) as http:
        assert (
            http.post("/hooks/github", content=body, headers=_github(body, "x1", "sha256=" + "0" * 64)).status_code
            == 401
        )
        assert not wake.is_set()
        accepted = http.post("/hooks/github", content=body, headers=_github(body, "x2"))
        assert (accepted.status_code, accepted.text) == (202, "sync: a push to main\n")
        assert wake.is_set()
        assert http.post("/hooks/github", content=body, headers=_github(body, "x2")).status_code == 409
        big = b"x" * (MAX_BODY + 1)
        assert http.post("/hooks/github", content=big, headers=_github(big, "x3")).status_code == 413
        assert http.post("/hooks/nowhere", content=body).status_code == 404
        assert http.get("/healthz").status_code == 200
        assert http.get("/readyz").status_code == 503
        text = http.get("/metrics").text
    assert 'dockyard_sync_webhook_deliveries_total{provider="github",verdict="sync"} 1.0' in text
    assert 'dockyard_sync_webhook_deliveries_total{provider="github",verdict="unsigned"} 1.0' in text
    assert 'dockyard_sync_webhook_deliveries_total{provider="github",verdict="oversized"} 1.0' in text
    assert SECRET.decode() not in text
