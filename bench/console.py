"""Benchmark the console on a generated platform repo of 1,000 services (each with a contract, a
route, a database and a dependency, as bench/validate.py makes them), served for real by uvicorn on
a loopback port and asked over HTTP, as a browser would.

- catalog: GET / (every service in one page), server time (the Server-Timing header) and the time
  a client sees, p50 and p95 over `--requests` warm requests; the page's weight, with the
  stylesheet and htmx it loads;
- live validation: POST /drafts of one service's edit form with its image changed (what
  the page sends as a person types), warm, p50 and p95;
- save: one service's change saved (the whole repo validated and checked for every cluster, then
  a commit), the median of three;
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
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from validate import generate

from dockyard.console.app import create_app
from dockyard.console.serving import in_thread
from dockyard.console.state import Console
from dockyard.console.web import Settings
from dockyard.render.remembered import remember_renders


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 1), "p95": round(p95, 1)}


def _server_ms(response: httpx.Response) -> float:
    return float(response.headers["server-timing"].split("dur=")[1])


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


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
        remember_renders()  # as `dockyard console` does
        with in_thread(app) as url:
            print(json.dumps(_measure(url, args.services, args.requests), indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _measure(url: str, services: int, requests: int) -> dict[str, object]:
    client = httpx.Client(base_url=url, timeout=120)
    started = time.perf_counter()
    login = client.get("/login")  # the first request: the repo is loaded, merged and rendered
    first_view = time.perf_counter() - started
    person = {"name": "Bench", "email": "b@example.com", "team": "team-0", "role": "admin", "csrf": _csrf(login.text)}
    client.post("/login", data=person)
    first = client.get("/")
    assert first.status_code == 200 and first.text.count("<tr><td><a href=") == services
    client.headers["X-CSRF-Token"] = _csrf(first.text)
    catalog_server, catalog_client = [], []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get("/")
        catalog_client.append((time.perf_counter() - started) * 1000)
        catalog_server.append(_server_ms(response))
    assets = sum(len(client.get(path).content) for path in ("/static/console.css", "/static/htmx.min.js"))
    name = f"svc-{services // 2:04d}"
    form = {"new": "false", "name": name, "team": "team-0", "image": "registry.example.com/x:2", "port": "8080"}
    form |= {"database": "on", "route_host": name, "route_path": "/", "variables": "LOG_LEVEL=info"}
    form |= {"health_path": "/ready"}
    checked = client.post("/drafts", data=form)
    assert "The pipeline finds nothing wrong" in checked.text, checked.text[:2000]
    draft_server, draft_client = [], []
    for index in range(requests):
        form["image"] = f"registry.example.com/x:2.{index}"
        started = time.perf_counter()
        response = client.post("/drafts", data=form)
        draft_client.append((time.perf_counter() - started) * 1000)
        draft_server.append(_server_ms(response))
    saves = []
    for index in range(3):  # a change saved: the whole repo validated and checked for every cluster, then a commit
        body = {
            **form,
            "image": f"registry.example.com/x:3.{index}",
            "database": True,
            "variables": {"LOG_LEVEL": "info"},
        }
        started = time.perf_counter()
        saved = client.put(f"/api/services/{name}", json=body)
        saves.append(time.perf_counter() - started)
        assert saved.status_code == 200, saved.text[:2000]
    return {
        "services": services,
        "save_s": round(statistics.median(saves), 2),
        "first_view_s": round(first_view, 2),
        "catalog_server_ms": _percentiles(catalog_server),
        "catalog_client_ms": _percentiles(catalog_client),
        "catalog_page_kB": round(len(first.content) / 1000, 1),
        "catalog_with_assets_kB": round((len(first.content) + assets) / 1000, 1),
        "live_validation_server_ms": _percentiles(draft_server),
        "live_validation_client_ms": _percentiles(draft_client),
    }


if __name__ == "__main__":
    main()
