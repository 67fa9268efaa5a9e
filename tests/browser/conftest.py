"""The console served for real (uvicorn on a loopback port) over a git copy of the example repo,
and a page of the distribution's Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dockyard.console.app import create_app
from dockyard.console.serving import in_thread
from dockyard.console.state import Console
from dockyard.console.web import Settings
from tests.browsers import chromium_page
from tests.helpers import commit_all, copy_example

pytestmark = pytest.mark.browser


@dataclass
class Served:
    url: str
    repo: Path


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    repo = copy_example(tmp_path / "repo")
    commit_all(repo, "the example")
    console = Console(repo, "local", recheck=0.0, kubeconfig=tmp_path / "no-kubeconfig")
    with in_thread(create_app(console, Settings(dev_login=True, secure_cookies=False))) as url:
        yield Served(url, repo)


@pytest.fixture
def page() -> Iterator[Any]:
    with chromium_page() as opened:
        yield opened
