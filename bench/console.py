"""Benchmark the console on a generated platform repo of 1,000 services (each with a contract, a
route, a database and a dependency, as bench/validate.py makes them), served for real by uvicorn on
a loopback port and asked over HTTP, as a browser would.

- catalog: GET / (every service in one page), server time (the Server-Timing header) and the time
  a client sees, p50 and p95 over `--requests` warm requests; the page's weight, with the
  stylesheet and htmx it loads;
- live validation: POST /drafts of one service's edit form with its image changed (what
  the page sends as a person types), warm, p50 and p95;
- first view: the first request after start (the repo loaded, merged and rendered once; the
  parse cache as earlier runs left it).

No peer is run beside it: the consoles of the tools in this field (Argo CD's, Backstage) need a
cluster or a database this machine cannot run.

    uv run python bench/console.py [--services 1000] [--requests 50]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from validate import generate

from dockyard.console.app import create_app
from dockyard.console.state import Console
from dockyard.console.web import Settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _server_ms(response: httpx.Response) -> float:
    return float(response.headers["server-timing"].split("dur=")[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dockyard-bench-console-"))
    try:
        repo = work / "repo"
        generate(repo, args.services)
        env = {
            "GIT_AUTHOR_NAME": "b",
            "GIT_AUTHOR_EMAIL": "b@b",
            "GIT_COMMITTER_NAME": "b",
            "GIT_COMMITTER_EMAIL": "b@b",
        }
        for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "generated"]):
            subprocess.run(["git", *command], cwd=repo, env=env, check=True)
        app = create_app(Console(repo, "local"), Settings(dev_login=True, secure_cookies=False))
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.01)
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
        started = time.perf_counter()
        login = client.get("/login")  # the first request: the repo is loaded, merged and rendered
        first_view = time.perf_counter() - started
        token = re.search(r'name="csrf" value="([^"]+)"', login.text).group(1)  # type: ignore[union-attr]
        person = {"name": "Bench", "email": "b@example.com", "team": "team-0", "role": "admin", "csrf": token}
        client.post("/login", data=person)
        first = client.get("/")
        assert first.status_code == 200 and first.text.count("<tr><td><a href=") == args.services
        client.headers["X-CSRF-Token"] = re.search(r'name="csrf" value="([^"]+)"', first.text).group(1)  # type: ignore[union-attr]
        catalog_server, catalog_client = [], []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get("/")
            catalog_client.append((time.perf_counter() - started) * 1000)
            catalog_server.append(_server_ms(response))
        assets = sum(len(client.get(path).content) for path in ("/static/console.css", "/static/htmx.min.js"))
        name = f"svc-{args.services // 2:04d}"
        form = {"new": "false", "name": name, "team": "team-0", "image": "registry.example.com/x:2", "port": "8080"}
        form |= {"database": "on", "route_host": name, "route_path": "/", "variables": "LOG_LEVEL=info"}
        checked = client.post("/drafts", data=form)
        assert "The pipeline finds nothing wrong" in checked.text, checked.text[:2000]
        draft_server, draft_client = [], []
        for index in range(args.requests):
            form["image"] = f"registry.example.com/x:2.{index}"
            started = time.perf_counter()
            response = client.post("/drafts", data=form)
            draft_client.append((time.perf_counter() - started) * 1000)
            draft_server.append(_server_ms(response))
        server.should_exit = True
        result = {
            "services": args.services,
            "first_view_s": round(first_view, 2),
            "catalog_server_ms": {
                "p50": round(statistics.median(catalog_server), 1),
                "p95": round(_percentile(catalog_server, 0.95), 1),
            },
            "catalog_client_ms": {
                "p50": round(statistics.median(catalog_client), 1),
                "p95": round(_percentile(catalog_client, 0.95), 1),
            },
            "catalog_page_kB": round(len(first.content) / 1000, 1),
            "catalog_with_assets_kB": round((len(first.content) + assets) / 1000, 1),
            "live_validation_server_ms": {
                "p50": round(statistics.median(draft_server), 1),
                "p95": round(_percentile(draft_server, 0.95), 1),
            },
            "live_validation_client_ms": {
                "p50": round(statistics.median(draft_client), 1),
                "p95": round(_percentile(draft_client, 0.95), 1),
            },
        }
        print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
