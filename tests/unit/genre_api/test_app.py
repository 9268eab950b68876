import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from genre_api.app import create_app
from genre_api.schemas import MAX_WORD_CHARS
from genre_api.settings import Settings
from genre_model import GenreClassifier
from genre_model.constants import MODEL_VERSION_HEADER
from tests.helpers.data import OTHELLO


@pytest.fixture(scope="module")
def client(classifier: GenreClassifier, packaged: dict[str, Path]) -> TestClient:
    settings = Settings(model_dir=packaged["artifact"], max_batch=3, max_title_chars=20)
    return TestClient(create_app(classifier, settings))


def test_genre_answers_the_original_shape_with_the_version_header(
    client: TestClient, classifier: GenreClassifier
) -> None:
    response = client.post("/genre", json=OTHELLO)
    assert response.status_code == 200
    assert list(response.json()) == classifier.labels
    assert response.json() == pytest.approx(
        classifier.predict([(OTHELLO["title"], OTHELLO["description"])])[0].scores
    )
    assert response.headers[MODEL_VERSION_HEADER] == classifier.version


def test_genres_scores_a_batch(client: TestClient, classifier: GenreClassifier) -> None:
    movies = [OTHELLO, {"title": "Airplane!", "description": "A pilot lands a plane. Chaos."}]
    response = client.post("/genres", json={"movies": movies})
    assert response.status_code == 200
    body = response.json()
    assert body["model_version"] == classifier.version
    expected = classifier.predict([(m["title"], m["description"]) for m in movies])
    assert [r["genre"] for r in body["results"]] == [p.top_genre for p in expected]
    assert [r["genres"] for r in body["results"]] == [p.genres for p in expected]


def test_health(client: TestClient, classifier: GenreClassifier) -> None:
    assert client.get("/health").json() == {
        "status": "ok",
        "model_version": classifier.version,
        "labels": classifier.labels,
    }


@pytest.mark.parametrize(
    ("path", "payload", "complaint"),
    [
        ("/genre", {"title": "Othello"}, "description"),
        ("/genre", {"title": "   ", "description": "x"}, "title"),
        ("/genre", {"title": "Othello", "description": ""}, "description"),
        ("/genre", {"title": 5, "description": "x"}, "title"),
        ("/genre", {"title": "x" * 21, "description": "x"}, "title"),
        ("/genre", {**OTHELLO, "year": 1995}, "year"),
        ("/genre", ["Othello"], "body"),
        ("/genres", {"movies": []}, "movies"),
        ("/genres", {"movies": [OTHELLO] * 4}, "movies"),
    ],
)
def test_bad_input_is_a_422_that_names_the_field(
    client: TestClient, path: str, payload: object, complaint: str
) -> None:
    response = client.post(path, json=payload)
    assert response.status_code == 422
    assert complaint in str(response.json()["detail"])


def test_malformed_json_is_a_4xx(client: TestClient) -> None:
    response = client.post(
        "/genre", content=b'{"title": "x",', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "JSON decode error" in str(response.json()["detail"])


def test_unicode_is_scored_as_the_model_scores_it(
    client: TestClient, classifier: GenreClassifier
) -> None:
    movie = {"title": "東京物語", "description": "Ŝtraße 🎬 — ∑"}
    response = client.post("/genre", json=movie)
    assert response.status_code == 200
    expected = classifier.predict([(movie["title"], movie["description"])])[0].scores
    assert response.json() == pytest.approx(expected)


@pytest.mark.parametrize("content_type", [None, "application/x-www-form-urlencoded", "text/plain"])
def test_a_json_body_is_read_whatever_its_content_type(
    client: TestClient, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/genre", content=json.dumps(OTHELLO).encode(), headers=headers)
    assert response.status_code == 200
    assert response.json() == client.post("/genre", json=OTHELLO).json()


@pytest.mark.parametrize(
    "body",
    [
        b'{"title": "\xff", "description": "x"}',  # not UTF-8
        # deeper than Python's parser recurses, and under the 413's size
        b"[" * 20_000 + b"]" * 20_000,
        b'{"title": "x", "description": "y", "top": ' + b"9" * 5000 + b"}",  # int over 4300 digits
    ],
)
def test_a_body_the_parser_cannot_read_is_a_400_the_schema_documents(
    client: TestClient, body: bytes
) -> None:
    response = client.post("/genre", content=body)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("There was an error parsing the body")
    documented = client.get("/openapi.json").json()["paths"]
    for path in ("/genre", "/genres"):
        assert "400" in documented[path]["post"]["responses"]


def test_the_schema_states_the_rules_the_api_applies(client: TestClient) -> None:
    """Schema-valid input is accepted and schema-invalid input refused (what a fuzzer checks)."""
    schema = client.get("/openapi.json").json()["components"]["schemas"]["Movie"]
    title = schema["properties"]["title"]
    assert (title["minLength"], title["maxLength"], title["pattern"]) == (1, 20, r"\S")
    assert schema["additionalProperties"] is False
    # Surrounding whitespace counts toward the limit, as the schema's maxLength says.
    padded = {"title": "x" + " " * 20, "description": "x"}
    assert client.post("/genre", json=padded).status_code == 422
    assert client.post("/genre", json={"title": " x ", "description": "x"}).status_code == 200


def test_a_word_over_the_limit_is_refused_as_the_schema_says(client: TestClient) -> None:
    """spaCy's tokenizer takes a time that grows with the square of a word's length."""
    description = client.get("/openapi.json").json()["components"]["schemas"]["Movie"][
        "properties"
    ]["description"]
    assert description["not"] == {"pattern": rf"\S{{{MAX_WORD_CHARS + 1}}}"}
    longest = "(" * MAX_WORD_CHARS
    accepted = {"title": "x", "description": f"a {longest} b"}
    assert client.post("/genre", json=accepted).status_code == 200
    response = client.post("/genre", json={"title": "x", "description": f"a {longest}( b"})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "description"]
    assert f"no word over {MAX_WORD_CHARS} characters" in error["msg"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"title": "\\ud800", "description": "x"}',
        b'{"title": "Othello", "description": "x", "extra": "\\udcff"}',
        b'{"title": 5, "description": "\\udfff\\ud800"}',
        '{"title": "x", "description": "y"}'.encode("utf-8", "surrogatepass").replace(
            b"y", "\ud800".encode("utf-8", "surrogatepass")
        ),
    ],
)
def test_a_lone_surrogate_is_a_422_never_a_500(client: TestClient, body: bytes) -> None:
    """JSON may escape a lone surrogate; UTF-8 cannot encode one. Echoing it must not crash."""
    response = client.post("/genre", content=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "body"


def strict_json(text: str) -> Any:
    """JSON as RFC 8259 has it: NaN and Infinity are not JSON."""

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/genre", '{"title": NaN, "description": "x"}'),
        ("/genre", '{"title": "Heat", "description": -Infinity}'),
        ("/genre", '{"title": 1e400, "description": "x"}'),  # JSON, but overflows to infinity
        ("/genres", '{"movies": [{"title": "Heat", "description": Infinity}]}'),
        ("/explain", '{"title": "Heat", "description": "A cop hunts a thief.", "top": NaN}'),
    ],
)
def test_a_non_finite_number_is_a_422_in_strict_json(
    client: TestClient, path: str, body: str
) -> None:
    """Python's parser reads NaN, Infinity and 1e400; the refusal that echoes them back must
    still be JSON any client can parse, not a 500."""
    response = client.post(path, content=body.encode())
    assert response.status_code == 422
    (error,) = strict_json(response.text)["detail"]
    assert error["loc"][0] == "body"
    assert error["input"] in {"nan", "inf", "-inf"}


def test_the_model_card_states_the_limits_this_app_applies(client: TestClient) -> None:
    assert client.get("/model").json()["limits"] == {"title": 20, "description": 5000}
    assert client.post("/genre", json={**OTHELLO, "title": "x" * 21}).status_code == 422
