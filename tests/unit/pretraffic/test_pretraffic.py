"""The CodeDeploy PreTraffic hook, with botocore's Stubber for Lambda and CodeDeploy, the real
function (build_handler) answering the event the hook sends, and the golden set packed beside the
hook as its build packs it."""

from __future__ import annotations

import hashlib
import io
import json
import math
import shutil
import subprocess
import sys
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
from tests.helpers.data import REPO
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
        self.lambda_ = boto3.client("lambda", **region)
        self.codedeploy = boto3.client("codedeploy", **region)
        self.stubbers = [Stubber(c) for c in (self.lambda_, self.codedeploy)]

    def as_dict(self) -> dict[str, Any]:
        return {"lambda": self.lambda_, "codedeploy": self.codedeploy}

    def answer(self, response: dict[str, Any], sent: list[dict[str, Any]]) -> None:
        """The new version answers with response; what the hook sent lands in sent."""

        class Capture:
            def __eq__(self, payload: object) -> bool:
                sent.append(json.loads(payload))  # type: ignore[arg-type]
                return True

        self.stubbers[0].add_response(
            "invoke",
            {"StatusCode": 200, "Payload": streaming(json.dumps(response).encode())},
            {"FunctionName": NEW_VERSION, "Payload": Capture()},
        )

    def expect_status(self, status: str) -> None:
        self.stubbers[1].add_response(
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
    made = Clients()
    for stubber in made.stubbers:
        stubber.activate()
    yield made
    for stubber in made.stubbers:
        stubber.assert_no_pending_responses()
        stubber.deactivate()


@pytest.fixture
def hook_model(packaged: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The manifest and golden set packed beside the hook, as function/pretraffic/Makefile does."""
    model = tmp_path / "model"
    model.mkdir()
    for name in ("manifest.json", "golden.json"):
        shutil.copy(packaged["artifact"] / name, model / name)
    monkeypatch.setattr(pretraffic, "PACKAGED_MODEL", model)
    return model


@pytest.fixture
def expected_model(classifier: GenreClassifier, monkeypatch: pytest.MonkeyPatch) -> str:
    """The stack's ModelVersion: the packed model's own."""
    monkeypatch.setenv("EXPECTED_MODEL_VERSION", classifier.version)
    return classifier.version


def repack_golden(model: Path, golden: dict[str, Any]) -> None:
    """Change the packed golden set and its sha256 in the manifest, as a new model would."""
    data = json.dumps(golden).encode()
    (model / "golden.json").write_bytes(data)
    manifest = json.loads((model / "manifest.json").read_text())
    manifest["files"]["golden.json"] = hashlib.sha256(data).hexdigest()
    (model / "manifest.json").write_text(json.dumps(manifest))


def real_answer(classifier: GenreClassifier, event: dict[str, Any]) -> dict[str, Any]:
    """What the function built from this artifact answers to the hook's event."""
    handler = build_handler(Settings(model_dir=Path(".")), classifier, observe=False)
    return handler(event, LambdaContext())


def golden_movies(model: Path) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The packed golden set, and its movies as the hook sends them."""
    golden = json.loads((model / "golden.json").read_text())
    return golden, [
        {"title": m["title"], "description": m["description"]} for m in golden["movies"]
    ]


def run_hook(clients: Clients) -> dict[str, Any]:
    return pretraffic.handler(HOOK_EVENT, None, clients.as_dict())


def test_a_version_that_answers_as_trained_gets_traffic(
    clients: Clients, classifier: GenreClassifier, hook_model: Path, expected_model: str
) -> None:
    _, movies = golden_movies(hook_model)
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
    hook_model: Path,
    expected_model: str,
    tolerance: float | None,
    status: str,
) -> None:
    golden, movies = golden_movies(hook_model)
    answer = real_answer(classifier, pretraffic.genres_event(movies))
    assert golden["tolerance"] == 1e-4  # a float model's
    if tolerance is not None:
        golden["tolerance"] = tolerance  # an int8 model's is wider
    golden["movies"][5]["scores"] = {k: v + 0.005 for k, v in golden["movies"][5]["scores"].items()}
    repack_golden(hook_model, golden)
    clients.answer(answer, [])
    clients.expect_status(status)
    result = run_hook(clients)
    assert result["status"] == status
    if status == "Failed":
        assert len(result["problems"]) == 1
        assert "scores differ from training" in result["problems"][0]
    else:
        assert result["problems"] == []


@pytest.mark.parametrize("tolerance", ["NaN", math.nan, 1e9, -1e-6, 0.0501, True])
def test_a_tolerance_that_would_let_anything_pass_fails_the_deployment(
    clients: Clients, hook_model: Path, expected_model: str, tolerance: object
) -> None:
    """Nothing is invoked: the golden set is refused before the new version is asked."""
    golden, _ = golden_movies(hook_model)
    golden["tolerance"] = tolerance
    repack_golden(hook_model, golden)
    clients.expect_status("Failed")
    (problem,) = run_hook(clients)["problems"]
    assert problem.startswith("the check could not run") and "tolerance" in problem


def test_a_golden_set_that_does_not_match_its_manifest_fails_the_deployment(
    clients: Clients, classifier: GenreClassifier, hook_model: Path, expected_model: str
) -> None:
    golden, _ = golden_movies(hook_model)
    golden["movies"] = golden["movies"][:1]
    (hook_model / "golden.json").write_text(json.dumps(golden))  # the manifest is unchanged
    clients.expect_status("Failed")
    (problem,) = run_hook(clients)["problems"]
    assert f"golden.json does not match the manifest of {classifier.version}" in problem


def test_a_golden_set_of_another_model_than_the_stacks_fails_without_invoking(
    clients: Clients, hook_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPECTED_MODEL_VERSION", "20991231-000000-0000ffff")
    clients.expect_status("Failed")
    (problem,) = run_hook(clients)["problems"]
    assert "the stack's ModelVersion is 20991231-000000-0000ffff" in problem


def test_a_version_that_serves_another_model_is_refused(
    clients: Clients,
    classifier: GenreClassifier,
    hook_model: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = "20991231-000000-0000ffff"
    monkeypatch.setenv("EXPECTED_MODEL_VERSION", other)
    manifest = json.loads((hook_model / "manifest.json").read_text())
    (hook_model / "manifest.json").write_text(json.dumps({**manifest, "version": other}))
    _, movies = golden_movies(hook_model)
    clients.answer(real_answer(classifier, pretraffic.genres_event(movies)), [])
    clients.expect_status("Failed")
    (problem,) = run_hook(clients)["problems"]
    assert problem == f"the new version serves model {classifier.version}, not {other}"


def test_an_error_answer_is_refused(
    clients: Clients, classifier: GenreClassifier, hook_model: Path, expected_model: str
) -> None:
    clients.answer({"statusCode": 500, "body": "{}"}, [])
    clients.expect_status("Failed")
    assert run_hook(clients)["problems"][0].startswith("the new version answered 500")


def test_a_failed_invoke_is_reported_as_failed(
    clients: Clients, classifier: GenreClassifier, hook_model: Path, expected_model: str
) -> None:
    clients.stubbers[0].add_client_error("invoke", "TooManyRequestsException")
    clients.expect_status("Failed")
    (problem,) = run_hook(clients)["problems"]
    assert "TooManyRequestsException" in problem


def test_failed_is_reported_even_when_the_check_is_interrupted(
    clients: Clients, hook_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever stops the check (here the runtime shutting it down), CodeDeploy hears Failed
    at once instead of waiting an hour for an answer."""

    def interrupted(*args: object) -> list[str]:
        raise SystemExit(1)

    monkeypatch.setattr(pretraffic, "check", interrupted)
    clients.expect_status("Failed")
    with pytest.raises(SystemExit):
        run_hook(clients)


def test_no_model_version_fails_the_deployment(
    clients: Clients, hook_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EXPECTED_MODEL_VERSION", raising=False)
    clients.expect_status("Failed")
    assert "ModelVersion is not set" in run_hook(clients)["problems"][0]


def test_the_invoke_has_a_short_timeout_and_no_retry_and_reporting_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # Lambda sets the region
    invoke = pretraffic.aws_client("lambda", pretraffic.INVOKE_TIMEOUTS, 1).meta.config
    assert (invoke.connect_timeout, invoke.read_timeout) == (5, 45)
    assert invoke.retries == {"mode": "standard", "total_max_attempts": 1}
    report = pretraffic.aws_client("codedeploy", pretraffic.REPORT_TIMEOUTS, 3).meta.config
    assert (report.read_timeout, report.retries["total_max_attempts"]) == (10, 3)


def build_hook(artifacts: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """function/pretraffic/Makefile's target, run as `sam build` runs it."""
    return subprocess.run(
        ["make", "-s", "-f", "function/pretraffic/Makefile", "build-PreTrafficCheck"],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "ARTIFACTS_DIR": str(artifacts), **env},
        capture_output=True,
        text=True,
    )


def test_the_built_hook_runs_on_the_standard_library_alone(tmp_path: Path) -> None:
    """The hook's build packs a function that imports with no site-packages at all (no spaCy;
    boto3 only when it calls AWS), reads the golden set of the model it was given, and shares
    genre_model's golden comparison."""
    artifacts = tmp_path / "PreTrafficCheck"
    assert build_hook(artifacts, BUNDLED_MODEL="models/default").returncode == 0
    probe = (
        "import sys, pretraffic; "
        "golden = pretraffic.PackagedGolden.read(pretraffic.PACKAGED_MODEL); "
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'spacy', 'boto3', 'numpy'}); "
        "shared = pretraffic.score_difference.__module__; "
        "print(golden.model_version, len(golden.movies), loaded, shared)"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", f"import sys; sys.path.insert(0, '.'); {probe}"],
        cwd=artifacts,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    version = json.loads((REPO / "models/default/manifest.json").read_text())["version"]
    assert result.stdout.split() == [version, "32", "[]", "genre_model.golden"]
    assert not (artifacts / "genre_model" / "__init__.py").exists()


def test_the_hook_build_refuses_to_run_without_the_bundled_model(tmp_path: Path) -> None:
    result = build_hook(tmp_path)
    assert result.returncode != 0
    assert "BUNDLED_MODEL is not set: build with make build" in result.stderr
