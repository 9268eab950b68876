import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest

from genre_model.corrections import (
    SCHEMA,
    Correction,
    CorrectionError,
    client_of_address,
    genre_names,
    movie_key,
    new_correction,
)

RECEIVED = datetime(2026, 3, 4, 23, 30, 5, 123456, tzinfo=UTC)


def correction(**fields: object) -> Correction:
    values: dict = {
        "title": "Othello",
        "description": "The evil Iago pretends to be friend of Othello.",
        "genres": ["Drama", "Crime"],
        "served_by": "20261127-005734-402e991a",
        "request_id": "c0ffee00-0000-4000-8000-000000000000",
        "model_version": "20261127-005734-402e991a",
        "scores": {"Drama": 0.8, "Crime": 0.2},
        "now": RECEIVED,
    } | fields
    return new_correction(**values)


def test_a_record_round_trips_through_its_stored_bytes() -> None:
    original = correction()
    stored = json.loads(original.encode())
    assert stored["schema"] == SCHEMA
    assert stored["genres"] == ["Crime", "Drama"]  # a set, kept sorted
    assert stored["received_at"] == "2026-03-04T23:30:05.123456+00:00"
    assert Correction.decode(original.encode()) == original


def test_the_key_is_partitioned_by_the_utc_date_received() -> None:
    # 01:00 on the 5th in UTC+2 is 23:00 on the 4th in UTC: the partition is the UTC day.
    local = datetime(2026, 3, 5, 1, 0, tzinfo=timezone(timedelta(hours=2)))
    made = correction(now=local)
    assert made.object_key("feedback/") == f"feedback/date=2026-03-04/{made.id}.json"
    assert made.object_key("") == f"date=2026-03-04/{made.id}.json"


def test_the_id_is_the_same_for_the_same_correction_from_the_same_client() -> None:
    """Content-addressed: a repeated post is the same object; what the user saw is not part of
    it, and case, spacing and punctuation of the movie are not either."""
    first = correction(client="iam:a")
    assert correction(client="iam:a", now=RECEIVED + timedelta(days=1), scores=None).id == first.id
    assert correction(client="iam:a", title="OTHELLO!", genres=["Crime", "Drama"]).id == first.id
    assert correction(client="iam:b").id != first.id
    assert correction(client="iam:a", genres=["Drama"]).id != first.id
    assert correction(client="iam:a", description="Another plot.").id != first.id
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first.id
    )


def test_a_clients_address_is_kept_as_a_keyed_hash() -> None:
    client = client_of_address("198.51.100.7", b"k" * 32)
    assert client.startswith("ip-hmac:") and "198" not in client
    assert client == client_of_address("198.51.100.7", b"k" * 32)
    assert client != client_of_address("198.51.100.7", b"j" * 32)  # no key, no lookup table
    assert client != client_of_address("198.51.100.8", b"k" * 32)


def test_an_empty_genre_list_means_none_of_these() -> None:
    assert Correction.decode(correction(genres=[]).encode()).genres == ()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"schema": "other/2"}, "schema 'other/2'"),
        ({"id": "../../etc"}, "is not a correction id"),
        ({"title": "  "}, "title is missing or empty"),
        ({"served_by": None}, "served_by is missing"),
        ({"genres": "Drama"}, "genres 'Drama' is not a list"),
        ({"genres": ["Drama", "Drama"]}, "repeats a name"),
        ({"genres": ["Drama", ""]}, "empty or over-long name"),
        ({"received_at": "2026-03-04T10:00:00"}, "is not an ISO 8601 time with a zone"),
        ({"received_at": "yesterday"}, "is not an ISO 8601 time"),
        ({"scores": {"Drama": "high"}}, "scores is not an object"),
        ({"scores": {"Drama": True}}, "scores is not an object"),
        ({"model_version": "x" * 500}, "model_version"),
        ({"client": 7}, "client 7 is not a short text"),
        ({"received_at": "0001-01-01T00:00:00+01:00"}, "is out of range"),
        ({"received_at": "2025-12-31T23:59:59+00:00"}, "is out of range"),
        ({"received_at": "2999-01-01T00:00:00+00:00"}, "is out of range"),
        ({"title": "Othello \ud800"}, "a lone surrogate"),
    ],
)
def test_an_object_that_is_not_a_correction_says_why(change: dict, reason: str) -> None:
    record = correction().to_json() | change
    with pytest.raises(CorrectionError, match=reason.replace("(", r"\(")):
        Correction.from_json(record)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xfe", "not UTF-8"),
        (b"{", "not JSON"),
        (b"[1, 2]", "not a JSON object but list"),
        (b" " * (1024 * 1024 + 1), "more than a correction can be"),
        (b"[" * 200_000, "JSON nested deeper than 2 levels"),
        (b'{"genres": [{"a": 1}]}', "JSON nested deeper than 2 levels"),
        (b'{"a": ' + b"1" * 5000 + b"}", "a number longer than 40 characters"),
        (b'{"a": Infinity}', "Infinity is not a JSON number"),
        (b'{"a": "[[[[[[ 12345678901234567890123456789012345678901"}', "schema None"),
    ],
)
def test_bytes_that_are_not_a_correction_say_why(data: bytes, reason: str) -> None:
    with pytest.raises(CorrectionError, match=reason):
        Correction.decode(data)


@pytest.mark.parametrize(
    ("title", "description"),
    [
        ("OTHELLO", "The evil Iago pretends to be friend of Othello."),
        ("  Othello ", "The  evil\tIago pretends\nto be friend of Othello.  "),
        (
            "\uff2f\uff54\uff48\uff45\uff4c\uff4c\uff4f",
            "The evil Iago pretends to be friend of Othello.",
        ),  # full-width
        ("Othello", "THE EVIL IAGO PRETENDS TO BE FRIEND OF OTHELLO."),
    ],
)
def test_the_movie_key_ignores_case_width_and_spacing(title: str, description: str) -> None:
    assert movie_key(title, description) == movie_key(
        "Othello", "The evil Iago pretends to be friend of Othello."
    )


def test_the_movie_key_ignores_punctuation_and_symbols() -> None:
    plot = "The evil Iago pretends to be friend of Othello."
    assert movie_key("Othello", plot + " .") == movie_key("Othello", plot)
    assert movie_key("Othello!", plot.replace(" ", " - ")) == movie_key("othello", plot)


def test_the_movie_key_keeps_title_and_description_apart() -> None:
    assert movie_key("A B", "C") != movie_key("A", "B C")
    assert movie_key("Othello", "Another plot.") != movie_key("Othello", "A plot.")
    assert movie_key("Straße", "x") == movie_key("STRASSE", "x")


@pytest.mark.parametrize(
    ("cell", "names"),
    [
        ("Comedy,Romance", ["Comedy", "Romance"]),
        (" Comedy ; Romance ", ["Comedy", "Romance"]),
        ("Drama", ["Drama"]),
        ("", []),
        ("[{'id': 35, 'name': 'Comedy'}, {'id': 10749, 'name': 'Romance'}]", ["Comedy", "Romance"]),
        ("[]", []),
        ("[{'id': 35}]", None),
        ("[not python", None),
    ],
)
def test_genre_names_from_a_csv_cell(cell: str, names: list[str] | None) -> None:
    assert genre_names(cell) == names


def test_the_module_imports_without_spacy() -> None:
    """The CLI and the API's validation import it: it must not pull in the model's libraries."""
    code = "import sys, genre_model.corrections; print('spacy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
