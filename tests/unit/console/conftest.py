"""A console over a git copy of the example repo, and people of each role signed in to it."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dockyard.console.app import create_app
from dockyard.console.state import Console
from dockyard.console.web import Settings
from tests.helpers import commit_all, copy_example

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = copy_example(tmp_path / "repo")
    commit_all(root, "the example")
    return root


@pytest.fixture
def console(repo: Path, tmp_path: Path) -> Console:
    """No cluster: its kubeconfig does not exist, so live status reads `unknown` (never this machine's)."""
    return Console(repo, "local", recheck=0.0, kubeconfig=tmp_path / "no-kubeconfig", live_every=0.2)


@pytest.fixture
def client(console: Console) -> TestClient:
    app = create_app(console, Settings(dev_login=True, secure_cookies=False))
    return TestClient(app, base_url="http://127.0.0.1")


def csrf_of(client: TestClient, path: str = "/login") -> str:
    found = CSRF.search(client.get(path).text)
    assert found, f"no CSRF field on {path}"
    return found.group(1)


def sign_in(client: TestClient, role: str = "editor", team: str = "shop", name: str = "Ada Lovelace") -> TestClient:
    response = client.post(
        "/login",
        data={"csrf": csrf_of(client), "name": name, "email": "ada@example.com", "team": team, "role": role},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    client.headers["X-CSRF-Token"] = csrf_of(client, "/")
    return client


@pytest.fixture
def signed_in(client: TestClient) -> Callable[..., TestClient]:
    return lambda role="editor", team="shop": sign_in(client, role, team)


def posted_page(page: str) -> dict[str, object]:
    """What a browser posts for the page as it is (text inputs, chosen options, textareas, ticked boxes)."""
    fields: dict[str, object] = {}

    def add(name: str, value: str) -> None:
        value = html.unescape(value)
        if name in fields:
            previous = fields[name]
            fields[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            fields[name] = value

    form = page.split('id="service-form"')[1].split("</form>")[0]
    for tag in re.findall(r"<input [^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and ('type="checkbox"' not in tag or " checked" in tag) and 'type="file"' not in tag:
            add(name.group(1), value.group(1) if value else ("on" if 'type="checkbox"' in tag else ""))
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body) or re.search(r'<option value="([^"]*)"', body)
        add(name, chosen.group(1) if chosen else "")
    for name, body in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        add(name, body.removeprefix("\n"))
    return fields
