"""Push webhooks from git hosts: each provider's own signature scheme, verified before anything else.

    github     X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body, hex>     X-GitHub-Delivery
    gitea      X-Gitea-Signature: <HMAC-SHA256, hex> (Forgejo: X-Forgejo-…)   X-Gitea-Delivery
    bitbucket  X-Hub-Signature: sha256=<HMAC-SHA256, hex>                      X-Request-UUID
    gitlab     X-Gitlab-Token: <the secret itself>                             X-Gitlab-Event-UUID

Signatures are compared in constant time. A delivery is accepted once: the same delivery ID, or the
same signed body, seen again within the replay window is refused (a push body names its commits,
so a genuine new push never repeats one). Only a push to the synced branch wakes the controller.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

MAX_BODY = 1024 * 1024
REPLAY_WINDOW = 3600.0
REMEMBERED = 10_000


class Verdict(StrEnum):
    SYNC = "sync"
    """Signed, new, a push to the synced branch: fetch now."""
    IGNORED = "ignored"
    """Signed and new, but nothing to do (a ping, another branch, another event)."""
    UNSIGNED = "unsigned"
    REPLAYED = "replayed"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    detail: str

    @property
    def status(self) -> int:
        return {
            Verdict.SYNC: 202,
            Verdict.IGNORED: 200,
            Verdict.UNSIGNED: 401,
            Verdict.REPLAYED: 409,
            Verdict.MALFORMED: 400,
        }[self.verdict]


def _hmac(secret: bytes, body: bytes) -> str:
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def _prefixed(header: str | None, secret: bytes, body: bytes) -> bool:
    return header is not None and hmac.compare_digest(header.strip(), "sha256=" + _hmac(secret, body))


def _plain(header: str | None, secret: bytes, body: bytes) -> bool:
    return header is not None and hmac.compare_digest(header.strip(), _hmac(secret, body))


def _token(header: str | None, secret: bytes, _body: bytes) -> bool:
    return header is not None and hmac.compare_digest(header.encode(), secret)


@dataclass(frozen=True)
class Provider:
    name: str
    signature: str
    check: Callable[[str | None, bytes, bytes], bool]
    delivery: str
    event: str
    pushes: tuple[str, ...]
    pings: tuple[str, ...]


PROVIDERS = {
    p.name: p
    for p in (
        Provider(
            "github", "X-Hub-Signature-256", _prefixed, "X-GitHub-Delivery", "X-GitHub-Event", ("push",), ("ping",)
        ),
        Provider("gitea", "X-Gitea-Signature", _plain, "X-Gitea-Delivery", "X-Gitea-Event", ("push",), ()),
        Provider("forgejo", "X-Forgejo-Signature", _plain, "X-Forgejo-Delivery", "X-Forgejo-Event", ("push",), ()),
        Provider(
            "bitbucket",
            "X-Hub-Signature",
            _prefixed,
            "X-Request-UUID",
            "X-Event-Key",
            ("repo:push", "repo:refs_changed"),
            ("diagnostics:ping",),
        ),
        Provider("gitlab", "X-Gitlab-Token", _token, "X-Gitlab-Event-UUID", "X-Gitlab-Event", ("Push Hook",), ()),
    )
}


def pushed_branches(provider: str, payload: Any) -> set[str]:
    """The branches a push payload says were updated."""
    if not isinstance(payload, dict):
        return set()
    refs: list[Any] = [payload.get("ref")]
    if provider == "bitbucket":
        for change in (payload.get("push") or {}).get("changes") or []:  # Bitbucket Cloud
            new = (change or {}).get("new") or {}
            if new.get("type") == "branch":
                refs.append(f"refs/heads/{new.get('name')}")
        refs += [((c or {}).get("ref") or {}).get("id") for c in payload.get("changes") or []]  # Data Center
    return {r.removeprefix("refs/heads/") for r in refs if isinstance(r, str) and r.startswith("refs/heads/")}


class Receiver:
    """Verifies deliveries for one synced branch and remembers the ones it accepted."""

    def __init__(self, secret: bytes, branch: str, clock: Callable[[], float] = time.monotonic) -> None:
        if not secret:
            raise ValueError("a webhook secret is required")
        self.secret, self.branch, self.clock = secret, branch, clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def receive(self, provider: str, headers: Mapping[str, str], body: bytes) -> Outcome:
        spec = PROVIDERS[provider]
        lower = {k.lower(): v for k, v in headers.items()}
        if not spec.check(lower.get(spec.signature.lower()), self.secret, body):
            return Outcome(Verdict.UNSIGNED, "missing or wrong signature")
        keys = [f"body:{hashlib.sha256(body).hexdigest()}"]
        delivery = lower.get(spec.delivery.lower())
        if delivery:
            keys.append(f"delivery:{provider}:{delivery}")
        self._expire()
        if any(key in self._seen for key in keys):
            return Outcome(Verdict.REPLAYED, "this delivery was received before")
        for key in keys:
            self._seen[key] = self.clock()
        while len(self._seen) > REMEMBERED:
            self._seen.popitem(last=False)
        event = lower.get(spec.event.lower(), "")
        if event in spec.pings:
            return Outcome(Verdict.IGNORED, "ping")
        if event not in spec.pushes:
            return Outcome(Verdict.IGNORED, f"event `{event}` is not a push")
        try:
            payload = json.loads(body)
        except ValueError:
            return Outcome(Verdict.MALFORMED, "the body is not JSON")
        branches = pushed_branches(provider, payload)
        if self.branch not in branches:
            return Outcome(
                Verdict.IGNORED, f"a push to {', '.join(sorted(branches)) or 'no branch'}, not {self.branch}"
            )
        return Outcome(Verdict.SYNC, f"a push to {self.branch}")

    def _expire(self) -> None:
        horizon = self.clock() - REPLAY_WINDOW
        while self._seen and next(iter(self._seen.values())) < horizon:
            self._seen.popitem(last=False)
