"""POST /feedback against S3 in-process (moto): what is stored, what is refused, what is said."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient
from moto import mock_aws

from genre_api.app import create_app
from genre_api.feedback_store import FolderFeedbackStore, S3FeedbackStore, StoreUnavailable
from genre_api.json_bodies import JSON_ONLY
from genre_api.service import Handler, build_handler
from genre_api.settings import Settings, SettingsError
from genre_model import GenreClassifier
from genre_model.constants import MODEL_VERSION_HEADER
from genre_model.corrections import (
    FEEDBACK_NOT_CONFIGURED,
    Correction,
    client_of_address,
    new_correction,
)
from tests.helpers.events import LambdaContext, load_event, with_body
from tests.helpers.telemetry import Output, metric_values

BUCKET = "corrections-test"
KEY = "k" * 32
PREFIX = "team/feedback"
OTHELLO = {
    "title": "Othello",
    "description": "The evil Iago pretends to be friend of Othello.",
    "genres": ["Drama", "Crime"],
}


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield client


def settings_for(packaged: dict[str, Path], **fields: Any) -> Settings:
    return Settings(model_dir=packaged["artifact"], max_title_chars=40, **fields)


@pytest.fixture
def client(s3: Any, classifier: GenreClassifier, packaged: dict[str, Path]) -> TestClient:
    settings = settings_for(packaged, feedback_bucket=BUCKET, feedback_prefix=PREFIX)
    return TestClient(create_app(classifier, settings))


def stored(s3: Any) -> list[dict[str, Any]]:
    """Every object in the bucket: its key, and its body as JSON."""
    listed = s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return [
        {
            "key": item["Key"],
            "body": json.loads(s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()),
        }
        for item in listed
    ]


def test_a_correction_is_stored_as_one_object_and_answered_202(
    client: TestClient, s3: Any, classifier: GenreClassifier
) -> None:
    before = datetime.now(UTC)
    body = {
        **OTHELLO,
        "model_version": "20261127-005734-402e991a",
        "scores": {"Drama": 0.9, "Crime": 0.1},
    }
    response = client.post("/feedback", json=body)
    assert response.status_code == 202, response.text
    assert response.headers[MODEL_VERSION_HEADER] == classifier.version
    answer = response.json()
    assert answer["model_version"] == classifier.version
    (saved,) = stored(s3)
    received = datetime.fromisoformat(answer["received_at"])
    assert before <= received <= datetime.now(UTC)
    assert saved["key"] == f"{PREFIX}/date={received:%Y-%m-%d}/{answer['id']}.json"
    correction = Correction.from_json(saved["body"])
    assert correction.id == answer["id"]
    assert (correction.title, correction.description) == (OTHELLO["title"], OTHELLO["description"])
    assert correction.genres == ("Crime", "Drama")
    assert correction.model_version == body["model_version"]
    assert correction.scores == body["scores"]
    assert correction.served_by == classifier.version
    assert correction.request_id is None  # not in Lambda
    head = s3.head_object(Bucket=BUCKET, Key=saved["key"])
    assert head["ContentType"] == "application/json"


def test_an_empty_list_means_none_of_these(client: TestClient, s3: Any) -> None:
    response = client.post("/feedback", json={**OTHELLO, "genres": []})
    assert response.status_code == 202
    assert stored(s3)[0]["body"]["genres"] == []


@pytest.mark.parametrize(
    ("change", "where", "says"),
    [
        ({"genres": ["Horror"]}, ["genres", 0], "not one of the model's genres (Action,"),
        ({"genres": ["Drama", "Drama"]}, ["genres"], "Drama more than once"),
        ({"genres": "Drama"}, ["genres"], "Input should be a valid list"),
        ({"genres": None}, ["genres"], "Input should be a valid list"),
        ({"genres": [1]}, ["genres", 0], "Input should be a valid string"),
        ({"title": " "}, ["title"], "must contain a non-whitespace character"),
        ({"title": "x" * 41}, ["title"], "at most 40 characters"),
        ({"description": ""}, ["description"], "at least 1 character"),
        ({"scores": {"Drama": 1.5}}, ["scores", "Drama"], "less than or equal to 1"),
        ({"scores": {"Horror": 0.5}}, ["scores", "Horror", "[key]"], "not one of the model's"),
        ({"scores": {"Drama": "high"}}, ["scores", "Drama"], "valid number"),
        ({"model_version": "latest"}, ["model_version"], "should match pattern"),
        ({"model_version": "٢٠٢٦١١٢٧-005734-402e991a"}, ["model_version"], "match pattern"),
        ({"user": "me"}, ["user"], "Extra inputs are not permitted"),
    ],
)
def test_bad_input_is_a_422_that_says_what_is_wrong_and_nothing_is_stored(
    client: TestClient, s3: Any, change: dict[str, Any], where: list[Any], says: str
) -> None:
    response = client.post("/feedback", json={**OTHELLO, **change})
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(e["loc"] == ["body", *where] and says in e["msg"] for e in errors), errors
    assert stored(s3) == []


def test_a_missing_field_is_a_422(client: TestClient, s3: Any) -> None:
    response = client.post("/feedback", json={"title": "Othello", "description": "Iago."})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "genres"]
    assert stored(s3) == []


def test_a_body_larger_than_any_correction_is_a_413(client: TestClient, s3: Any) -> None:
    response = client.post("/feedback", json={**OTHELLO, "description": "x" * 200_000})
    assert response.status_code == 413
    assert stored(s3) == []


def test_without_a_bucket_the_route_answers_503_and_names_its_model(
    classifier: GenreClassifier, packaged: dict[str, Path]
) -> None:
    client = TestClient(create_app(classifier, settings_for(packaged)))
    response = client.post("/feedback", json=OTHELLO)
    assert response.status_code == 503
    assert response.json() == {"detail": FEEDBACK_NOT_CONFIGURED}
    # The function's own answer, not a throttle: the CLI says so at once instead of retrying.
    assert response.headers[MODEL_VERSION_HEADER] == classifier.version
    # Bad input is still a 422 first: a client learns what is wrong before where it goes.
    assert client.post("/feedback", json={**OTHELLO, "genres": ["Horror"]}).status_code == 422


def test_a_store_that_fails_is_a_503_worth_retrying(
    s3: Any, classifier: GenreClassifier, packaged: dict[str, Path]
) -> None:
    settings = settings_for(packaged, feedback_bucket="no-such-bucket")
    response = TestClient(create_app(classifier, settings)).post("/feedback", json=OTHELLO)
    assert response.status_code == 503
    assert response.json() == {"detail": "the correction could not be stored; try again later"}
    assert MODEL_VERSION_HEADER not in response.headers
    assert stored(s3) == []


def test_the_store_never_replaces_an_object(s3: Any) -> None:
    store = S3FeedbackStore(BUCKET, PREFIX)
    correction = new_correction(title="A", description="B", genres=[], served_by="v")
    assert store.save(correction) is True
    # S3's 412 to If-None-Match: * is "already stored", not a failure.
    assert store.save(replace(correction, request_id="another")) is False
    stored_body = s3.get_object(Bucket=BUCKET, Key=store.key(correction))["Body"].read()
    assert json.loads(stored_body)["request_id"] is None


def test_identical_posts_from_one_client_store_one_object(client: TestClient, s3: Any) -> None:
    answers = [client.post("/feedback", json=OTHELLO) for _ in range(200)]
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(stored(s3)) == 1
    # Another genre set, or the same one from another client, is another correction.
    assert client.post("/feedback", json={**OTHELLO, "genres": ["Drama"]}).status_code == 202
    other = TestClient(client.app, client=("203.0.113.9", 50000))
    assert other.post("/feedback", json=OTHELLO).status_code == 202
    assert len(stored(s3)) == 3


def test_the_client_is_recorded_as_a_keyed_hash_of_its_address(
    s3: Any, classifier: GenreClassifier, packaged: dict[str, Path]
) -> None:
    settings = settings_for(
        packaged, feedback_bucket=BUCKET, feedback_prefix=PREFIX, feedback_client_key=KEY
    )
    app = create_app(classifier, settings)
    for host in ("198.51.100.7", "198.51.100.7", "198.51.100.8"):
        body = {**OTHELLO, "genres": ["Drama"] if host.endswith("8") else []}
        TestClient(app, client=(host, 40000)).post("/feedback", json=body)
    clients = sorted(item["body"]["client"] for item in stored(s3))
    assert clients == sorted(
        client_of_address(host, KEY.encode()) for host in ("198.51.100.7", "198.51.100.8")
    )
    assert all(c.startswith("ip-hmac:") and "198.51" not in c for c in clients)


def test_through_lambda_the_client_is_the_iam_principal_or_the_source_ip(
    s3: Any, handler: Handler
) -> None:
    event = with_body(load_event("http_api_genre.json"), json.dumps(OTHELLO), "/feedback")
    assert handler(event, LambdaContext())["statusCode"] == 202
    arn = "arn:aws:sts::123456789012:assumed-role/curator/session"
    event["requestContext"]["authorizer"] = {"iam": {"userArn": arn}}
    assert handler(event, LambdaContext())["statusCode"] == 202
    clients = {item["body"]["client"] for item in stored(s3)}
    source = event["requestContext"]["http"]["sourceIp"]
    assert clients == {f"iam:{arn}", client_of_address(source, KEY.encode())}


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",  # <form enctype="text/plain">
        "application/x-www-form-urlencoded",  # curl -d, <form>
        "multipart/form-data; boundary=x",
        "application/jsonp",
        None,
    ],
)
def test_a_body_that_is_not_json_is_a_415_and_nothing_is_stored(
    client: TestClient, s3: Any, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/feedback", content=json.dumps(OTHELLO), headers=headers)
    assert response.status_code == 415
    assert response.json() == {"detail": JSON_ONLY}
    assert response.headers["x-content-type-options"] == "nosniff"  # like every answer
    assert stored(s3) == []


@pytest.mark.parametrize(
    "content_type", ["application/json", "Application/JSON; charset=utf-8", "application/x+json"]
)
def test_json_in_any_of_its_spellings_is_a_correction(
    client: TestClient, s3: Any, content_type: str
) -> None:
    response = client.post(
        "/feedback", content=json.dumps(OTHELLO), headers={"content-type": content_type}
    )
    assert response.status_code == 202


def test_the_scoring_routes_still_read_curl_d_form_encoding_as_json(client: TestClient) -> None:
    body = json.dumps({"title": OTHELLO["title"], "description": OTHELLO["description"]})
    response = client.post(
        "/genre", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200


@pytest.fixture
def folder_client(
    tmp_path: Path, classifier: GenreClassifier, packaged: dict[str, Path]
) -> TestClient:
    settings = settings_for(packaged, feedback_dir=tmp_path / "feedback")
    return TestClient(create_app(classifier, settings))


def files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def test_a_folder_store_keeps_corrections_as_files_in_the_same_format(
    folder_client: TestClient, tmp_path: Path
) -> None:
    for _ in range(3):
        response = folder_client.post("/feedback", json=OTHELLO)
        assert response.status_code == 202
    answer = response.json()
    (saved,) = files(tmp_path / "feedback")  # once, and no temporary file left behind
    received = datetime.fromisoformat(answer["received_at"])
    assert saved.relative_to(tmp_path / "feedback").as_posix() == (
        f"date={received:%Y-%m-%d}/{answer['id']}.json"
    )
    correction = Correction.decode(saved.read_bytes())
    assert (correction.id, correction.genres) == (answer["id"], ("Crime", "Drama"))
    assert correction.client is not None and correction.client.startswith("ip-hmac:")
    assert folder_client.post("/feedback", json={**OTHELLO, "genres": ["Horror"]}).status_code == (
        422
    )
    response = folder_client.post(
        "/feedback", content=b"{}", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 415
    assert len(files(tmp_path / "feedback")) == 1


def test_a_folder_that_cannot_be_written_is_unavailable_and_leaves_nothing(tmp_path: Path) -> None:
    blocked = tmp_path / "feedback"
    blocked.write_text("a file where the folder should be", encoding="utf-8")
    store = FolderFeedbackStore(blocked)
    with pytest.raises(StoreUnavailable):
        store.save(new_correction(title="A", description="B", genres=[], served_by="v"))
    assert files(tmp_path) == [blocked]


def test_a_folder_store_never_replaces_a_file(tmp_path: Path) -> None:
    store = FolderFeedbackStore(tmp_path)
    correction = new_correction(title="A", description="B", genres=[], served_by="v")
    assert store.save(correction) is True
    assert store.save(replace(correction, request_id="another")) is False
    assert Correction.decode(store.path(correction).read_bytes()).request_id is None
    assert files(tmp_path) == [store.path(correction)]


@pytest.fixture
def handler(s3: Any, classifier: GenreClassifier, packaged: dict[str, Path]) -> Handler:
    """The Lambda handler, logs and metrics on (made before `output` starts capturing)."""
    settings = settings_for(
        packaged, feedback_bucket=BUCKET, feedback_prefix=PREFIX, feedback_client_key=KEY
    )
    return build_handler(settings, classifier)


def test_through_the_lambda_handler_the_request_id_is_stored_and_the_text_never_logged(
    s3: Any, handler: Handler, output: Output
) -> None:
    secret = {**OTHELLO, "title": "Secret Title", "description": "A secret plot nobody logs."}
    event = with_body(load_event("http_api_genre.json"), json.dumps(secret), "/feedback")
    response = handler(event, LambdaContext())
    assert response["statusCode"] == 202
    (saved,) = stored(s3)
    assert saved["body"]["request_id"] == event["requestContext"]["requestId"]
    line = output.request_line()
    assert (line["route"], line["status"]) == ("/feedback", 202)
    assert line["correction_id"] == json.loads(response["body"])["id"]
    assert line["genres"] == ["Crime", "Drama"]
    assert line["title_chars"] == len(secret["title"])
    assert line["description_chars"] == len(secret["description"])
    written = output.text()
    assert "Secret Title" not in written and "secret plot" not in written


def test_feedback_received_is_counted_by_genre(handler: Handler, output: Output) -> None:
    event = load_event("http_api_genre.json")
    for genres in (["Drama", "Crime"], []):
        body = json.dumps({**OTHELLO, "genres": genres})
        assert handler(with_body(event, body, "/feedback"), LambdaContext())["statusCode"] == 202
    refused = json.dumps({**OTHELLO, "genres": ["Horror"]})
    assert handler(with_body(event, refused, "/feedback"), LambdaContext())["statusCode"] == 422
    counted = sorted(
        (dims["genre"], value)
        for dims, value in metric_values(output.metrics(), "FeedbackReceived")
    )
    assert counted == [("(none of these)", 1.0), ("Crime", 1.0), ("Drama", 1.0)]


def test_the_schema_documents_every_answer(client: TestClient, classifier: GenreClassifier) -> None:
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/feedback"]["post"]
    assert {"202", "400", "413", "415", "422", "503"} <= set(operation["responses"])
    assert operation["responses"]["415"]["description"] == JSON_ONLY
    assert FEEDBACK_NOT_CONFIGURED in operation["responses"]["503"]["description"]
    body = spec["components"]["schemas"][
        operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    ]
    genres = body["properties"]["genres"]
    assert genres["items"]["enum"] == classifier.labels
    assert genres["uniqueItems"] is True
    assert body["properties"]["title"]["maxLength"] == 40
    assert set(body["required"]) == {"title", "description", "genres"}


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("MOVIE_GENRE_FEEDBACK_BUCKET", "My_Bucket", "not an S3 bucket name"),
        ("MOVIE_GENRE_FEEDBACK_BUCKET", "192.168.1.1", "not an S3 bucket name"),
        ("MOVIE_GENRE_FEEDBACK_BUCKET", "a..b", "not an S3 bucket name"),
        ("MOVIE_GENRE_FEEDBACK_PREFIX", "/feedback", "not a key prefix"),
        ("MOVIE_GENRE_FEEDBACK_PREFIX", "feedback/../models", "not a key prefix"),
        ("MOVIE_GENRE_FEEDBACK_PREFIX", "a//b", "not a key prefix"),
        ("MOVIE_GENRE_FEEDBACK_PREFIX", "", "not a key prefix"),
        ("MOVIE_GENRE_FEEDBACK_CLIENT_KEY", "short secret", "at least 32 items"),
    ],
)
def test_the_feedback_settings_are_validated_at_start(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=f"^{variable}=.*{says}") as refused:
        Settings.from_env()
    assert "short secret" not in str(refused.value)  # a secret is never echoed


def test_a_bucket_and_a_folder_together_are_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MOVIE_GENRE_FEEDBACK_BUCKET", BUCKET)
    monkeypatch.setenv("MOVIE_GENRE_FEEDBACK_DIR", str(tmp_path))
    with pytest.raises(SettingsError, match=r"^MOVIE_GENRE_FEEDBACK_BUCKET and .*DIR are both"):
        Settings.from_env()


def test_an_empty_bucket_variable_is_no_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the template passes when FeedbackBucket is empty."""
    monkeypatch.setenv("MOVIE_GENRE_FEEDBACK_BUCKET", "")
    monkeypatch.setenv("MOVIE_GENRE_FEEDBACK_PREFIX", "team/feedback")
    settings = Settings.from_env()
    assert settings.feedback_bucket is None
    assert settings.feedback_prefix == "team/feedback"


def test_received_at_decides_the_partition(s3: Any) -> None:
    store = S3FeedbackStore(BUCKET, PREFIX)
    late = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    for moment in (late, late + timedelta(seconds=1)):
        store.save(new_correction(title="A", description="B", genres=[], served_by="v", now=moment))
    days = sorted(item["key"].split("/")[2] for item in stored(s3))
    assert days == ["date=2026-12-31", "date=2027-01-01"]
