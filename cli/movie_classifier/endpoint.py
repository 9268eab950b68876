"""What --endpoint (or a stack's GenreApiUrl) may be: a plain http(s) base URL, parsed once.

Anything else is a usage error before any network: a user name or password, a query or a
fragment (a base URL has none, and they are how look-alike hosts such as
`https://2130706433?.execute-api...` are made), spaces, control or non-ASCII characters, and any
URL that Python's parser and urllib3's (which requests connects with) read as different hosts.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from movie_classifier.constants import EMBEDDED
from movie_classifier.errors import UsageProblem


@dataclass(frozen=True)
class Endpoint:
    url: str  # as given, less a trailing slash: routes are appended to it
    scheme: str  # "http" or "https"
    host: str  # lower case, IPv6 without brackets, a trailing dot kept


def parse_endpoint(text: str, option: str = "--endpoint") -> Endpoint:
    """text as an Endpoint, or the UsageProblem that says what is wrong with it."""
    problem = _problem(text)
    if problem:
        raise UsageProblem(f"{option} {text!r} {problem}")
    parts = urlsplit(text)
    return Endpoint(text.rstrip("/"), parts.scheme, str(parts.hostname))


def _problem(text: str) -> str | None:
    if not text.isascii() or not text.isprintable() or " " in text or "\\" in text:
        return "has spaces, backslashes, control or non-ASCII characters"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  a port that is not a number raises here
        connected_to = parse_url(text).host
    except (ValueError, LocationParseError) as error:
        return f"is not a URL ({error})"
    if parts.scheme not in ("http", "https"):
        return f"is not an http(s) URL nor '{EMBEDDED}'"
    if not parts.hostname:
        return "has no host"
    if parts.username is not None or parts.password is not None:
        return "has a user name or password before its host: the API takes none"
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        return "has a query or fragment: give the API's base URL"
    if (connected_to or "").strip("[]").lower() != parts.hostname:
        return "is read as different hosts by different URL parsers"
    return None
