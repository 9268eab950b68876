"""POST /explain and GET /model."""

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from genre_api.app import create_app
from genre_api.settings import Settings
from genre_model import GenreClassifier, Manifest
from genre_model.constants import MODEL_VERSION_HEADER
from tests.helpers.data import OTHELLO


@pytest.fixture(scope="module")
def client(classifier: GenreClassifier, packaged: dict[str, Path]) -> TestClient:
    return TestClient(create_app(classifier, Settings(model_dir=packaged["artifact"])))


def test_explain_answers_scores_genres_and_words_per_genre(
    client: TestClient, classifier: GenreClassifier
) -> None:
    response = client.post("/explain", json=OTHELLO)
    assert response.status_code == 200
    assert response.headers[MODEL_VERSION_HEADER] == classifier.version
    body = response.json()
    expected = classifier.predict([(OTHELLO["title"], OTHELLO["description"])])[0]
    assert body["scores"] == pytest.approx(expected.scores)
    assert (body["genre"], body["genres"]) == (expected.top_genre, expected.genres)
    assert body["model_version"] == classifier.version
    assert list(body["explanations"]) == classifier.labels
    for words in body["explanations"].values():
        assert 0 < len(words) <= 8
        for word in words:
            assert word["word"] in OTHELLO["title"] + " " + OTHELLO["description"]


@pytest.mark.parametrize(
    ("query", "body_top", "expected"), [("", None, 8), ("?top=3", None, 3), ("?top=3", 2, 2)]
)
def test_how_many_words_comes_from_the_body_or_the_query(
    client: TestClient, query: str, body_top: int | None, expected: int
) -> None:
    payload = {**OTHELLO, **({"top": body_top} if body_top else {})}
    explanations = client.post(f"/explain{query}", json=payload).json()["explanations"]
    assert max(len(words) for words in explanations.values()) == expected


@pytest.mark.parametrize(
    ("path", "payload", "complaint"),
    [
        ("/explain", {"title": "Othello"}, "description"),
        ("/explain", {**OTHELLO, "top": 21}, "top"),
        ("/explain?top=0", OTHELLO, "top"),
        ("/explain", {**OTHELLO, "description": " "}, "description"),
        ("/explain", {**OTHELLO, "year": 1995}, "year"),
    ],
)
def test_explain_refuses_what_genre_refuses(
    client: TestClient, path: str, payload: dict, complaint: str
) -> None:
    response = client.post(path, json=payload)
    assert response.status_code == 422
    assert complaint in json.dumps(response.json()["detail"])


def test_the_model_card_is_the_manifest_and_the_apis_limits(
    client: TestClient, packaged: dict[str, Path]
) -> None:
    card = client.get("/model").json()
    manifest = Manifest.read(packaged["artifact"])
    assert card["version"] == manifest.version
    assert card["thresholds"] == manifest.thresholds
    assert card["split_sizes"] == manifest.split_sizes
    assert card["data_sha256"] == manifest.data_sha256
    tuned = card["test_metrics"]["tuned"]
    assert tuned["micro_f1"] == manifest.metrics["test_micro_f1_tuned"]
    assert tuned["macro_f1"] == manifest.metrics["test_macro_f1_tuned"]
    assert card["test_metrics"]["at_0.5"]["micro_f1"] == manifest.metrics["test_micro_f1_at_0.5"]
    for genre, scores in tuned["per_genre"].items():
        assert scores["f1"] == manifest.metrics["test"]["tuned"]["per_genre"][genre]["f1"]
    assert "files" not in card and "config" not in card
    settings = Settings(model_dir=packaged["artifact"])
    assert card["limits"] == {
        "title": settings.max_title_chars,
        "description": settings.max_description_chars,
    }


def test_the_demo_page_is_self_contained_and_uses_relative_urls(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<label for="title">Title</label>' in page
    assert '<label for="description">Description</label>' in page
    for absolute in ('"/explain"', '"/model"', "http://", "https://", "<script src", "<link href"):
        assert absolute not in page


@pytest.mark.parametrize(("top", "status"), [(3.0, 200), (3, 200), ("3", 422), (True, 422)])
def test_top_is_a_json_integer_as_the_schema_says(
    client: TestClient, top: object, status: int
) -> None:
    assert client.post("/explain", json={**OTHELLO, "top": top}).status_code == status
