"""GET /docs in a real browser with every request off this machine refused: Swagger UI renders
from the API's own files (no CDN), and lists the API's routes."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.helpers.browser import browser_page
from tests.helpers.servers import served_api


def test_swagger_ui_works_offline() -> None:
    fetched: list[str] = []
    with served_api() as api, browser_page() as (page, errors):

        def only_this_api(route: object) -> None:
            url = route.request.url  # type: ignore[attr-defined]
            fetched.append(url)
            if urlsplit(url).netloc == urlsplit(api).netloc:
                route.continue_()  # type: ignore[attr-defined]
            else:
                route.abort()  # type: ignore[attr-defined]

        page.route("**/*", only_this_api)
        page.goto(f"{api}/docs")
        page.get_by_text("/genres", exact=True).first.wait_for(timeout=15_000)
        assert page.locator(".swagger-ui .opblock").count() >= 4
    assert errors == []
    assert {urlsplit(url).path for url in fetched} >= {
        "/docs",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-ui.css",
        "/openapi.json",
    }
    assert all(urlsplit(url).netloc == urlsplit(api).netloc for url in fetched), fetched
