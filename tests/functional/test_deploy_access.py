"""Who may deploy what: each environment's access stack (deploy/environment-access.yaml) as
`make bootstrap` deploys it, evaluated against what `sam deploy` does, by SAM CLI's own names."""

from __future__ import annotations

import json
from typing import Any

import pytest
from environments import environments

from tests.helpers.cloudformation import Resolver, load_template
from tests.helpers.data import REPO
from tests.helpers.deploy_access import (
    ACCOUNT,
    ARTIFACTS_BUCKET,
    MODEL_REGISTRY,
    Access,
    feedback_bucket,
    handler_permissions,
    render_access,
    sam_deploy_calls,
    sam_python,
    transformed_resource_types,
)
from tests.helpers.iam_policy import allows

ENVIRONMENTS = sorted(environments())


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def access(request: pytest.FixtureRequest) -> Access:
    return render_access(request.param)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_committed_names_are_what_the_installed_sam_cli_derives(env: str) -> None:
    """deploy/sam-names.json feeds the policies; SAM CLI's own code (samcli.lib.bootstrap.
    companion_stack, on template.yaml's image functions) must agree, or a SAM upgrade that
    renames them fails here instead of in a deploy."""
    stack = environments()[env].stack
    derived = json.loads(sam_python("deploy/sam_names.py", "names", stack))
    assert derived == json.loads((REPO / "deploy/sam-names.json").read_text())[env]
    if env == "dev":  # the names issue 17 quotes from SAM CLI
        assert derived["companion_stack"] == "movie-genre-dev-ef3ac4ff-CompanionStack"
        assert derived["image_repositories"] == {
            "GenreFunction": "moviegenredevef3ac4ff/genrefunction52799c6frepo"
        }


def test_the_deploy_policy_allows_what_sam_deploy_does(access: Access) -> None:
    refused = [
        (action, resource)
        for action, resource, context in sam_deploy_calls(access)
        if not allows(access.deploy_policy, action, resource, context)
    ]
    assert not refused


@pytest.mark.parametrize(("own", "other"), [("dev", "prod"), ("prod", "dev")])
def test_one_environments_role_cannot_deploy_the_other(own: str, other: str) -> None:
    """Anything that says `environment: dev` gets dev's role: it must not reach prod's stack,
    its companion stack and repository, its artifacts, nor pass prod's CloudFormation role."""
    mine, theirs = render_access(own), render_access(other)
    for action, resource, context in sam_deploy_calls(theirs):
        shared = resource == "*" or "transform/" in resource or "aws-sam-cli-managed" in resource
        if shared and not resource.startswith(f"arn:aws:s3:::{ARTIFACTS_BUCKET}/"):
            continue  # SAM's managed stack, the transform and the registry login are everyone's
        assert not allows(mine.deploy_policy, action, resource, context), (action, resource)


def test_the_deploy_policy_names_nothing_broader(access: Access) -> None:
    env, parameters = access.env, access.parameters
    own = (
        f"stack/{env.stack}/*",
        f"stack/{parameters['CompanionStackName']}/*",
        f"stack/{parameters['ManagedStackName']}/*",
        f"stack/{env.access_stack}/*",
        "stack/movie-genre-account/*",
        f"repository/{parameters['ImageRepository']}",
        f"{ARTIFACTS_BUCKET}/{env.artifacts_prefix}/*",
        f"s3:::{ARTIFACTS_BUCKET}",
        f"s3:::{MODEL_REGISTRY}",
        f"function:{env.stack}-*",
        ":role/movie-genre/movie-genre-",
        "transform/Serverless-2016-10-31",
        "/$default/POST/genres",
    )
    for statement in access.deploy_policy["Statement"]:
        if statement["Effect"] == "Deny":
            continue  # prod's refusal to read any model registry
        actions = statement["Action"] if isinstance(statement["Action"], list) else [
            statement["Action"]]  # fmt: skip
        assert all("*" not in action for action in actions), statement["Sid"]
        resources = statement["Resource"]
        for resource in resources if isinstance(resources, list) else [resources]:
            if resource == "*":
                # actions with no resource type (tests/functional/test_iam_actions.py)
                assert actions in (["ecr:GetAuthorizationToken"], ["lambda:GetAccountSettings"])
            else:
                assert any(name in resource for name in own), (statement["Sid"], resource)
                assert ACCOUNT in resource or resource.startswith(
                    ("arn:aws:s3:::", "arn:aws:cloudformation:us-east-1:aws:transform/")
                ), resource


def test_no_deploy_role_writes_the_model_registry(access: Access) -> None:
    version_key = f"arn:aws:s3:::{MODEL_REGISTRY}/movie-genre/20261127-005734-402e991a/model.tar.gz"
    latest = f"arn:aws:s3:::{MODEL_REGISTRY}/movie-genre/latest.json"
    for action in ("s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"):
        for key in (version_key, latest):
            assert not allows(access.deploy_policy, action, key)
    reads = allows(access.deploy_policy, "s3:GetObject", version_key)
    assert reads == access.env.pulls_models  # dev pulls; prod promotes dev's release


def test_the_deploy_role_may_pass_only_its_cloudformation_role(access: Access) -> None:
    policy = access.deploy_policy
    to_cloudformation = {"iam:PassedToService": "cloudformation.amazonaws.com"}
    assert allows(policy, "iam:PassRole", access.cloudformation_role, to_cloudformation)
    other_role = f"arn:aws:iam::{ACCOUNT}:role/admin"
    assert not allows(policy, "iam:PassRole", other_role, to_cloudformation)
    to_lambda = {"iam:PassedToService": "lambda.amazonaws.com"}
    assert not allows(policy, "iam:PassRole", access.cloudformation_role, to_lambda)
    for action in ("iam:CreateRole", "iam:AttachRolePolicy", "iam:PutRolePolicy"):
        assert not allows(policy, action, f"arn:aws:iam::{ACCOUNT}:role/{access.env.stack}-x")


def test_github_may_assume_it_only_from_this_repository_and_environment(access: Access) -> None:
    (statement,) = access.resources["DeployRole"]["Properties"]["AssumeRolePolicyDocument"][
        "Statement"
    ]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": (
                f"repo:octo-org/movie-genre:environment:{access.env.name}"
            ),
        }
    }


def test_cloudformation_creates_roles_only_under_the_boundary(access: Access) -> None:
    policy = access.policy("CloudFormationRole")
    role = f"arn:aws:iam::{ACCOUNT}:role/{access.env.stack}-GenreFunctionRole-AbCdEf"
    bounded = {"iam:PermissionsBoundary": access.boundary}
    assert allows(policy, "iam:CreateRole", role, bounded)
    assert not allows(policy, "iam:CreateRole", role)
    other = {"iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/anything"}
    assert not allows(policy, "iam:CreateRole", role, other)
    assert not allows(policy, "iam:DeleteRolePermissionsBoundary", role, bounded)
    admin = {**bounded, "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}
    assert not allows(policy, "iam:AttachRolePolicy", role, admin)
    lambda_basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    assert allows(policy, "iam:AttachRolePolicy", role, {**bounded, "iam:PolicyARN": lambda_basic})
    outside = f"arn:aws:iam::{ACCOUNT}:role/someone-elses-role"
    assert not allows(policy, "iam:CreateRole", outside, bounded)
    assert not allows(policy, "iam:PassRole", role, {"iam:PassedToService": "ec2.amazonaws.com"})
    assert allows(policy, "iam:PassRole", role, {"iam:PassedToService": "lambda.amazonaws.com"})


# Handler actions the CloudFormation role leaves out, and why.
NOT_NEEDED = {
    "ec2:": "no VPC",
    "kms:": "no customer-managed key",
    "elasticfilesystem:": "no EFS",
    "s3files:": "no S3 Files mount",
    "lambda:GetCodeSigningConfig": "no code-signing config",
    "lambda:GetLayerVersion": "no layers",
    "lambda:PassCapacityProvider": "no capacity provider",
    "lambda:AssociateRuntimeAlias": "not in IAM's list of Lambda actions (cfn-lint W3037)",
    "apigateway:TagResource": "not an IAM action: API Gateway tags through PUT/DELETE /tags",
    "apigateway:UntagResource": "not an IAM action: API Gateway tags through PUT/DELETE /tags",
    "codedeploy:RegisterOnPremisesInstance": "no on-premises instances",
    "iam:DeleteRolePermissionsBoundary": "refused on purpose: the boundary stays",
    "s3:getObject": "the API's definition is inline, not read from S3",
    "secretsmanager:ReplicateSecretToRegions": "no replica regions",
    "secretsmanager:RemoveRegionsFromReplication": "no replica regions",
}


def test_the_cloudformation_role_covers_its_stacks_resource_handlers(access: Access) -> None:
    """For every resource type of the transformed template, the actions CloudFormation's
    handlers use (the registry schemas) are allowed on this stack's own names."""
    policy = access.policy("CloudFormationRole")
    stack, region = access.env.stack, access.env.region
    own = {
        "lambda": [access.arn("lambda", f"function:{stack}-GenreFunction-AbC:7")],
        "iam": [f"arn:aws:iam::{ACCOUNT}:role/{stack}-GenreFunctionRole-AbC"],
        "apigateway": [f"arn:aws:apigateway:{region}::/apis/a1b2c3/routes/r1"],
        "codedeploy": [
            access.arn("codedeploy", f"application:{stack}-ServerlessDeploymentApplication-AbC"),
            access.arn("codedeploy", f"deploymentgroup:{stack}-App-AbC/{stack}-Group-AbC"),
            access.arn("codedeploy", "deploymentconfig:CodeDeployDefault.LambdaAllAtOnce"),
        ],
        "cloudwatch": [
            access.arn("cloudwatch", f"alarm:{stack}-Api5xxAlarm-AbC"),
            f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/{stack}",
        ],
        "s3": [f"arn:aws:s3:::{ARTIFACTS_BUCKET}/{access.env.artifacts_prefix}/0a1b.zip"],
        "states": [access.arn("states", f"stateMachine:{stack}-catalogue")],
        "secretsmanager": [access.arn("secretsmanager", f"secret:{feedback_client_key(stack)}")],
    }
    context = {
        "iam:PermissionsBoundary": access.boundary,
        "iam:PolicyARN": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
        "iam:PassedToService": "lambda.amazonaws.com",
    }
    missing = {}
    for kind, actions in handler_permissions(*transformed_resource_types()).items():
        for action in actions:
            if any(action.startswith(skipped) for skipped in NOT_NEEDED):
                continue
            service = action.split(":")[0]
            if not any(allows(policy, action, arn, context) for arn in own[service]):
                missing.setdefault(kind, []).append(action)
    assert not missing


def test_roles_of_the_stack_are_capped_by_the_boundary(access: Access) -> None:
    boundary = access.policy("PermissionsBoundary")
    stack = access.env.stack
    function = access.arn("lambda", f"function:{stack}-GenreFunction-AbC:7")
    assert allows(boundary, "lambda:InvokeFunction", function)
    assert not allows(boundary, "lambda:InvokeFunction", access.arn("lambda", "function:other"))
    for action in ("iam:CreateRole", "iam:PassRole", "s3:GetObject", "sts:AssumeRole"):
        assert not allows(boundary, action, "*")
    corrections = f"arn:aws:s3:::{feedback_bucket(access.env.name)}/feedback/date=2026-11-29/a.json"
    assert allows(boundary, "s3:PutObject", corrections)
    assert not allows(boundary, "s3:PutObject", f"arn:aws:s3:::{MODEL_REGISTRY}/movie-genre/x")
    assert not allows(boundary, "s3:GetObject", corrections)
    # CloudFormation resolves the feedback client key into the function's environment: no role
    # of the stack reads it.
    key = access.arn("secretsmanager", f"secret:{feedback_client_key(stack)}")
    assert not allows(boundary, "secretsmanager:GetSecretValue", key)


def feedback_client_key(stack: str) -> str:
    """The name template.yaml gives the stack's secret, as Secrets Manager ends it."""
    return f"{stack}-feedback-client-key-51af3dc0-da77-11e4-872e-1234567db123-AbCdEf"


def test_cloudformation_touches_only_its_own_stacks_secrets(access: Access) -> None:
    policy = access.policy("CloudFormationRole")
    own = access.arn("secretsmanager", f"secret:{feedback_client_key(access.env.stack)}")
    other = access.arn("secretsmanager", "secret:prod/database-AbCdEf")
    for action in ("secretsmanager:CreateSecret", "secretsmanager:GetSecretValue"):
        assert allows(policy, action, own)
        assert not allows(policy, action, other)
    assert not allows(policy, "secretsmanager:PutSecretValue", own)


def registry_policy() -> dict[str, Any]:
    template = load_template(REPO / "deploy/account.yaml")
    names = {"ModelRegistry.Arn": f"arn:aws:s3:::{MODEL_REGISTRY}", "ModelRegistry": MODEL_REGISTRY}
    resolved = Resolver(names, template["Conditions"])(template["Resources"])
    document: dict[str, Any] = resolved["ModelRegistryPolicy"]["Properties"]["PolicyDocument"]
    return {"Statement": [*document["Statement"], {"Effect": "Allow", "Action": "s3:*",
                                                   "Resource": "*"}]}  # fmt: skip


@pytest.mark.parametrize(
    ("action", "key", "context", "allowed"),
    [
        ("s3:PutObject", "movie-genre/V/model.tar.gz", {"s3:if-none-match": "*"}, True),
        ("s3:PutObject", "movie-genre/V/model.tar.gz", {}, False),
        ("s3:PutObject", "movie-genre/V/manifest.json", {}, False),
        ("s3:PutObject", "team/movie-genre/V/golden.json", {}, False),
        ("s3:PutObject", "movie-genre/latest.json", {}, True),  # the pointer moves
        ("s3:DeleteObject", "movie-genre/V/model.tar.gz", {}, False),
        ("s3:DeleteObjectVersion", "movie-genre/V/golden.json", {}, False),
        ("s3:GetObject", "movie-genre/V/model.tar.gz", {"aws:SecureTransport": "false"}, False),
    ],
)
def test_the_registry_keeps_every_published_version_as_written(
    action: str, key: str, context: dict[str, str], allowed: bool
) -> None:
    """Even a principal allowed s3:* cannot overwrite or delete a version's files: a write must
    be conditional (If-None-Match: *, which S3 refuses when the key exists)."""
    context = {"aws:SecureTransport": "true", **context}
    resource = f"arn:aws:s3:::{MODEL_REGISTRY}/{key}"
    assert allows(registry_policy(), action, resource, context) == allowed


def test_the_smoke_test_may_call_the_route_the_cli_sends_a_movie_to(access: Access) -> None:
    """deploy/smoke-test.sh runs movie_classifier --stack, signed with the deploy role: prod's
    IAM-authorized API answers 403 unless the role may invoke that route."""
    from movie_classifier.constants import GENRES_ROUTE

    (invoke,) = [
        statement
        for statement in access.deploy_policy["Statement"]
        if statement["Action"] == "execute-api:Invoke"
    ]
    assert invoke["Resource"].endswith(f"/$default/POST/{GENRES_ROUTE}")
    assert "movie_classifier --stack" in (REPO / "deploy" / "smoke-test.sh").read_text()
