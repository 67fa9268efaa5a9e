"""The distribution's Chromium, driven by Playwright (it never downloads a browser of its own)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


def chromium() -> str:
    """The browser tests need it as the Keycloak tests need Java: a clear failure when it is missing."""
    found = shutil.which("chromium")
    if found is None:
        pytest.fail("Chromium is not installed: run scripts/install-chromium (scripts/test runs it)")
    return found


@contextmanager
def chromium_page() -> Iterator[Any]:
    """A new page in a headless Chromium, closed afterwards."""
    from playwright.sync_api import sync_playwright

    executable = chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        try:
            yield browser.new_page()
        finally:
            browser.close()
