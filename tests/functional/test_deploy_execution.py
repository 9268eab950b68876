"""The deploy rehearsal one step further (tests/functional/test_deploy_rehearsal.py stops where
moto cannot execute a change set with the Serverless transform): template.yaml, transformed as
CloudFormation transforms it (samtranslator), is created as a stack on moto's CloudFormation, for
every environment with its own parameters.

moto implements only some resource types. Those it does not, and every resource that names one
of them (it could not be created without it), are left out and listed: run with -s to see the
list. What is created is then read back through each service's own API.

One type moto's CloudFormation lacks is stood in for, because the API's function names it: the
feedback client key (AWS::SecretsManager::Secret with GenerateSecretString), made in moto's own
Secrets Manager as CloudFormation's handler makes it. moto leaves the function's dynamic
reference to it as text; the test resolves it as CloudFormation does at deploy."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import environments
import pytest
from moto import mock_aws
from moto.cloudformation import parsing
from moto.cloudformation.parsing import resource_class_from_type
from moto.core.common_models import CloudFormationModel
from moto.secretsmanager.models import secretsmanager_backends
from moto.secretsmanager.utils import random_password

from genre_api.settings import Settings
from tests.helpers.data import REPO
from tests.helpers.deploy_access import ACCOUNT, catalogue_bucket, feedback_bucket
from tests.helpers.sam_transform import (
    PACKAGED,
    direct_dependencies,
    references,
    transformed_template,
)
from tests.helpers.statemachine import DEFINITION

VERSION = json.loads((REPO / "models/default/manifest.json").read_text())["version"]


def executable_part(template: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The template less what moto cannot create; and what was left out, and why."""
    resources = template["Resources"]
    unsupported = {n for n, r in resources.items() if resource_class_from_type(r["Type"]) is None}
    dependencies = direct_dependencies(template)
    left_out = set(unsupported)
    while True:
        naming = {
            name
            for name, resource in resources.items()
            if name not in left_out and (dependencies[name] - _depends_on(resource)) & left_out
        }
        if not naming:
            break
        left_out |= naming
    kept = {n: r for n, r in resources.items() if n not in left_out}
    for resource in kept.values():
        if "DependsOn" in resource:  # an order only: what it waited for is not made here
            resource["DependsOn"] = sorted(_depends_on(resource) - left_out)
    outputs = {
        key: output
        for key, output in template.get("Outputs", {}).items()
        if not set(references(output)) & left_out
    }
    skipped = {
        "not implemented by moto": sorted({resources[n]["Type"] for n in unsupported}),
        "naming one of those": sorted(left_out - unsupported),
    }
    return {**template, "Resources": kept, "Outputs": outputs}, skipped


def _depends_on(resource: dict[str, Any]) -> set[str]:
    depends_on = resource.get("DependsOn", [])
    return {depends_on} if isinstance(depends_on, str) else set(depends_on)


class GeneratedSecret(CloudFormationModel):
    """AWS::SecretsManager::Secret with GenerateSecretString, in moto's Secrets Manager: a
    secret of the Name given, its string drawn as GetRandomPassword draws one."""

    def __init__(self, arn: str) -> None:
        self.physical_resource_id = arn  # what Ref gives, as for a real secret

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::Secret"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> GeneratedSecret:
        properties = cloudformation_json["Properties"]
        drawn = properties["GenerateSecretString"]
        value = random_password(
            drawn.get("PasswordLength", 32),
            drawn.get("ExcludeCharacters", ""),
            drawn.get("ExcludeNumbers", False),
            drawn.get("ExcludePunctuation", False),
            drawn.get("ExcludeUppercase", False),
            drawn.get("ExcludeLowercase", False),
            drawn.get("IncludeSpace", False),
            drawn.get("RequireEachIncludedType", True),
        )
        created = secretsmanager_backends[account_id][region_name].create_secret(
            name=properties.get("Name", resource_name),
            secret_string=value,
            secret_binary=None,
            description=properties.get("Description"),
            tags=None,
            kms_key_id=None,
            client_request_token=None,
            replica_regions=[],
            force_overwrite=False,
        )
        return cls(json.loads(created)["ARN"])


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setitem(
        parsing.get_model_map(), GeneratedSecret.cloudformation_type(), GeneratedSecret
    )
    with mock_aws():
        yield


def packaged_artifacts(region: str) -> None:
    """What `sam package` uploads: the hook's zip and the state machine's definition."""
    s3 = boto3.client("s3", region_name=region)
    for location in (PACKAGED["CodeUri"], PACKAGED["DefinitionUri"]):
        bucket = location.removeprefix("s3://").split("/")[0]
        if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
            s3.create_bucket(Bucket=bucket)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(REPO / "function/pretraffic/pretraffic.py", "pretraffic.py")
    s3.put_object(Bucket="bucket", Key="hook.zip", Body=archive.getvalue())
    s3.put_object(Bucket="bucket", Key="definition.asl.json", Body=DEFINITION.read_bytes())


def stack_parameters(env: environments.Environment) -> list[dict[str, str]]:
    """What `make deploy` passes after `make bootstrap` (deploy/environments.py)."""
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/movie-genre/movie-genre-{env.name}-boundary"
    values = {
        **env.overrides,
        "ModelVersion": VERSION,
        "PermissionsBoundaryArn": boundary,
        "FeedbackBucket": feedback_bucket(env.name),
        "CatalogueBucket": catalogue_bucket(env.name),
    }
    return [{"ParameterKey": key, "ParameterValue": value} for key, value in values.items()]


@pytest.mark.parametrize("name", sorted(environments.environments()))
def test_the_transformed_template_creates_on_moto_as_far_as_moto_goes(
    name: str, aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    env = environments.environment(name)
    template, skipped = executable_part(transformed_template())
    with capsys.disabled():
        print(f"\n{env.stack} on moto, left out: {json.dumps(skipped, indent=1)}")
    packaged_artifacts(env.region)
    cloudformation = boto3.client("cloudformation", region_name=env.region)
    cloudformation.create_stack(
        StackName=env.stack,
        TemplateBody=json.dumps(template),
        Parameters=stack_parameters(env),
        Capabilities=["CAPABILITY_IAM"],
    )
    (stack,) = cloudformation.describe_stacks(StackName=env.stack)["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    created = cloudformation.describe_stack_resources(StackName=env.stack)["StackResources"]
    assert {r["LogicalResourceId"] for r in created} == set(template["Resources"])
    assert {r["ResourceStatus"] for r in created} == {"CREATE_COMPLETE"}
    physical = {r["LogicalResourceId"]: r.get("PhysicalResourceId") for r in created}

    # The API's function as the parameters make it, read back from Lambda.
    function = boto3.client("lambda", region_name=env.region).get_function(
        FunctionName=physical["GenreFunction"]
    )
    # (moto's CloudFormation keeps the code, memory, timeout, variables and reservation only)
    assert function["Code"]["ImageUri"] == PACKAGED["ImageUri"]
    assert (function["Configuration"]["MemorySize"], function["Configuration"]["Timeout"]) == (
        1024,
        30,
    )
    reserved = int(env.overrides["ReservedConcurrency"])
    assert function.get("Concurrency", {}).get("ReservedConcurrentExecutions", 0) == reserved
    variables = function["Configuration"]["Environment"]["Variables"]
    assert variables["MOVIE_GENRE_FEEDBACK_BUCKET"] == feedback_bucket(env.name)
    # The feedback client key: the stack's own secret, named where its CloudFormation role may
    # make it, resolved into the function's environment, and a key the API takes.
    key = physical["FeedbackClientKey"]
    assert key.split(":")[6].startswith(f"{env.stack}-feedback-client-key-")
    assert variables["MOVIE_GENRE_FEEDBACK_CLIENT_KEY"] == f"{{{{resolve:secretsmanager:{key}}}}}"
    secrets = boto3.client("secretsmanager", region_name=env.region)
    resolved = secrets.get_secret_value(SecretId=key)["SecretString"]
    assert len(resolved) == 64 and resolved.isalnum()
    setting = Settings(feedback_client_key=resolved).feedback_client_key
    assert setting is not None and setting.get_secret_value() == resolved
    # Every role the stack made carries the environment's permissions boundary.
    iam = boto3.client("iam", region_name=env.region)
    roles = [r for r in created if r["ResourceType"] == "AWS::IAM::Role"]
    assert roles
    for role in roles:
        found = iam.get_role(RoleName=role["PhysicalResourceId"])["Role"]
        assert found["PermissionsBoundary"]["PermissionsBoundaryArn"].endswith(
            f"movie-genre-{env.name}-boundary"
        ), role["LogicalResourceId"]
    # The pre-traffic hook reserves one only where the API's function reserves any. (Its
    # variables hold moto's Version object, which its get_function cannot serialize.)
    hook = boto3.client("lambda", region_name=env.region).get_function_concurrency(
        FunctionName=physical["PreTrafficCheck"]
    )
    assert hook.get("ReservedConcurrentExecutions", 0) == (1 if reserved else 0)
    assert skipped["not implemented by moto"]  # what only a real account shows (docs/deploy.md)
