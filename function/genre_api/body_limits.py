"""How large a body each route reads: no less than any valid request can need, and far under
Lambda's payload limit. A larger body is a 413 before it is parsed (FastAPI's max_body_size).
"""

from __future__ import annotations

from collections.abc import Sequence

from genre_api.settings import Settings
from genre_model.constants import LAMBDA_PAYLOAD_BYTES

# A character may arrive JSON-escaped: \uXXXX, and a surrogate pair (12 bytes) for one
# character outside the Basic Multilingual Plane, which the length limits count as one.
ESCAPED_CHAR_BYTES = 12
# One movie's JSON beyond its text: keys, quotes, separators, "top", whitespace.
MOVIE_SYNTAX_BYTES = 1024
# A genre's JSON beyond its name, in a list or as a key with its score: quotes, separators,
# whitespace, a number written out at length.
GENRE_SYNTAX_BYTES = 64
# Half of Lambda's payload: the event carries the body in an envelope, base64-encoded (a third
# more) or escaped as a JSON string.
MAX_BODY_BYTES = LAMBDA_PAYLOAD_BYTES // 2


def movie_body_bytes(settings: Settings) -> int:
    """The largest body of one movie at the length limits (POST /genre, /explain)."""
    text = settings.max_title_chars + settings.max_description_chars
    return min(MAX_BODY_BYTES, ESCAPED_CHAR_BYTES * text + MOVIE_SYNTAX_BYTES)


def correction_body_bytes(settings: Settings, labels: Sequence[str]) -> int:
    """The largest correction (POST /feedback): a movie, every genre named in genres and in
    scores, and a model version."""
    genre_names = sum(ESCAPED_CHAR_BYTES * len(label) + GENRE_SYNTAX_BYTES for label in labels)
    return min(MAX_BODY_BYTES, movie_body_bytes(settings) + 2 * genre_names + MOVIE_SYNTAX_BYTES)


def batch_body_bytes(settings: Settings) -> int:
    """The largest body of a full batch at the length limits (POST /genres), or MAX_BODY_BYTES."""
    return min(MAX_BODY_BYTES, settings.max_batch * movie_body_bytes(settings) + MOVIE_SYNTAX_BYTES)
