"""A correction: a user's statement of a movie's right genres, as the API stores it and training
reads it back. Standard library only: the API, the CLI and training all import it.

Each correction is one S3 object, partitioned by the UTC date it was received:

    s3://$MOVIE_GENRE_FEEDBACK_BUCKET/$MOVIE_GENRE_FEEDBACK_PREFIX/date=YYYY-MM-DD/<id>.json

One object per correction: a write never touches another's (no read-modify-write, no lost
update), it is created with If-None-Match: * and never replaced, and a reader lists a date range
without an index. The id is content-addressed (correction_id): the same correction of the same
movie from the same client is the same object, stored once a day however often it is posted.
The record carries everything training needs; nothing else is stored.

A reader takes nothing on trust: Correction.decode refuses, with its reason, anything that is
not a correction (too large, not UTF-8, not JSON, nested or numbered past what a correction
holds, a lone surrogate, a wrong type, a time out of range) and never raises anything else.
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import json
import math
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
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
# A UUID in lower case: version 5 (content-addressed, correction_id) or 4 (random: records
# stored before ids were content-addressed).
_ID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[45][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", re.ASCII
)
# The namespace of correction ids (uuid5): a fixed random UUID, so that ids are this project's.
ID_NAMESPACE = uuid.UUID("4f1b9a52-2f6e-4d63-9a0e-3c1d2b7e5a10")
_REQUIRED_TEXT = ("title", "description", "served_by")
_OPTIONAL_TEXT = ("model_version", "request_id", "client")
# Genre names, model versions and request ids are short; anything longer is not one of them.
MAX_NAME_CHARS = 200
# Who sent a correction (client_of_principal, client_of_address): an IAM ARN is at most 2048.
MAX_CLIENT_CHARS = 2048
# A correction is an object of texts, a list of names and an object of scores: deeper JSON, or
# a longer number, is not one, and is refused before Python's parser could recurse or convert.
MAX_JSON_DEPTH = 2
MAX_NUMBER_CHARS = 40
# A received_at outside these is not a time the API wrote: the API began in 2026, and a time in
# the future would win "the latest correction of a movie" over every real one.
EARLIEST_RECEIVED = datetime(2026, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(days=1)
# How a client is recorded: its IAM principal, or a keyed hash of its address (never in clear).
IAM_CLIENT = "iam:"
ADDRESS_CLIENT = "ip-hmac:"
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_LONG_NUMBER = re.compile(rf"[0-9+\-.eE]{{{MAX_NUMBER_CHARS + 1},}}")


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
    # Who sent it (IAM_CLIENT or ADDRESS_CLIENT); None in records stored before it was kept.
    client: str | None = None

    @cached_property  # read often when training selects corrections; the record never changes
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
            "client": self.client,
        }

    def encode(self) -> bytes:
        return (json.dumps(self.to_json(), ensure_ascii=False, allow_nan=False) + "\n").encode()

    @classmethod
    def decode(cls, data: bytes) -> Correction:
        """A stored object read back; CorrectionError says why it is not a correction."""
        if len(data) > MAX_RECORD_BYTES:
            raise CorrectionError(f"{len(data)} bytes: more than a correction can be")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise CorrectionError(f"not UTF-8 ({error.reason} at byte {error.start})") from error
        _check_shape(text)
        try:
            record = json.loads(text, parse_constant=_no_constant)
        except ValueError as error:
            raise CorrectionError(f"not JSON ({error})") from error
        return cls.from_json(record)

    @classmethod
    def from_json(cls, record: object) -> Correction:
        if not isinstance(record, dict):
            raise CorrectionError(f"not a JSON object but {type(record).__name__}")
        _check_encodable(record)
        if record.get("schema") != SCHEMA:
            raise CorrectionError(f"schema {_short(record.get('schema'))}, not {SCHEMA!r}")
        identifier = record.get("id")
        if not isinstance(identifier, str) or not _ID.fullmatch(identifier):
            raise CorrectionError(
                f"id {_short(identifier)} is not a correction id (a lower-case UUID 5 or 4)"
            )
        for name in _REQUIRED_TEXT:
            if not _is_text(record.get(name)):
                raise CorrectionError(f"{name} is missing or empty")
        for name in _OPTIONAL_TEXT:
            value = record.get(name)
            limit = MAX_CLIENT_CHARS if name == "client" else MAX_NAME_CHARS
            if value is not None and not (_is_text(value) and len(value) <= limit):
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
            client=record.get("client"),
        )


def new_correction(
    *,
    title: str,
    description: str,
    genres: Iterable[str],
    served_by: str,
    client: str | None = None,
    request_id: str | None = None,
    model_version: str | None = None,
    scores: Mapping[str, float] | None = None,
    now: datetime | None = None,
) -> Correction:
    """A correction received now, with its content-addressed id (correction_id)."""
    right = tuple(sorted(set(genres)))
    return Correction(
        id=correction_id(client, title, description, right),
        title=title,
        description=description,
        genres=right,
        received_at=(now or datetime.now(UTC)).astimezone(UTC),
        served_by=served_by,
        request_id=request_id,
        model_version=model_version,
        scores=dict(scores) if scores is not None else None,
        client=client,
    )


def correction_id(client: str | None, title: str, description: str, genres: Iterable[str]) -> str:
    """The id of a correction: a name-based UUID (version 5) of who sent it, the movie (as
    movie_key sees it) and the right genres. Posting the same correction again makes the same
    object key on the same day, which the store's If-None-Match keeps from being written twice;
    what the user saw (model_version, scores) is not part of it."""
    name = "\n".join([client or "", movie_key(title, description), *sorted(set(genres))])
    return str(uuid.uuid5(ID_NAMESPACE, name))


def client_of_principal(arn: str) -> str:
    """The client of a signed request: its IAM principal, as API Gateway verified it."""
    return IAM_CLIENT + arn


def client_of_address(address: str, key: bytes) -> str:
    """The client of an unsigned request: a keyed hash (HMAC-SHA256) of its source address, so
    that one client's corrections are counted together without its address being stored."""
    digest = hmac.new(key, address.encode("utf-8", "backslashreplace"), hashlib.sha256)
    return ADDRESS_CLIENT + digest.hexdigest()[:32]


def normalise(text: str) -> str:
    """text as the matching sees it: Unicode compatibility forms folded (NFKC: full-width
    letters, ligatures), case folded (German ß = ss), punctuation and symbols as spaces
    ("Othello." = "Othello", "rock-and-roll" = "rock and roll"), whitespace runs as one space,
    stripped."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(
        "".join(" " if unicodedata.category(char)[0] in "PS" else char for char in folded).split()
    )


def movie_key(title: str, description: str) -> str:
    """The key two records of the same movie share: the normalised title and description.

    A newline separates them: normalise leaves none inside either part. Records that differ by
    more than case, width, punctuation and spacing are told apart here; training's
    near-duplicate check (genre_training.near_duplicates) looks further.
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
    try:
        moment = moment.astimezone(UTC)
    except OverflowError as error:  # year 1 or 9999 with an offset: outside datetime's range
        raise CorrectionError(f"received_at {_short(value)} is out of range") from error
    if not EARLIEST_RECEIVED <= moment <= datetime.now(UTC) + FUTURE_TOLERANCE:
        raise CorrectionError(f"received_at {_short(value)} is out of range")
    return moment


def _check_shape(text: str) -> None:
    """Refuse JSON nested deeper, or with a longer number, than a correction has, before
    json.loads recurses into it (RecursionError) or converts it (a ValueError over 4300
    digits, and seconds of work just under). Strings are left out first: their content is
    free, and what remains of a correction is a few dozen characters."""
    skeleton = _JSON_STRING.sub('""', text)
    if _LONG_NUMBER.search(skeleton):
        raise CorrectionError(f"a number longer than {MAX_NUMBER_CHARS} characters")
    depth = 0
    for char in skeleton:
        if char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise CorrectionError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        elif char in "]}":
            depth -= 1


def _no_constant(name: str) -> float:
    raise CorrectionError(f"{name} is not a JSON number")


def _check_encodable(record: dict[str, Any]) -> None:
    """A lone surrogate ("\\ud800") is valid JSON but no UTF-8: refuse it on reading, since
    writing it out (the splits, the review export) would fail."""
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as error:
        raise CorrectionError("a lone surrogate: text that is not Unicode") from error


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
