"""The stack's side of catalogue jobs (template.yaml, deploy/environment-access.yaml): the state
machine fills every placeholder of its definition, its role may do exactly what the job needs,
the environment's permissions boundary lets it, and `make deploy` passes the bucket."""

from __future__ import annotations

from typing import Any

import environments
import pytest
from environments import environment

from movie_classifier.constants import (
    CATALOGUE_INPUT_OUTPUT,
    CATALOGUE_MACHINE_OUTPUT,
    CATALOGUE_RESULTS_OUTPUT,
)
from tests.helpers.cloudformation import Resolver, load_template
from tests.helpers.data import REPO
from tests.helpers.deploy_access import ACCOUNT, catalogue_bucket, render_access
from tests.helpers.iam_policy import allows
from tests.helpers.statemachine import placeholders

STACK = "movie-genre-dev"
REGION = "us-east-1"
BUCKET = catalogue_bucket("dev")
ALIAS = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{STACK}-GenreFunction-AbC:live"
MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{STACK}-catalogue"
CHILD = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{STACK}-catalogue/ScoreCsv:run:child"
CATALOGUE = f"arn:aws:s3:::{BUCKET}/input/movies.csv"
RESULT = f"arn:aws:s3:::{BUCKET}/results/movies-20261129/4977ded7/SUCCEEDED_0.json"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(REPO / "template.yaml")


def resolver(template: dict[str, Any], bucket: str = BUCKET) -> Resolver:
    names = {
        "AWS::Partition": "aws",
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::StackName": STACK,
        "CatalogueBucket": bucket,
        "GenreFunction.Alias": ALIAS,
        "MaxBatch": "256",
        "CatalogueMaxConcurrency": "100",
        "CatalogueToleratedFailurePercentage": "5",
        "PermissionsBoundaryArn": "",
    }
    return Resolver(names, template["Conditions"])


def machine_policy(template: dict[str, Any]) -> dict[str, Any]:
    machine = resolver(template)(template["Resources"]["CatalogueStateMachine"])
    (policy,) = machine["Properties"]["Policies"]
    return dict(policy)


def test_the_state_machine_fills_every_placeholder_of_its_definition(
    template: dict[str, Any],
) -> None:
    machine = template["Resources"]["CatalogueStateMachine"]
    properties = machine["Properties"]
    assert machine["Condition"] == "HasCatalogueBucket"
    assert properties["Type"] == "STANDARD"
    assert properties["DefinitionUri"] == "statemachine/catalogue.asl.json"
    substitutions = properties["DefinitionSubstitutions"]
    assert set(substitutions) == placeholders()
    assert substitutions["ScoringFunctionArn"] == {"Ref": "GenreFunction.Alias"}
    # One limit for a catalogue batch and for what the function accepts in one.
    variables = template["Resources"]["GenreFunction"]["Properties"]["Environment"]["Variables"]
    assert substitutions["MaxItemsPerBatch"] == variables["MOVIE_GENRE_MAX_BATCH"]
    assert substitutions["MaxItemsPerBatch"] == {"Ref": "MaxBatch"}
    assert substitutions["MaxConcurrency"] == {"Ref": "CatalogueMaxConcurrency"}
    assert substitutions["ToleratedFailurePercentage"] == {
        "Ref": "CatalogueToleratedFailurePercentage"
    }


@pytest.mark.parametrize(
    ("action", "resource", "allowed"),
    [
        ("s3:GetObject", CATALOGUE, True),
        ("s3:PutObject", RESULT, True),
        ("s3:AbortMultipartUpload", RESULT, True),
        ("lambda:InvokeFunction", ALIAS, True),
        ("states:StartExecution", MACHINE, True),
        ("states:DescribeExecution", CHILD, True),
        ("states:StopExecution", CHILD, True),
        ("s3:PutObject", CATALOGUE, False),  # the catalogue is read only
        ("s3:DeleteObject", RESULT, False),
        ("s3:ListBucket", f"arn:aws:s3:::{BUCKET}", False),
        ("s3:GetObject", f"arn:aws:s3:::{BUCKET}/other/x.csv", False),
        ("s3:GetObject", "arn:aws:s3:::someone-else/input/movies.csv", False),
        ("lambda:InvokeFunction", ALIAS.removesuffix(":live"), False),  # $LATEST, not live
        ("lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:other", False),
        ("states:StartExecution", MACHINE.replace("catalogue", "other"), False),
        ("iam:PassRole", "*", False),
    ],
)
def test_the_role_reads_input_writes_results_invokes_the_alias_and_nothing_more(
    template: dict[str, Any], action: str, resource: str, allowed: bool
) -> None:
    assert allows(machine_policy(template), action, resource) is allowed


def test_the_environments_boundary_lets_the_role_do_all_it_is_given(
    template: dict[str, Any],
) -> None:
    boundary = render_access("dev").policy("PermissionsBoundary")
    for action, resource in [
        ("s3:GetObject", CATALOGUE),
        ("s3:PutObject", RESULT),
        ("s3:GetObject", RESULT),
        ("s3:ListMultipartUploadParts", RESULT),
        ("s3:AbortMultipartUpload", RESULT),
        ("lambda:InvokeFunction", ALIAS),
        ("states:StartExecution", MACHINE),
        ("states:DescribeExecution", CHILD),
        ("states:StopExecution", CHILD),
    ]:
        assert allows(machine_policy(template), action, resource)
        assert allows(boundary, action, resource), (action, resource)
    assert not allows(boundary, "s3:PutObject", CATALOGUE)
    assert not allows(boundary, "s3:GetObject", f"arn:aws:s3:::{BUCKET}/other/x")


def test_the_outputs_the_cli_reads_name_the_same_prefixes(template: dict[str, Any]) -> None:
    names = {"CatalogueBucket": BUCKET, "CatalogueStateMachine": MACHINE}
    read = (CATALOGUE_MACHINE_OUTPUT, CATALOGUE_INPUT_OUTPUT, CATALOGUE_RESULTS_OUTPUT)
    outputs = {name: Resolver(names)(template["Outputs"][name]) for name in read}
    for name in read:
        assert outputs[name]["Condition"] == "HasCatalogueBucket"
    assert outputs[CATALOGUE_MACHINE_OUTPUT]["Value"] == MACHINE
    assert outputs[CATALOGUE_INPUT_OUTPUT]["Value"] == f"s3://{BUCKET}/input/"
    assert outputs[CATALOGUE_RESULTS_OUTPUT]["Value"] == f"s3://{BUCKET}/results/"


def test_no_bucket_no_state_machine(template: dict[str, Any]) -> None:
    assert resolver(template).condition("HasCatalogueBucket")
    assert not resolver(template, bucket="").condition("HasCatalogueBucket")


def test_make_deploy_passes_the_environments_catalogue_bucket() -> None:
    access = {
        "CloudFormationRoleArn": f"arn:aws:iam::{ACCOUNT}:role/movie-genre/dev-cloudformation",
        "PermissionsBoundaryArn": f"arn:aws:iam::{ACCOUNT}:policy/movie-genre/dev-boundary",
        "CatalogueBucket": BUCKET,
    }
    command = environments.deploy_command(environment("dev"), "sam", "v", access)
    assert f"CatalogueBucket={BUCKET}" in command
    assert render_access("dev").resources["CatalogueStore"]["DeletionPolicy"] == "Retain"


# A new account's Lambda concurrency quota, often: what an environment that reserves nothing
# (dev) shares with the account's other functions.
NEW_ACCOUNT_QUOTA = 10


def test_a_catalogue_job_leaves_the_api_half_of_each_environments_concurrency() -> None:
    for env in environments.environments().values():
        pool = int(env.overrides["ReservedConcurrency"]) or NEW_ACCOUNT_QUOTA
        assert 0 < int(env.overrides["CatalogueMaxConcurrency"]) <= pool // 2, env.name
