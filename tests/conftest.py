from __future__ import annotations

import ipaddress
import sys
from collections.abc import Iterator
from typing import Any

import pytest


def _loopback_only(event: str, args: tuple[Any, ...]) -> None:
    """Tests reach loopback addresses only: any other connection (or name lookup) in the test
    process is refused, so a fetch Dockyard should never make fails the test that made it."""
    if event == "socket.connect":
        address = args[1]
        host = address[0] if isinstance(address, tuple) and address else None
    elif event == "socket.getaddrinfo":
        host = args[0]
    else:
        return
    if host is None or host in ("localhost", b"localhost", ""):
        return
    try:
        loopback = ipaddress.ip_address(host.decode() if isinstance(host, bytes) else host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConnectionRefusedError(f"test network guard: {host!r} is not a loopback address")


sys.addaudithook(_loopback_only)


@pytest.fixture(autouse=True)
def _private_parse_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test session parses into its own cache, so tests never see a stale entry from elsewhere."""
    monkeypatch.setenv("DOCKYARD_PARSE_CACHE", str(tmp_path_factory.getbasetemp() / "parse-cache"))
    monkeypatch.setenv("DOCKYARD_CHART_CACHE", str(tmp_path_factory.getbasetemp() / "chart-cache"))


@pytest.fixture(autouse=True)
def _renders_from_nothing() -> Iterator[None]:
    """A test that runs a front end which remembers renders (console, sync, watch) in this process
    leaves nothing remembered for the next test."""
    yield
    from dockyard.render.remembered import forget_renders

    forget_renders()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="Rewrite golden files from the current output.")
