"""The security headers: on every answer, and the Content-Security-Policy of the HTML pages.

Every answer says nosniff (a browser never reads JSON as HTML or script) and may not be framed
(X-Frame-Options and the policy's frame-ancestors, against clickjacking). An answer whose route
set no policy, JSON, gets one that lets it load nothing at all. The HTML pages allow exactly
what they load: their own inline <script> and <style> by sha256, computed from the page itself,
so that an edit of the page stays covered and injected markup never runs.
"""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "Content-Security-Policy"
# For answers that are not pages: nothing may load from them, nothing may frame them.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
# What a page's policy always says: nothing by default, no <base>, no framing.
PAGE_DIRECTIVES = {
    "default-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'none'",
    "frame-ancestors": "'none'",
}
# What a page sends besides its policy.
PAGE_HEADERS = {"Referrer-Policy": "no-referrer"}


def policy(directives: dict[str, str]) -> str:
    """A Content-Security-Policy: PAGE_DIRECTIVES, then directives (which win)."""
    merged = {**PAGE_DIRECTIVES, **directives}
    return "; ".join(f"{name} {sources}" for name, sources in merged.items())


def sha256_source(text: str) -> str:
    """The CSP hash source of an inline element's text, as a browser computes it: over the text
    between the tags, UTF-8, after HTML's newline normalisation (CRLF and CR become LF)."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    digest = hashlib.sha256(normalised.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


class _InlineBlocks(HTMLParser):
    """The text of each inline <script> (no src) and <style> element of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.blocks: dict[str, list[str]] = {"script": [], "style": []}
        self._open: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.blocks and not (tag == "script" and dict(attrs).get("src")):
            self._open, self._text = tag, []

    def handle_data(self, data: str) -> None:
        if self._open:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            self.blocks[tag].append("".join(self._text))
            self._open = None


def inline_sources(page: str) -> dict[str, str]:
    """script-src and style-src that allow exactly page's inline scripts and styles."""
    parser = _InlineBlocks()
    parser.feed(page)
    parser.close()
    sources = {}
    for tag, texts in parser.blocks.items():
        if texts:
            sources[f"{tag}-src"] = " ".join(dict.fromkeys(sha256_source(t) for t in texts))
    return sources


class SecurityHeaders:
    """ASGI middleware: nosniff and no framing on every answer, API_POLICY where the route set
    no Content-Security-Policy of its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers.setdefault(CSP, API_POLICY)
            await send(message)

        await self.app(scope, receive, send_with_headers)
