"""CodeDeploy PreTraffic hook: check a new movie-genre version before any traffic reaches it.

It invokes the new version (NEW_VERSION) with the golden set that `publish` stored beside the
model meant to ship (s3://MODEL_BUCKET/MODEL_PREFIX/EXPECTED_MODEL_VERSION/golden.json), as an
API Gateway POST /genres event, and reports Succeeded to CodeDeploy only if the version answers
200, says it serves EXPECTED_MODEL_VERSION, and scores every golden movie as at training time.
Anything else, an error included, reports Failed: CodeDeploy then stops and rolls back.

Small on purpose: boto3 (in the Lambda runtime) and the standard library, no spaCy.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

TOLERANCE = 1e-4  # unless golden.json says otherwise, as the function's own golden check
VERSION_HEADER = "x-model-version"


@dataclass(frozen=True)
class Target:
    new_version: str  # the function version's ARN
    expected_model: str
    bucket: str
    prefix: str

    @classmethod
    def from_env(cls) -> Target:
        return cls(
            new_version=os.environ["NEW_VERSION"],
            expected_model=os.environ.get("EXPECTED_MODEL_VERSION", ""),
            bucket=os.environ["MODEL_BUCKET"],
            prefix=os.environ.get("MODEL_PREFIX", "movie-genre").strip("/"),
        )


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


def check(target: Target, s3: Any, lambda_client: Any) -> list[str]:
    """What is wrong with the new version; an empty list when it may take traffic."""
    if not target.expected_model:
        return ["ModelVersion is not set: deploy with --parameter-overrides ModelVersion=<version>"]
    key = f"{target.prefix}/{target.expected_model}/golden.json"
    try:
        document = json.loads(s3.get_object(Bucket=target.bucket, Key=key)["Body"].read())
        golden, tolerance = document["movies"], float(document.get("tolerance", TOLERANCE))
    except Exception as error:
        return [f"cannot read the golden set s3://{target.bucket}/{key}: {error}"]
    movies = [{"title": m["title"], "description": m["description"]} for m in golden]
    invoked = lambda_client.invoke(
        FunctionName=target.new_version, Payload=json.dumps(genres_event(movies)).encode()
    )
    response = json.loads(invoked["Payload"].read())
    if invoked.get("FunctionError") or response.get("statusCode") != 200:
        return [f"the new version answered {response.get('statusCode')}: {str(response)[:500]}"]
    problems = []
    headers = {name.lower(): value for name, value in (response.get("headers") or {}).items()}
    served = headers.get(VERSION_HEADER)
    if served != target.expected_model:
        problems.append(f"the new version serves model {served}, not {target.expected_model}")
    results = json.loads(response["body"])["results"]
    for movie, result in zip(golden, results, strict=True):
        expected, actual = movie["scores"], result["scores"]
        if set(expected) != set(actual):
            problems.append(f"{movie['title']!r}: labels {sorted(actual)} not {sorted(expected)}")
            continue
        worst = max(abs(actual[label] - expected[label]) for label in expected)
        if worst > tolerance:
            problems.append(f"{movie['title']!r}: scores differ from training by {worst:.2g}")
    return problems


def handler(
    event: dict[str, Any], context: Any, clients: dict[str, Any] | None = None
) -> dict[str, Any]:
    import boto3  # in the Lambda runtime; imported here so tests can pass their own clients

    clients = clients or {name: boto3.client(name) for name in ("s3", "lambda", "codedeploy")}
    try:
        problems = check(Target.from_env(), clients["s3"], clients["lambda"])
    except Exception as error:
        problems = [f"the check could not run: {error!r}"]
    status = "Failed" if problems else "Succeeded"
    print(
        json.dumps(
            {"level": "ERROR" if problems else "INFO", "status": status, "problems": problems}
        )
    )
    clients["codedeploy"].put_lifecycle_event_hook_execution_status(
        deploymentId=event["DeploymentId"],
        lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
        status=status,
    )
    return {"status": status, "problems": problems}
