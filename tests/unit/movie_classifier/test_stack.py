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


def test_no_region_is_one_line_that_names_region(
    monkeypatch: pytest.MonkeyPatch, aws_credentials: None, no_network: list[tuple[object, ...]]
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    result = CliRunner().invoke(main, [*OTHELLO, "--stack", "movie-genre-dev"])
    assert result.exit_code == 9
    assert result.output.strip() == (
        "Error: stack 'movie-genre-dev': no AWS region (give --region, or set AWS_REGION)"
    )
    assert no_network == []


def test_no_credentials_is_one_line(
    no_aws_credentials: None, no_network: list[tuple[object, ...]]
) -> None:
    result = CliRunner().invoke(
        main, [*OTHELLO, "--stack", "movie-genre-prod", "--region", "us-east-1"]
    )
    assert result.exit_code == 9
    assert result.output.strip() == (
        "Error: stack 'movie-genre-prod': no AWS credentials found (set AWS_PROFILE, or "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
    )
    assert no_network == []


def test_an_unknown_profile_is_one_line(no_aws_credentials: None) -> None:
    result = CliRunner().invoke(main, [*OTHELLO, "--stack", "movie-genre-dev", "--profile", "nope"])
    assert result.exit_code == 9
    assert result.output.strip() == "Error: --stack: The config profile (nope) could not be found"


def test_aws_region_is_read_as_the_aws_cli_reads_it(
    cloudformation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """boto3 alone reads AWS_DEFAULT_REGION, not AWS_REGION, which the error message names."""
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    cloudformation.create_stack(
        StackName="movie-genre-dev", TemplateBody=template({"GenreApiUrl": "http://127.0.0.1:9"})
    )
    result = CliRunner().invoke(main, [*OTHELLO, "--stack", "movie-genre-dev", "--no-iam"])
    assert result.exit_code == 4  # found the stack, then its (stand-in) URL did not answer
    assert "cannot reach http://127.0.0.1:9" in result.output
