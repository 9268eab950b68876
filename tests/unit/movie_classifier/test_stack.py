"""--stack: the endpoint comes from a CloudFormation stack's GenreApiUrl output (moto)."""

import json

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from movie_classifier.main import main
from tests.helpers.fake_api import Answer, fake_api

OTHELLO = ["--title", "Othello", "--description", "The evil Iago pretends to be a friend."]


def template(outputs: dict[str, str]) -> str:
    return json.dumps(
        {
            "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}},
            "Outputs": {key: {"Value": value} for key, value in outputs.items()},
        }
    )


@pytest.fixture
def cloudformation(monkeypatch: pytest.MonkeyPatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        yield boto3.client("cloudformation", region_name="eu-west-1")


def test_the_stacks_api_url_is_called_with_signed_requests(cloudformation) -> None:
    seen: list[dict[str, str]] = []
    with fake_api([Answer()], seen) as (url, received):
        cloudformation.create_stack(
            StackName="movie-genre", TemplateBody=template({"GenreApiUrl": url + "/"})
        )
        result = CliRunner().invoke(main, [*OTHELLO, "--stack", "movie-genre"])
    assert result.exit_code == 0, result.output
    assert len(received) == 1
    assert "'genre': 'Drama'" in result.output
    # The stack's API may need IAM authorization: with credentials, --stack signs.
    assert "/eu-west-1/execute-api/aws4_request" in seen[0]["Authorization"]


def test_an_unknown_stack(cloudformation) -> None:
    result = CliRunner().invoke(main, [*OTHELLO, "--stack", "nope"])
    assert result.exit_code == 9
    assert "Error: stack 'nope': " in result.output and "does not exist" in result.output


def test_a_stack_without_the_api_output(cloudformation) -> None:
    cloudformation.create_stack(StackName="other", TemplateBody=template({"Something": "x"}))
    result = CliRunner().invoke(main, [*OTHELLO, "--stack", "other"])
    assert result.exit_code == 9
    assert "has no GenreApiUrl output" in result.output
