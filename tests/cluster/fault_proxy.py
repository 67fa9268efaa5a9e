"""A fault injector in front of the real API server: an HTTPS proxy on loopback that forwards every
request to it (as the cluster's admin, as Dockyard's kubeconfig would) and answers the requests a
rule picks itself: with an error status (a 5xx, with or without Retry-After), or not at all (the
client's timeout), before or after the API server did it (an answer lost on the way back).
Everything else is the real one's answer, streamed (watches too)."""

from __future__ import annotations

import contextlib
import json
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from dockyard.localcluster import control_plane, kubeconfig
from dockyard.localcluster.layout import Layout
from dockyard.localcluster.pki import Pki

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade", "te", "trailer"}


@dataclass(frozen=True)
class Fault:
    status: int = 0
    """Answer with this status (a Kubernetes Status body); 0: say nothing for `silence` seconds."""
    retry_after: int | None = None
    silence: float = 0.0
    lost: bool = False
    """With `silence`: the request reaches the API server (the write is done), its answer is lost."""


Rule = Callable[[str, str], Fault | None]
"""(method, path with query) -> the fault to answer with, or None to forward."""


def _status(fault: Fault) -> bytes:
    reason = {500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}.get(fault.status, "InternalError")
    message = f"injected fault: {fault.status} {reason}"
    body = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "reason": reason}
    return json.dumps({**body, "code": fault.status}).encode()


class FaultProxy:
    def __init__(self, cluster: control_plane.Running, directory: Path) -> None:
        pki = Pki(Layout(cluster.name).pki)
        self.rule: Rule = lambda _method, _path: None
        self.faults: list[tuple[str, str, Fault]] = []
        trust = ssl.create_default_context(cafile=pki.ca_cert)
        trust.load_cert_chain(pki.client_cert("admin"), pki.client_key("admin"))
        upstream = httpx.Client(base_url=cluster.server, verify=trust, timeout=None)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fault = proxy.rule(self.command, self.path)
                if fault is not None:
                    proxy.faults.append((self.command, self.path, fault))
                    if fault.lost:  # done by the API server; the client never hears of it
                        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP | {"host"}}
                        upstream.send(upstream.build_request(self.command, self.path, headers=headers, content=body))
                    if not fault.status:
                        time.sleep(fault.silence)
                        self.close_connection = True
                        return
                    data = _status(fault)
                    self.send_response(fault.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    if fault.retry_after is not None:
                        self.send_header("Retry-After", str(fault.retry_after))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP | {"host"}}
                request = upstream.build_request(self.command, self.path, headers=headers, content=body)
                response = upstream.send(request, stream=True)
                try:
                    self.send_response(response.status_code)
                    for key, value in response.headers.items():
                        if key.lower() not in HOP_BY_HOP:
                            self.send_header(key, value)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for chunk in response.iter_raw():
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                finally:
                    response.close()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(pki.serving_cert, pki.serving_key)  # valid for 127.0.0.1, from the cluster's CA
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._upstream = upstream
        url = f"https://127.0.0.1:{self._server.server_address[1]}"
        self.kubeconfig = directory / "through-the-fault-proxy.yaml"
        kubeconfig.write(self.kubeconfig, kubeconfig.build(cluster.name, url, pki, "admin"))
        self.context = kubeconfig.context_name(cluster.name)

    @contextlib.contextmanager
    def running(self) -> Iterator[FaultProxy]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            self._upstream.close()
