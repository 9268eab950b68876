"""deploy/rollback.py against moto's CloudFormation and Lambda."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import rollback
from moto import mock_aws

REGION = "eu-west-1"


def zipped_code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return {}\n")
    return buffer.getvalue()


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A stack whose function has versions 1..3 and `live` on 3."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        lam = boto3.client("lambda", region_name=REGION)
        arn = lam.create_function(
            FunctionName="GenreFunction",
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": zipped_code()},
        )["FunctionArn"]
        for number in range(3):
            lam.update_function_configuration(FunctionName="GenreFunction", Description=str(number))
            lam.publish_version(FunctionName="GenreFunction")
        lam.create_alias(FunctionName="GenreFunction", Name="live", FunctionVersion="3")
        template = {
            "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}},
            "Outputs": {"GenreFunctionArn": {"Value": arn}},
        }
        boto3.client("cloudformation", region_name=REGION).create_stack(
            StackName="movie-genre-prod", TemplateBody=json.dumps(template)
        )
        yield {"lambda": lam}


def live_version(lam: Any) -> str:
    return str(lam.get_alias(FunctionName="GenreFunction", Name="live")["FunctionVersion"])


def test_the_alias_goes_back_one_version(deployed: dict[str, Any]) -> None:
    assert rollback.rollback("movie-genre-prod", REGION, None) == ("3", "2")
    assert live_version(deployed["lambda"]) == "2"
    assert rollback.rollback("movie-genre-prod", REGION, None) == ("2", "1")


def test_a_named_version(deployed: dict[str, Any]) -> None:
    assert rollback.rollback("movie-genre-prod", REGION, "1") == ("3", "1")
    assert live_version(deployed["lambda"]) == "1"


def test_nothing_before_the_first_version(deployed: dict[str, Any]) -> None:
    rollback.rollback("movie-genre-prod", REGION, "1")
    with pytest.raises(SystemExit, match="version 1 is the first one"):
        rollback.rollback("movie-genre-prod", REGION, None)


@pytest.mark.parametrize("to", ["7", "0", "2; rm -rf /", "$LATEST"])
def test_a_version_that_is_not_published_is_refused_before_anything_moves(
    deployed: dict[str, Any], to: str
) -> None:
    with pytest.raises(SystemExit, match=r"no version .* to roll back to; published: \[1, 2, 3\]"):
        rollback.rollback("movie-genre-prod", REGION, to)
    assert live_version(deployed["lambda"]) == "3"


def test_make_rollback_takes_the_environment_and_a_version(monkeypatch: pytest.MonkeyPatch) -> None:
    """`make rollback ENV=prod TO=2` runs `rollback.py --env prod --to 2`: the stack and its
    region come from samconfig.toml."""
    calls = []
    monkeypatch.setattr(rollback, "rollback", lambda *args: calls.append(args) or ("3", "2"))
    monkeypatch.setattr("sys.argv", ["rollback.py", "--env", "prod", "--to", "2"])
    rollback.main()
    assert calls == [("movie-genre-prod", "us-east-1", "2")]
