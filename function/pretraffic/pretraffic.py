"""CodeDeploy PreTraffic hook: check a new movie-genre version before any traffic reaches it.

It invokes the new version (NEW_VERSION) with the golden set of the model the image bundles,
as an API Gateway POST /genres event, and reports Succeeded to CodeDeploy only if the version
answers 200, says it serves EXPECTED_MODEL_VERSION, and scores every golden movie as at
packaging time. Anything else, an error or a timeout included, reports Failed: CodeDeploy then
stops and rolls back.

The golden set travels in this function's own package (model/manifest.json and
model/golden.json, copied by `make build` from the model the image bundles; see Makefile here),
so a deployment never waits on a bucket that a new account has not filled yet, and this
function reads no S3 at all. Its manifest's sha256 ties the golden set to the model version.

Small on purpose: the standard library, boto3 (in the Lambda runtime) and the stdlib-only
modules of genre_model that the build copies beside it (SHARED_MODULES in the Makefile here:
golden, manifest, evaluation, text; no spaCy).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genre_model.golden import MODEL_VERSION_HEADER, golden_tolerance, score_difference
from genre_model.manifest import GOLDEN_NAME, Manifest

# Where the build puts the bundled model's manifest and golden set.
PACKAGED_MODEL = Path(__file__).resolve().parent / "model"
# The new version may need a cold start (up to Lambda's 10 s init) and then its 30 s timeout:
# past that, an answer is not coming. One attempt: a retry would only double the wait.
INVOKE_TIMEOUTS = {"connect_timeout": 5, "read_timeout": 45}
# Reporting the result must get through, or CodeDeploy waits an hour before it gives up.
REPORT_TIMEOUTS = {"connect_timeout": 5, "read_timeout": 10}
FAILED, SUCCEEDED = "Failed", "Succeeded"


@dataclass(frozen=True)
class Target:
    new_version: str  # the function version's ARN
    expected_model: str

    @classmethod
    def from_env(cls) -> Target:
        return cls(
            new_version=os.environ["NEW_VERSION"],
            expected_model=os.environ.get("EXPECTED_MODEL_VERSION", ""),
        )


@dataclass(frozen=True)
class PackagedGolden:
    model_version: str
    movies: list[dict[str, Any]]
    tolerance: float

    @classmethod
    def read(cls, model_dir: Path) -> PackagedGolden:
        """The golden set packaged beside this function, checked against its manifest."""
        manifest = Manifest.read(model_dir)
        data = (model_dir / GOLDEN_NAME).read_bytes()
        if hashlib.sha256(data).hexdigest() != manifest.files.get(GOLDEN_NAME):
            raise ValueError(f"{GOLDEN_NAME} does not match the manifest of {manifest.version}")
        document = json.loads(data)
        return cls(manifest.version, document["movies"], golden_tolerance(document))


def genres_event(movies: list[dict[str, str]]) -> dict[str, Any]:
    """An HTTP API (payload 2.0) event for POST /genres, as API Gateway would send it."""
    return {
        "version": "2.0",
        "routeKey": "POST /genres",
        "rawPath": "/genres",
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "user-agent": "pre-traffic-check"},
        "requestContext": {
            "http": {
                "method": "POST",
                "path": "/genres",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "pre-traffic-check",
            },
            "requestId": "pre-traffic-check",
            "routeKey": "POST /genres",
            "stage": "$default",
        },
        "body": json.dumps({"movies": movies}),
        "isBase64Encoded": False,
    }


def check(target: Target, lambda_client: Any, model_dir: Path) -> list[str]:
    """What is wrong with the new version; an empty list when it may take traffic."""
    if not target.expected_model:
        return ["ModelVersion is not set: deploy with make deploy (it passes the built model's)"]
    golden = PackagedGolden.read(model_dir)
    if golden.model_version != target.expected_model:
        return [
            f"this check carries the golden set of model {golden.model_version}, but the stack's "
            f"ModelVersion is {target.expected_model}: build and deploy with the same make build"
        ]
    movies = [{"title": m["title"], "description": m["description"]} for m in golden.movies]
    invoked = lambda_client.invoke(
        FunctionName=target.new_version, Payload=json.dumps(genres_event(movies)).encode()
    )
    response = json.loads(invoked["Payload"].read())
    if invoked.get("FunctionError") or response.get("statusCode") != 200:
        return [f"the new version answered {response.get('statusCode')}: {str(response)[:500]}"]
    problems = []
    headers = {name.lower(): value for name, value in (response.get("headers") or {}).items()}
    served = headers.get(MODEL_VERSION_HEADER)
    if served != target.expected_model:
        problems.append(f"the new version serves model {served}, not {target.expected_model}")
    results = json.loads(response["body"])["results"]
    for movie, result in zip(golden.movies, results, strict=True):
        try:
            worst = score_difference(movie["scores"], result["scores"])
        except ValueError as error:
            problems.append(f"{movie['title']!r}: {error}")
            continue
        if worst > golden.tolerance:
            problems.append(f"{movie['title']!r}: scores differ from training by {worst:.2g}")
    return problems


def aws_client(service: str, timeouts: dict[str, int], attempts: int) -> Any:
    import boto3  # in the Lambda runtime; imported here so that tests can pass their own clients
    from botocore.config import Config

    config = Config(**timeouts, retries={"mode": "standard", "total_max_attempts": attempts})
    return boto3.client(service, config=config)


def handler(
    event: dict[str, Any], context: Any, clients: dict[str, Any] | None = None
) -> dict[str, Any]:
    status, problems = FAILED, ["the check stopped before it finished"]
    clients = clients or {}
    try:
        lambda_client = clients.get("lambda") or aws_client("lambda", INVOKE_TIMEOUTS, 1)
        problems = check(Target.from_env(), lambda_client, PACKAGED_MODEL)
        status = FAILED if problems else SUCCEEDED
    except Exception as error:
        problems = [f"the check could not run: {error!r}"]
    finally:
        level = "INFO" if status == SUCCEEDED else "ERROR"
        print(json.dumps({"level": level, "status": status, "problems": problems}))
        codedeploy = clients.get("codedeploy") or aws_client("codedeploy", REPORT_TIMEOUTS, 3)
        codedeploy.put_lifecycle_event_hook_execution_status(
            deploymentId=event["DeploymentId"],
            lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
            status=status,
        )
    return {"status": status, "problems": problems}
