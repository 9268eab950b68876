"""A correction: a user's statement of a movie's right genres, as the API stores it and training
reads it back. Standard library only: the API, the CLI and training all import it.

Each correction is one S3 object, partitioned by the UTC date it was received:

    s3://$MOVIE_GENRE_FEEDBACK_BUCKET/$MOVIE_GENRE_FEEDBACK_PREFIX/date=YYYY-MM-DD/<id>.json

One object per correction: a write never touches another's (no read-modify-write, no lost
update), it is created with If-None-Match: * and never replaced, and a reader lists a date range
without an index. The record carries everything training needs; nothing else is stored.
"""

from __future__ import annotations

import ast
import json
import math
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# The settings the API reads (function/genre_api/settings.py) and the template sets.
FEEDBACK_BUCKET_ENV = "MOVIE_GENRE_FEEDBACK_BUCKET"
FEEDBACK_PREFIX_ENV = "MOVIE_GENRE_FEEDBACK_PREFIX"
DEFAULT_FEEDBACK_PREFIX = "feedback"
# The API's 503 detail without a bucket: clients (the CLI, the demo page) recognise it.
FEEDBACK_NOT_CONFIGURED = "feedback is not configured"
# What a stored record says it is: a reader refuses any other schema rather than guess.
SCHEMA = "movie-genre-correction/1"
CONTENT_TYPE = "application/json"
# Far above any correction the API accepts (its text limits are at most 110,000 characters, at
# most 4 bytes each in UTF-8): a reader refuses a bigger object without reading it.
MAX_RECORD_BYTES = 1024 * 1024
# The partition of a key: date=YYYY-MM-DD, the UTC day the correction was received.
PARTITION = "date="
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", re.ASCII)
_REQUIRED_TEXT = ("title", "description", "served_by")
_OPTIONAL_TEXT = ("model_version", "request_id")
# Genre names, model versions and request ids are short; anything longer is not one of them.
MAX_NAME_CHARS = 200


class CorrectionError(ValueError):
    """A stored object that is not a correction: the message says why."""


@dataclass(frozen=True)
class Correction:
    """What a user said a movie's genres are, and where and when it was said.

    genres is the full set of right labels, sorted; empty means "none of these". model_version
    and scores are what the user saw, when the client sent them; served_by is the model version
    of the function that received the correction.
    """

    id: str
    title: str
    description: str
    genres: tuple[str, ...]
    received_at: datetime  # UTC
    served_by: str
    request_id: str | None = None
    model_version: str | None = None
    scores: Mapping[str, float] | None = field(default=None, hash=False)

    @property
    def movie_key(self) -> str:
        return movie_key(self.title, self.description)

    def object_key(self, prefix: str) -> str:
        """Where this correction is stored under prefix ('' for the bucket's root)."""
        date = self.received_at.strftime("%Y-%m-%d")
        parts = (prefix.strip("/"), PARTITION + date, f"{self.id}.json")
        return "/".join(part for part in parts if part)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "id": self.id,
            "received_at": self.received_at.isoformat(timespec="microseconds"),
            "served_by": self.served_by,
            "request_id": self.request_id,
            "title": self.title,
            "description": self.description,
            "genres": list(self.genres),
            "model_version": self.model_version,
            "scores": dict(self.scores) if self.scores is not None else None,
        }

    def encode(self) -> bytes:
        return (json.dumps(self.to_json(), ensure_ascii=False, allow_nan=False) + "\n").encode()

    @classmethod
    def decode(cls, data: bytes) -> Correction:
        """A stored object read back; CorrectionError says why it is not a correction."""
        if len(data) > MAX_RECORD_BYTES:
            raise CorrectionError(f"{len(data)} bytes: more than a correction can be")
        try:
            return cls.from_json(json.loads(data.decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CorrectionError(f"not UTF-8 JSON ({error})") from error

    @classmethod
    def from_json(cls, record: object) -> Correction:
        if not isinstance(record, dict):
            raise CorrectionError(f"not a JSON object but {type(record).__name__}")
        if record.get("schema") != SCHEMA:
            raise CorrectionError(f"schema {_short(record.get('schema'))}, not {SCHEMA!r}")
        identifier = record.get("id")
        if not isinstance(identifier, str) or not _ID.fullmatch(identifier):
            raise CorrectionError(f"id {_short(identifier)} is not a UUID4 in lower case")
        for name in _REQUIRED_TEXT:
            if not _is_text(record.get(name)):
                raise CorrectionError(f"{name} is missing or empty")
        for name in _OPTIONAL_TEXT:
            value = record.get(name)
            if value is not None and not (_is_text(value) and len(value) <= MAX_NAME_CHARS):
                raise CorrectionError(f"{name} {_short(value)} is not a short text")
        return cls(
            id=identifier,
            title=record["title"],
            description=record["description"],
            genres=_genres(record.get("genres")),
            received_at=_utc(record.get("received_at")),
            served_by=record["served_by"],
            request_id=record.get("request_id"),
            model_version=record.get("model_version"),
            scores=_scores(record.get("scores")),
        )


def new_correction(
    *,
    title: str,
    description: str,
    genres: Iterable[str],
    served_by: str,
    request_id: str | None = None,
    model_version: str | None = None,
    scores: Mapping[str, float] | None = None,
    now: datetime | None = None,
) -> Correction:
    """A correction received now, with a new random id."""
    return Correction(
        id=str(uuid.uuid4()),
        title=title,
        description=description,
        genres=tuple(sorted(set(genres))),
        received_at=(now or datetime.now(UTC)).astimezone(UTC),
        served_by=served_by,
        request_id=request_id,
        model_version=model_version,
        scores=dict(scores) if scores is not None else None,
    )


def latest_first(corrections: Iterable[Correction]) -> list[Correction]:
    """Newest first: by the time received, then by id (a fixed order for equal times)."""
    return sorted(corrections, key=lambda c: (c.received_at, c.id), reverse=True)


def normalise(text: str) -> str:
    """text as the matching sees it: Unicode compatibility forms folded (NFKC: full-width
    letters, ligatures), case folded (German ß = ss), whitespace runs as one space, stripped."""
    return " ".join(
        unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold()).split()
    )


def movie_key(title: str, description: str) -> str:
    """The key two records of the same movie share: the normalised title and description.

    A newline separates them: normalise leaves none inside either part.
    """
    return f"{normalise(title)}\n{normalise(description)}"


def movies_dataset_genres(cell: object) -> list[str] | None:
    """Names from The Movies Dataset's genres cell, "[{'id': 18, 'name': 'Drama'}, ...]";
    None when the cell is not such a list."""
    if not isinstance(cell, str):
        return None
    try:
        parsed = ast.literal_eval(cell)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if not isinstance(parsed, list):
        return None
    names = [item.get("name") for item in parsed if isinstance(item, dict)]
    strings = [name for name in names if isinstance(name, str)]
    return strings if len(strings) == len(parsed) else None


def genre_names(cell: str) -> list[str] | None:
    """Genre names from a CSV cell: "Comedy, Romance", "Comedy;Romance", or The Movies Dataset's
    list of dicts; [] for an empty cell ("none of these"); None when a list cell is malformed."""
    text = cell.strip()
    if text.startswith("["):
        return movies_dataset_genres(text)
    return [name.strip() for name in re.split(r"[,;]", text) if name.strip()]


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _genres(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise CorrectionError(f"genres {_short(value)} is not a list")
    if not all(_is_text(name) and len(name) <= MAX_NAME_CHARS for name in value):
        raise CorrectionError(f"genres {_short(value)} has an empty or over-long name")
    if len(set(value)) != len(value):
        raise CorrectionError(f"genres {_short(value)} repeats a name")
    return tuple(sorted(value))


def _utc(value: object) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise CorrectionError(f"received_at {_short(value)} is not an ISO 8601 time with a zone")
    return moment.astimezone(UTC)


def _scores(value: object) -> dict[str, float] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        _is_text(name)
        and isinstance(score, int | float)
        and not isinstance(score, bool)
        and math.isfinite(score)
        for name, score in value.items()
    ):
        raise CorrectionError("scores is not an object of genre -> finite number")
    return {name: float(score) for name, score in value.items()}
