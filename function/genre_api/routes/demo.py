"""GET /: a page to try the model in a browser (demo.html), with a policy that allows exactly its
own inline script and style."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from genre_api.security import CSP, PAGE_HEADERS, inline_sources, policy

DEMO_PAGE = Path(__file__).resolve().parents[1] / "demo.html"


def demo_router() -> APIRouter:
    router = APIRouter()
    page = DEMO_PAGE.read_text(encoding="utf-8")
    # It calls the API (relative URLs) and has a data: favicon; it loads nothing else.
    headers = {
        CSP: policy({**inline_sources(page), "connect-src": "'self'", "img-src": "data:"}),
        **PAGE_HEADERS,
    }

    @router.get("/", summary="A page to try the model in a browser", response_class=HTMLResponse)
    async def demo() -> HTMLResponse:
        return HTMLResponse(page, headers=headers)

    return router
