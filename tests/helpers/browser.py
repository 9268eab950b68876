"""A real browser for the demo page: Playwright driving the Chromium that
tests/helpers/chromium.py finds (the system's, else Playwright's own)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.helpers.chromium import INSTALL_HINT, find_chromium

# As root (no sandbox), and without background connections that a closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def browser_page() -> Iterator[tuple[Any, list[str]]]:
    """A page and the console errors it logs (JavaScript errors and failed loads included)."""
    chromium = find_chromium()
    if chromium is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 1000})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            yield page, errors
        finally:
            browser.close()


def classify_in_page(page: Any, url: str, title: str, description: str) -> None:
    """Open the demo page, type the movie and press Classify, as a user would."""
    page.goto(url)
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill(description)
    page.get_by_role("button", name="Classify").click()
