"""The AWS calls a program made, from moto server's recording (MOTO_ENABLE_RECORDING), as the
(IAM action, resource ARN, request context) that IAM would authorize for each of them."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from tests.helpers.deploy_access import ACCOUNT, TRANSFORM, Call

SCOPE = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request")
FREE = {"sts:GetCallerIdentity"}  # needs no permission


class UnmappedCall(Exception):
    """A call this reader cannot name: a new kind of call the policy test must learn about."""


def recorded_calls(recording: Path) -> list[Call]:
    calls: list[Call] = []
    for line in recording.read_text().splitlines():
        entry = json.loads(line)
        body = base64.b64decode(entry["body"]) if entry["body_encoded"] else entry["body"] or ""
        text = body.decode(errors="replace") if isinstance(body, bytes) else body  # S3: a zip
        scope = SCOPE.search(entry["headers"].get("Authorization", ""))
        if scope is None:
            raise UnmappedCall(f"unsigned request {entry['method']} {entry['url']}")
        service, region = scope["service"], scope["region"]
        if service == "s3":
            calls += _s3(entry["method"], entry["url"])
        elif service in {"cloudformation", "sts"}:
            calls += _query(service, region, {k: v[0] for k, v in parse_qs(text).items()})
        elif service == "ecr":
            action = entry["headers"]["X-Amz-Target"].split(".")[-1]
            repository = json.loads(text or "{}").get("repositoryName")
            arn = f"arn:aws:ecr:{region}:{ACCOUNT}:repository/{repository}" if repository else "*"
            calls.append((f"ecr:{action}", arn, {}))
        else:
            raise UnmappedCall(f"{service}: {entry['method']} {entry['url']}")
    return [call for call in calls if call[0] not in FREE]


def _stack_arn(region: str, stack: str) -> str:
    if stack.startswith("arn:"):
        return stack
    return f"arn:aws:cloudformation:{region}:{ACCOUNT}:stack/{stack}/recorded"


def _query(service: str, region: str, params: dict[str, str]) -> list[Call]:
    action = f"{service}:{params['Action']}"
    if service == "sts":
        return [(action, "*", {})]
    stack = params.get("StackName") or params["ChangeSetName"].split(":changeSet/")[0]
    calls: list[Call] = [(action, _stack_arn(region, stack), {})]
    if params["Action"] in {"CreateChangeSet", "CreateStack", "UpdateStack"}:
        # Both SAM's templates use the Serverless transform, and CloudFormation reads the
        # template from S3 with the caller's rights.
        calls.append(("cloudformation:CreateChangeSet", TRANSFORM.format(region=region), {}))
        if "TemplateURL" in params:
            bucket_key = urlsplit(params["TemplateURL"]).path.lstrip("/")
            calls.append(("s3:GetObject", f"arn:aws:s3:::{bucket_key}", {}))
    if "RoleARN" in params:
        passed = {"iam:PassedToService": "cloudformation.amazonaws.com"}
        calls.append(("iam:PassRole", params["RoleARN"], passed))
    return calls


def _s3(method: str, url: str) -> list[Call]:
    parts = urlsplit(url)
    bucket, _, key = unquote(parts.path).lstrip("/").partition("/")
    query = parse_qs(parts.query, keep_blank_values=True)
    if not key:
        prefix = query.get("prefix", [""])[0]
        return [("s3:ListBucket", f"arn:aws:s3:::{bucket}", {"s3:prefix": prefix})]
    action = "s3:GetObject" if method in {"GET", "HEAD"} else "s3:PutObject"
    return [(action, f"arn:aws:s3:::{bucket}/{key}", {})]
