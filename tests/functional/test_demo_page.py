"""The demo page (GET /) in a real browser, against the API as `make serve` runs it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.browser import browser_page, classify_in_page
from tests.helpers.data import OTHELLO, REPO
from tests.helpers.servers import served_api

SCREENSHOT = REPO / "build" / "demo.png"


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    with served_api() as url:
        yield url


def test_othello_is_classified_with_bars_and_highlighted_words(api: str) -> None:
    with browser_page() as (page, errors):
        classify_in_page(page, f"{api}/", OTHELLO["title"], OTHELLO["description"])
        page.wait_for_selector("#result:not([hidden])")
        summary = page.locator("#summary").inner_text()
        assert summary.startswith("Most likely: Drama.")
        bars = page.locator("#bars li")
        assert bars.count() == 5
        for genre in ("Action", "Comedy", "Drama", "Romance", "Thriller"):
            bar = page.locator(f'#bars li[data-genre="{genre}"]')
            assert bar.locator(".threshold").count() == 1
            assert genre in bar.locator(".track").get_attribute("aria-label")
        marks = page.locator("#highlighted mark")
        assert marks.count() >= 1
        assert all(text in OTHELLO["description"] for text in marks.all_inner_texts())
        assert page.locator("#legend li").count() == 5
        assert "micro F1 0.6" in page.locator("#model").inner_text()
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        assert errors == []


def test_a_refused_request_shows_the_apis_message(api: str) -> None:
    with browser_page() as (page, errors):
        classify_in_page(page, f"{api}/", "Othello", "   ")
        alert = page.get_by_role("alert")
        alert.wait_for()
        assert "description" in alert.inner_text()
        assert "must contain a non-whitespace character" in alert.inner_text()
        assert page.locator("#result").is_hidden()
        # The browser logs the 422 as a failed load; nothing else may reach the console.
        assert all("422" in error for error in errors), errors


def test_a_network_error_is_said_in_words(api: str) -> None:
    with browser_page() as (page, errors):
        page.route("**/explain", lambda route: route.abort())
        classify_in_page(page, f"{api}/", OTHELLO["title"], OTHELLO["description"])
        page.get_by_role("alert").wait_for()
        assert "could not be reached" in page.get_by_role("alert").inner_text()
        # The aborted request is logged as failed; nothing else may reach the console.
        assert all("ERR_FAILED" in error for error in errors), errors


def test_the_keyboard_alone_classifies(api: str) -> None:
    with browser_page() as (page, errors):
        page.goto(f"{api}/")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "title"
        page.keyboard.type(OTHELLO["title"])
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "description"
        page.keyboard.type(OTHELLO["description"])
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Classify"
        page.keyboard.press("Enter")
        page.wait_for_selector("#result:not([hidden])")
        assert page.locator("#summary").inner_text().startswith("Most likely: Drama.")
        assert errors == []


@pytest.mark.parametrize("page_path", ["/Prod/", "/Prod"])
def test_behind_a_stage_prefix_every_call_stays_below_it(api: str, page_path: str) -> None:
    """As API Gateway serves a named stage: a proxy that strips /Prod before the app."""
    with browser_page() as (page, errors):
        requested: list[str] = []

        def stage(route: object) -> None:
            request_url = route.request.url  # type: ignore[attr-defined]
            requested.append(request_url)
            response = route.fetch(url=request_url.replace("/Prod", "", 1))  # type: ignore[attr-defined]
            route.fulfill(response=response)  # type: ignore[attr-defined]

        page.route("**/*", stage)
        classify_in_page(page, f"{api}{page_path}", OTHELLO["title"], OTHELLO["description"])
        page.wait_for_selector("#result:not([hidden])")
        assert {url.rsplit("/", 1)[-1].split("?")[0] for url in requested} >= {"model", "explain"}
        assert all(url.startswith(f"{api}/Prod") for url in requested), requested
        assert errors == []
