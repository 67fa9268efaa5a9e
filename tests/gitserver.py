"""Smart HTTP for git clients on loopback, through the real `git http-backend` (CGI), read-only;
optionally behind HTTP basic authentication, as a hosted git server is."""

from __future__ import annotations

import base64
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _GitHttp(BaseHTTPRequestHandler):
    root: Path
    account: tuple[str, str] | None = None
    refused: list[str]

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._backend(b"")

    def do_POST(self) -> None:
        self._backend(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def _authorized(self) -> bool:
        if self.account is None:
            return True
        user, password = self.account
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        if self.headers.get("Authorization") == expected:
            return True
        self.refused.append(self.headers.get("Authorization") or "")
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="git"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def _backend(self, body: bytes) -> None:
        if not self._authorized():
            return
        path, _q, query = self.path.partition("?")
        env = {
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": "127.0.0.1",
            "PATH": os.environ["PATH"],
        }
        if self.headers.get("Git-Protocol"):
            env["HTTP_GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        done = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, check=False)
        head, _sep, payload = done.stdout.partition(b"\r\n\r\n")
        status = 200
        headers = []
        for line in head.decode("latin-1").split("\r\n"):
            key, _c, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.strip().split()[0])
            elif key:
                headers.append((key, value.strip()))
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def serve_git(root: Path, account: tuple[str, str] | None = None) -> tuple[ThreadingHTTPServer, list[str]]:
    """Serve the repositories under `root` at http://127.0.0.1:PORT/<name>; the list collects the
    Authorization headers refused (empty when `account` is None)."""
    refused: list[str] = []
    handler = type("Handler", (_GitHttp,), {"root": root, "account": account, "refused": refused})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, refused
