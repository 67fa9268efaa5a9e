"""The sync controller's HTTP endpoints: push webhooks, health, readiness and metrics.

    POST /hooks/<provider>   github, gitlab, gitea, forgejo, bitbucket (webhooks.py)
    GET  /healthz            200 while the loop runs
    GET  /readyz             200 when the newest fetched revision is applied, else 503
    GET  /metrics            Prometheus text format

A body larger than 1 MiB is refused (413) before it is read; a body without a length (chunked)
with 411. Nothing a request carries is logged except the provider and the verdict.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from dockyard.sync.metrics import Metrics
from dockyard.sync.webhooks import MAX_BODY, PROVIDERS, Outcome, Receiver, Verdict


class Endpoints:
    def __init__(
        self,
        receiver: Receiver | None,
        metrics: Metrics,
        wake: threading.Event,
        ready: Callable[[], bool],
        alive: Callable[[], bool],
        log: Callable[[str], None],
    ) -> None:
        self.receiver, self.metrics, self.wake = receiver, metrics, wake
        self.ready, self.alive, self.log = ready, alive, log

    def serve(self, host: str, port: int) -> ThreadingHTTPServer:
        endpoints = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "dockyard-sync"
            sys_version = ""

            def log_message(self, format: str, *args: object) -> None:
                pass  # requests are counted in the metrics; their content is never logged

            def do_GET(self) -> None:
                if self.path == "/healthz":
                    self._answer(200 if endpoints.alive() else 503, b"ok\n" if endpoints.alive() else b"stopped\n")
                elif self.path == "/readyz":
                    ready = endpoints.ready()
                    self._answer(200 if ready else 503, b"ready\n" if ready else b"not ready\n")
                elif self.path == "/metrics":
                    self._answer(200, endpoints.metrics.exposition(), "text/plain; version=0.0.4")
                else:
                    self._answer(404, b"not found\n")

            def do_POST(self) -> None:
                provider = self.path.removeprefix("/hooks/")
                if not self.path.startswith("/hooks/") or provider not in PROVIDERS:
                    self._answer(404, b"not found\n")
                    return
                if endpoints.receiver is None:
                    self._answer(404, b"webhooks are off (no secret)\n")
                    return
                length = self.headers.get("Content-Length")
                if length is None or not length.isdigit():
                    self._answer(411, b"a Content-Length is required\n")
                    return
                if int(length) > MAX_BODY:
                    self._count(provider, "oversized")
                    self._answer(413, b"the body is larger than 1 MiB\n")
                    return
                body = self.rfile.read(int(length))
                outcome = endpoints.receiver.receive(provider, dict(self.headers.items()), body)
                self._count(provider, outcome.verdict.value)
                endpoints.log(f"webhook {provider}: {outcome.verdict.value} ({outcome.detail})")
                if outcome.verdict is Verdict.SYNC:
                    endpoints.wake.set()
                self._answer(outcome.status, _text(outcome))

            def _count(self, provider: str, verdict: str) -> None:
                endpoints.metrics.webhooks.labels(provider, verdict).inc()

            def _answer(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                if status >= 400:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                if status >= 400:
                    self.close_connection = True

        server = ThreadingHTTPServer((host, port), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, name="dockyard-sync-http", daemon=True)
        thread.start()
        return server


def _text(outcome: Outcome) -> bytes:
    return f"{outcome.verdict.value}: {outcome.detail}\n".encode()
