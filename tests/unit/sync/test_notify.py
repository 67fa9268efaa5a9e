"""Outbound notifications: CloudEvents signed as Standard Webhooks say, Slack's format, retries,
and a receiver that is down or stuck never holds up the one who sends."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dockyard.model.settings import Notification
from dockyard.sync.notify import Event, Notifier

KEY = b"notification-key"


class _Inbox:
    def __init__(self, fail_first: int = 0, stall: threading.Event | None = None) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.fail_first, self.stall = fail_first, stall
        self.calls = 0


@pytest.fixture
def inbox() -> Iterator[tuple[str, _Inbox]]:
    box = _Inbox()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            box.calls += 1
            if box.stall is not None:
                box.stall.wait(10)
            if box.calls <= box.fail_first:
                self.send_response(503)
            else:
                box.received.append((dict(self.headers.items()), body))
                self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", box
    finally:
        server.shutdown()


def _until(condition: object, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]  # a callable
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


def test_a_cloudevent_signed_as_standard_webhooks_say(
    inbox: tuple[str, _Inbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, box = inbox
    monkeypatch.setenv("OPS_HOOK_SECRET", "whsec_" + base64.b64encode(KEY).decode())
    notifier = Notifier(lambda _line: None)
    notifier.receivers = (Notification("ops", url, "cloudevents", "OPS_HOOK_SECRET", ("applied",)),)
    notifier.send(Event("failed", "shop", "local", {"revision": "b" * 40}))  # not an event ops asked for
    notifier.send(Event("applied", "shop", "local", {"revision": "a" * 40, "created": 3, "message": "3 created"}))
    _until(lambda: notifier.delivered == 1)
    headers, body = box.received[0]
    event = json.loads(body)
    assert headers["Content-Type"] == "application/cloudevents+json"
    assert {k: event[k] for k in ("specversion", "source", "type", "subject", "datacontenttype")} == {
        "specversion": "1.0",
        "source": "dockyard/shop/local",
        "type": "dev.dockyard.sync.applied",
        "subject": "a" * 40,
        "datacontenttype": "application/json",
    }
    assert event["data"] == {"revision": "a" * 40, "created": 3, "message": "3 created"}
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(KEY, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{expected}"
    assert headers["webhook-id"] == event["id"]
    assert KEY.decode() not in body.decode()


def test_slack_format_and_a_failing_receiver_retried(inbox: tuple[str, _Inbox]) -> None:
    url, box = inbox
    box.fail_first = 2
    notifier = Notifier(lambda _line: None, pause=lambda _seconds: None)
    notifier.receivers = (Notification("chat", url, "slack"),)
    notifier.send(Event("service-added", "shop", "local", {"service": "billing", "revision": "c" * 40}))
    _until(lambda: notifier.delivered == 1)
    assert box.calls == 3
    headers, body = box.received[0]
    assert json.loads(body) == {"text": "shop/local: service-added cccccccccccc billing"}
    assert "webhook-signature" not in headers


def test_a_receiver_that_is_down_or_stuck_never_holds_up_the_sender(inbox: tuple[str, _Inbox]) -> None:
    url, box = inbox
    box.stall = threading.Event()
    lines: list[str] = []
    notifier = Notifier(lines.append, pause=lambda _seconds: None, limit=3)
    notifier.receivers = (Notification("stuck", url), Notification("down", "http://127.0.0.1:9/hook"))
    for index in range(10):  # returns at once although the first delivery is stuck in the receiver
        notifier.send(Event("applied", "shop", "local", {"revision": f"{index:040d}"}))
    assert notifier.dropped >= 10 * 2 - 3 - 2  # bounded: the oldest went, the newest are queued
    box.stall.set()
    _until(lambda: any("not delivered after 5 tries" in line for line in lines))
    notifier.close()
