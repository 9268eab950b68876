"""deploy/bootstrap.py: the parameters of an environment's access stack, and the account's
GitHub OIDC provider made once (moto for IAM and CloudFormation)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import bootstrap
import boto3
import pytest
from environments import ConfigError, environment
from moto import mock_aws

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
    with pytest.raises(ConfigError, match="is not owner/name"):
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
