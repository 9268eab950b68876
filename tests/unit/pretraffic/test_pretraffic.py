"""The CodeDeploy PreTraffic hook, with botocore's Stubber for S3, Lambda and CodeDeploy, and the
real function (build_handler) answering the event the hook sends."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pretraffic
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from genre_api.service import build_handler
from genre_api.settings import Settings
from genre_model import GenreClassifier
from tests.helpers.events import LambdaContext

NEW_VERSION = "arn:aws:lambda:us-east-1:123456789012:function:GenreFunction:7"
HOOK_EVENT = {"DeploymentId": "d-ABC123", "LifecycleEventHookExecutionId": "hook-1"}


def streaming(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


class Clients:
    """boto3 clients whose calls a test scripts, in order."""

    def __init__(self) -> None:
        region = {
            "region_name": "us-east-1",
            "aws_access_key_id": "x",
            "aws_secret_access_key": "x",
        }
        self.s3 = boto3.client("s3", **region)
        self.lambda_ = boto3.client("lambda", **region)
        self.codedeploy = boto3.client("codedeploy", **region)
        self.stubbers = [Stubber(c) for c in (self.s3, self.lambda_, self.codedeploy)]

    def as_dict(self) -> dict[str, Any]:
        return {"s3": self.s3, "lambda": self.lambda_, "codedeploy": self.codedeploy}

    def golden(self, model: str, golden: bytes | None) -> None:
        key = f"movie-genre/{model}/golden.json"
        if golden is None:
            self.stubbers[0].add_client_error(
                "get_object", "NoSuchKey", expected_params={"Bucket": "models", "Key": key}
            )
        else:
            self.stubbers[0].add_response(
                "get_object", {"Body": streaming(golden)}, {"Bucket": "models", "Key": key}
            )

    def answer(self, response: dict[str, Any], sent: list[dict[str, Any]]) -> None:
        """The new version answers with response; what the hook sent lands in sent."""

        class Capture:
            def __eq__(self, payload: object) -> bool:
                sent.append(json.loads(payload))  # type: ignore[arg-type]
                return True

        self.stubbers[1].add_response(
            "invoke",
            {"StatusCode": 200, "Payload": streaming(json.dumps(response).encode())},
            {"FunctionName": NEW_VERSION, "Payload": Capture()},
        )

    def expect_status(self, status: str) -> None:
        self.stubbers[2].add_response(
            "put_lifecycle_event_hook_execution_status",
            {"lifecycleEventHookExecutionId": "hook-1"},
            {
                "deploymentId": "d-ABC123",
                "lifecycleEventHookExecutionId": "hook-1",
                "status": status,
            },
        )


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clients]:
    monkeypatch.setenv("NEW_VERSION", NEW_VERSION)
    monkeypatch.setenv("MODEL_BUCKET", "models")
    monkeypatch.setenv("MODEL_PREFIX", "movie-genre")
    made = Clients()
    for stubber in made.stubbers:
        stubber.activate()
    yield made
    for stubber in made.stubbers:
        stubber.assert_no_pending_responses()
        stubber.deactivate()


def real_answer(classifier: GenreClassifier, event: dict[str, Any]) -> dict[str, Any]:
    """What the function built from this artifact answers to the hook's event."""
    handler = build_handler(Settings(model_dir=Path(".")), classifier, observe=False)
    return handler(event, LambdaContext())


def golden_movies(artifact: Path) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The artifact's golden set, and its movies as the hook sends them."""
    golden = json.loads((artifact / "golden.json").read_text())
    return golden, [
        {"title": m["title"], "description": m["description"]} for m in golden["movies"]
    ]


def run_hook(clients: Clients) -> dict[str, Any]:
    return pretraffic.handler(HOOK_EVENT, None, clients.as_dict())


def test_a_version_that_answers_as_trained_gets_traffic(
    clients: Clients,
    classifier: GenreClassifier,
    packaged: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EXPECTED_MODEL_VERSION", classifier.version)
    golden, movies = golden_movies(packaged["artifact"])
    clients.golden(classifier.version, json.dumps(golden).encode())
    sent: list[dict[str, Any]] = []
    clients.answer(real_answer(classifier, pretraffic.genres_event(movies)), sent)
    clients.expect_status("Succeeded")
    assert run_hook(clients) == {"status": "Succeeded", "problems": []}
    (event_sent,) = sent
    assert event_sent["rawPath"] == "/genres"
    assert len(json.loads(event_sent["body"])["movies"]) == 32


@pytest.mark.parametrize(
    ("tolerance", "status"),
    [(None, "Failed"), (0.01, "Succeeded")],
    ids=["float-model-tolerance", "wider-int8-tolerance"],
)
def test_a_golden_score_that_moved_past_the_sets_tolerance_is_refused(
    clients: Clients,
    classifier: GenreClassifier,
    packaged: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    tolerance: float | None,
    status: str,
) -> None:
    monkeypatch.setenv("EXPECTED_MODEL_VERSION", classifier.version)
    golden, movies = golden_movies(packaged["artifact"])
    answer = real_answer(classifier, pretraffic.genres_event(movies))
    assert golden["tolerance"] == 1e-4  # a float model's
    if tolerance is not None:
        golden["tolerance"] = tolerance  # an int8 model's is wider
    golden["movies"][5]["scores"] = {k: v + 0.005 for k, v in golden["movies"][5]["scores"].items()}
    clients.golden(classifier.version, json.dumps(golden).encode())
    clients.answer(answer, [])
    clients.expect_status(status)
    result = run_hook(clients)
    assert result["status"] == status
    if status == "Failed":
        assert len(result["problems"]) == 1
        assert "scores differ from training" in result["problems"][0]
    else:
        assert result["problems"] == []


def test_a_version_that_serves_another_model_is_refused(
    clients: Clients,
    classifier: GenreClassifier,
    packaged: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EXPECTED_MODEL_VERSION", "20991231-000000-other")
    golden, movies = golden_movies(packaged["artifact"])
    clients.golden("20991231-000000-other", json.dumps(golden).encode())
    clients.answer(real_answer(classifier, pretraffic.genres_event(movies)), [])
    clients.expect_status("Failed")
    (problem,) = run_hook(clients)["problems"]
    assert (
        problem == f"the new version serves model {classifier.version}, not 20991231-000000-other"
    )


def test_an_error_answer_is_refused(clients: Clients, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPECTED_MODEL_VERSION", "v1")
    clients.golden("v1", json.dumps({"movies": []}).encode())
    clients.answer({"statusCode": 500, "body": "{}"}, [])
    clients.expect_status("Failed")
    assert run_hook(clients)["problems"][0].startswith("the new version answered 500")


def test_no_model_version_or_no_golden_set_fails_the_deployment(
    clients: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EXPECTED_MODEL_VERSION", raising=False)
    clients.expect_status("Failed")
    assert "ModelVersion is not set" in run_hook(clients)["problems"][0]
    monkeypatch.setenv("EXPECTED_MODEL_VERSION", "v404")
    clients.golden("v404", None)
    clients.expect_status("Failed")
    assert (
        "cannot read the golden set s3://models/movie-genre/v404/golden.json"
        in (run_hook(clients)["problems"][0])
    )


def test_the_hook_imports_no_spacy() -> None:
    source = Path(pretraffic.__file__).read_text()
    imports = [
        line.split()[1] for line in source.splitlines() if line.startswith(("import ", "from "))
    ]
    assert set(imports) <= {"__future__", "json", "os", "dataclasses", "typing"}
