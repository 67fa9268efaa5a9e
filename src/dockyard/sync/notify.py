"""Outbound notifications: what the sync controller did, to the receivers the platform repo names.

    notifications:
      - name: ops
        url: https://hooks.example.org/dockyard
        format: cloudevents            # or slack (an incoming webhook's {"text": ...})
        secretEnv: OPS_HOOK_SECRET     # the signing key, from the controller's environment
        events: [applied, failed]      # default: every event

Events: `applied`, `failed`, `drift-repaired`, `service-added`, `service-removed`. A CloudEvents
notification is a structured-mode CloudEvent 1.0 (`application/cloudevents+json`), signed as the
Standard Webhooks specification says (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,`
base64 HMAC-SHA256 of `id.timestamp.body`), so a receiver can verify it and refuse replays.

Sending never slows the loop: events go to a bounded queue (the oldest is dropped, and counted,
when it is full) that one thread delivers, retrying a receiver that fails or is down with backoff.
Nothing secret is sent: the payload holds revisions, counts and Dockyard's own messages.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from dockyard.model.settings import Notification

QUEUE_LIMIT = 100
ATTEMPTS = 5
TIMEOUT = 5.0


@dataclass(frozen=True)
class Event:
    kind: str
    """applied, failed, drift-repaired, service-added or service-removed."""
    platform: str
    cluster: str
    data: Mapping[str, Any]
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = field(default_factory=lambda: datetime.now(UTC))

    def summary(self) -> str:
        revision = str(self.data.get("revision", ""))[:12]
        detail = self.data.get("message") or self.data.get("service") or ""
        return f"{self.platform}/{self.cluster}: {self.kind} {revision} {detail}".strip()


def cloudevent(event: Event) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event.id,
        "source": f"dockyard/{event.platform}/{event.cluster}",
        "type": f"dev.dockyard.sync.{event.kind}",
        "time": event.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "subject": str(event.data.get("service") or event.data.get("revision") or ""),
        "datacontenttype": "application/json",
        "data": dict(event.data),
    }


def sign(secret: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks signature of one delivery: `v1,<base64 HMAC-SHA256>`."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret, signed, hashlib.sha256).digest()).decode()


def _secret(receiver: Notification) -> bytes | None:
    if not receiver.secret_env:
        return None
    value = os.environ.get(receiver.secret_env, "")
    if value.startswith("whsec_"):  # Standard Webhooks writes secrets as whsec_<base64>
        return base64.b64decode(value.removeprefix("whsec_"))
    return value.encode() or None


def request_of(receiver: Notification, event: Event) -> tuple[bytes, dict[str, str]]:
    if receiver.format == "slack":
        body = json.dumps({"text": event.summary()}).encode()
        headers = {"Content-Type": "application/json"}
    else:
        body = json.dumps(cloudevent(event), sort_keys=True).encode()
        headers = {"Content-Type": "application/cloudevents+json"}
    secret = _secret(receiver)
    if secret:
        timestamp = int(event.time.timestamp())
        headers |= {
            "webhook-id": event.id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, event.id, timestamp, body),
        }
    return body, headers


class Notifier:
    """Delivers events in the background; `send` only queues."""

    def __init__(
        self,
        log: Callable[[str], None],
        pause: Callable[[float], None] = time.sleep,
        limit: int = QUEUE_LIMIT,
    ) -> None:
        self.log, self.pause = log, pause
        self.receivers: tuple[Notification, ...] = ()
        self.dropped = 0
        self.delivered = 0
        self._queue: queue.Queue[tuple[Notification, Event] | None] = queue.Queue(maxsize=limit)
        self._thread = threading.Thread(target=self._deliver_all, name="dockyard-sync-notify", daemon=True)
        self._thread.start()

    def send(self, event: Event) -> None:
        for receiver in self.receivers:
            if event.kind not in receiver.events:
                continue
            while True:
                try:
                    self._queue.put_nowait((receiver, event))
                    break
                except queue.Full:
                    try:
                        self._queue.get_nowait()  # the oldest goes: a fresh event matters more
                        self.dropped += 1
                    except queue.Empty:
                        pass

    def close(self, wait: float = 5.0) -> None:
        try:
            self._queue.put(None, timeout=wait)
        except queue.Full:
            return
        self._thread.join(wait)

    def _deliver_all(self) -> None:
        with httpx.Client(timeout=TIMEOUT, trust_env=False, follow_redirects=False) as http:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                self._deliver(http, *item)

    def _deliver(self, http: httpx.Client, receiver: Notification, event: Event) -> None:
        body, headers = request_of(receiver, event)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                answer = http.post(receiver.url, content=body, headers=headers)
                if answer.status_code < 300:
                    self.delivered += 1
                    return
                reason = f"HTTP {answer.status_code}"
            except httpx.HTTPError as error:
                reason = type(error).__name__
            if attempt == ATTEMPTS:
                self.log(f"notification {receiver.name}: {event.kind} not delivered after {ATTEMPTS} tries ({reason})")
                return
            self.pause(min(30.0, 0.5 * 2 ** (attempt - 1)))
