"""deploy/bootstrap.py: the parameters of an environment's access stack, and the account's
GitHub OIDC provider made once (moto for IAM and CloudFormation)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import bootstrap
import boto3
import pytest
from environments import ConfigError, environment
from moto import mock_aws

from tests.helpers.cloudformation import Resolver, load_template
from tests.helpers.data import REPO

ACCESS_TEMPLATE = load_template(REPO / "deploy" / "environment-access.yaml")
PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"


def parameters(name: str, repository: str = "octo-org/movie-genre") -> dict[str, str]:
    return bootstrap.access_parameters(
        environment(name),
        repository=repository,
        artifacts_bucket="aws-sam-cli-managed-default-samclisourcebucket-1",
        oidc_provider=PROVIDER,
        model_registry="movie-genre-account-modelregistry-1",
    )


def test_each_environment_gets_its_own_names_and_only_dev_pulls_models() -> None:
    dev, prod = parameters("dev"), parameters("prod")
    assert dev["CompanionStackName"] == "movie-genre-dev-ef3ac4ff-CompanionStack"
    assert prod["ImageRepository"] == "moviegenreprod19c121c8/genrefunction52799c6frepo"
    assert (dev["ArtifactsPrefix"], prod["ArtifactsPrefix"]) == (
        "movie-genre-dev",
        "movie-genre-prod",
    )
    assert dev["ModelRegistryBucket"] and prod["ModelRegistryBucket"] == ""


@pytest.mark.parametrize("repository", ["", "octo-org", "octo-org/movie genre", "a/b/c", "x;id/y"])
def test_a_repository_that_is_not_owner_slash_name_is_refused(repository: str) -> None:
    with pytest.raises(ConfigError, match="is not OWNER/NAME"):
        parameters("dev", repository)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        yield {
            "cloudformation": boto3.client("cloudformation", region_name="us-east-1"),
            "iam": boto3.client("iam", region_name="us-east-1"),
        }


def test_a_first_run_makes_the_provider_unless_the_account_has_one(aws: dict[str, Any]) -> None:
    assert bootstrap.account_parameters(aws["cloudformation"], aws["iam"]) == {
        "ExistingGitHubOidcProviderArn": ""
    }
    aws["iam"].create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"]
    )
    assert bootstrap.account_parameters(aws["cloudformation"], aws["iam"]) == {
        "ExistingGitHubOidcProviderArn": PROVIDER
    }


def test_a_later_run_keeps_the_account_stacks_choice(aws: dict[str, Any]) -> None:
    """Once the account stack made the provider, passing its ARN back would delete it."""
    template = {
        "Parameters": {"ExistingGitHubOidcProviderArn": {"Type": "String", "Default": ""}},
        "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"ModelRegistryBucket": {"Value": "registry"}},
    }
    aws["cloudformation"].create_stack(
        StackName=bootstrap.ACCOUNT_STACK,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "ExistingGitHubOidcProviderArn", "ParameterValue": ""}],
    )
    aws["iam"].create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"]
    )
    assert bootstrap.account_parameters(aws["cloudformation"], aws["iam"]) == {
        "ExistingGitHubOidcProviderArn": ""
    }


LEGACY, IMMUTABLE = "octo-org/movie-genre", "octo-org@1234567/movie-genre@89012345"


@pytest.mark.parametrize("repository", [LEGACY, IMMUTABLE])
def test_both_forms_of_githubs_subject_claim_are_trusted_as_given(repository: str) -> None:
    """Repositories created from 15 July 2026 send repo:OWNER@ORGID/NAME@REPOID:...; older ones
    send repo:OWNER/NAME:... The trust policy holds the form the repository sends."""
    given = parameters("dev", repository)
    assert given["GitHubRepository"] == repository
    role = ACCESS_TEMPLATE["Resources"]["DeployRole"]["Properties"]
    (statement,) = Resolver(given)(role["AssumeRolePolicyDocument"])["Statement"]
    subject = statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"]
    assert subject == f"repo:{repository}:environment:dev"


@pytest.mark.parametrize(
    "repository",
    [
        LEGACY,
        IMMUTABLE,
        "",
        "octo-org@12/movie-genre",
        "octo-org/movie-genre@3",
        "a@b/c@d",
        "a/b/c",
    ],
)
def test_the_access_stack_accepts_exactly_what_bootstrap_accepts(repository: str) -> None:
    pattern = ACCESS_TEMPLATE["Parameters"]["GitHubRepository"]["AllowedPattern"]
    try:
        parameters("dev", repository)
        accepted = True
    except ConfigError:
        accepted = False
    assert accepted == bool(re.fullmatch(pattern, repository))
    assert accepted == (repository in {LEGACY, IMMUTABLE})


def test_the_refusal_says_how_to_read_the_immutable_form() -> None:
    with pytest.raises(ConfigError, match=r"gh api repos/OWNER/NAME --jq"):
        parameters("dev", "")


def test_a_bad_repository_stops_bootstrap_before_it_creates_anything(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    commands: list[list[str]] = []

    def run(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        return subprocess.CompletedProcess(command, 0, stdout="samclisourcebucket-1\n")

    monkeypatch.setattr(bootstrap.subprocess, "run", run)
    with pytest.raises(ConfigError, match="GITHUB_REPOSITORY"):
        bootstrap.bootstrap("dev", "sam", "")
    assert commands == []
    assert aws["cloudformation"].describe_stacks()["Stacks"] == []
