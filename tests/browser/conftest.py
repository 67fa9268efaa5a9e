"""The console served for real (uvicorn on a loopback port) and the distribution's Chromium driven
by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from dockyard.console.app import create_app
from dockyard.console.state import Console
from dockyard.console.web import Settings
from tests.helpers import commit_all, copy_example

pytestmark = pytest.mark.browser


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed; scripts/test installs it (scripts/install-chromium)")
        pytest.skip("Chromium is not installed (scripts/install-chromium installs it)")
    return found


@dataclass
class Served:
    url: str
    repo: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    repo = copy_example(tmp_path / "repo")
    commit_all(repo, "the example")
    console = Console(repo, "local", recheck=0.0, kubeconfig=tmp_path / "no-kubeconfig")
    app = create_app(console, Settings(dev_login=True, secure_cookies=False))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the console did not start"
        time.sleep(0.02)
    yield Served(f"http://127.0.0.1:{port}", repo)
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()
