from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_parse_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test session parses into its own cache, so tests never see a stale entry from elsewhere."""
    monkeypatch.setenv("DOCKYARD_PARSE_CACHE", str(tmp_path_factory.getbasetemp() / "parse-cache"))
    monkeypatch.setenv("DOCKYARD_CHART_CACHE", str(tmp_path_factory.getbasetemp() / "chart-cache"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="Rewrite golden files from the current output.")
