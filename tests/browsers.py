"""The distribution's Chromium, driven by Playwright (it never downloads a browser of its own)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed; scripts/test installs it (scripts/install-chromium)")
        pytest.skip("Chromium is not installed (scripts/install-chromium installs it)")
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
