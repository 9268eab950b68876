"""One environment's access stack (deploy/environment-access.yaml) rendered as `make bootstrap`
would deploy it in a test account, and what `sam deploy --config-env <env>` does, by SAM's own
names: the calls its deploy policy must allow."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import Any

import bootstrap
from environments import Environment, environment

from tests.helpers.cloudformation import Resolver, load_template
from tests.helpers.data import REPO

SAM_PYTHON = REPO / ".venv" / "sam" / "bin" / "python"
ACCOUNT = "123456789012"
ARTIFACTS_BUCKET = "aws-sam-cli-managed-default-samclisourcebucket-1a2b3c4d5e6f"
MODEL_REGISTRY = "movie-genre-account-modelregistry-0f9e8d7c6b5a"
OIDC_PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
GITHUB_REPOSITORY = "octo-org/movie-genre"
TRANSFORM = "arn:aws:cloudformation:{region}:aws:transform/Serverless-2016-10-31"

Call = tuple[str, str, dict[str, str]]  # (action, resource ARN, request context)


def sam_python(*args: str, env: dict[str, str] | None = None) -> str:
    """Run SAM CLI's own Python (SAM lives in a venv of its own)."""
    return subprocess.run(
        [str(SAM_PYTHON), *args], cwd=REPO, capture_output=True, text=True, check=True, env=env
    ).stdout


@dataclass(frozen=True)
class Access:
    env: Environment
    parameters: dict[str, str]
    resources: dict[str, Any]
    cloudformation_role: str
    boundary: str

    def policy(self, logical_id: str) -> dict[str, Any]:
        properties = self.resources[logical_id]["Properties"]
        if "PolicyDocument" in properties:
            document: dict[str, Any] = properties["PolicyDocument"]
            return document
        (inline,) = properties["Policies"]
        policy: dict[str, Any] = inline["PolicyDocument"]
        return policy

    @property
    def deploy_policy(self) -> dict[str, Any]:
        return self.policy("DeployPolicy")

    def arn(self, service: str, resource: str, region: str | None = None) -> str:
        return f"arn:aws:{service}:{region or self.env.region}:{ACCOUNT}:{resource}"


def feedback_bucket(name: str) -> str:
    return f"movie-genre-access-{name}-feedbackstore-9z8y7x6w5v4u"


def catalogue_bucket(name: str) -> str:
    return f"movie-genre-access-{name}-cataloguestore-1a2b3c4d5e6f"


def render_access(name: str, artifacts_bucket: str = ARTIFACTS_BUCKET) -> Access:
    env = environment(name)
    parameters = bootstrap.access_parameters(
        env,
        repository=GITHUB_REPOSITORY,
        artifacts_bucket=artifacts_bucket,
        oidc_provider=OIDC_PROVIDER,
        model_registry=MODEL_REGISTRY,
    )
    template = load_template(REPO / "deploy" / "environment-access.yaml")
    role = f"arn:aws:iam::{ACCOUNT}:role/movie-genre/movie-genre-{name}-cloudformation"
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/movie-genre/movie-genre-{name}-boundary"
    names = {
        **{key: str(spec.get("Default", "")) for key, spec in template["Parameters"].items()},
        **parameters,
        "AWS::AccountId": ACCOUNT,
        "AWS::Region": env.region,
        "AWS::Partition": "aws",
        "AWS::StackName": env.access_stack,
        "PermissionsBoundary": boundary,
        "CloudFormationRole.Arn": role,
        "DeployRole": f"movie-genre-{name}-github-deploy",
        "FeedbackStore": feedback_bucket(name),
        "FeedbackStore.Arn": f"arn:aws:s3:::{feedback_bucket(name)}",
        "CatalogueStore": catalogue_bucket(name),
        "CatalogueStore.Arn": f"arn:aws:s3:::{catalogue_bucket(name)}",
    }
    resources = Resolver(names, template.get("Conditions", {}))(template["Resources"])
    return Access(env, parameters, resources, role, boundary)


def sam_deploy_calls(access: Access) -> list[Call]:
    """What `sam deploy --config-env <env>` asks of AWS with the deploy role's credentials
    (samcli: manage_stack, sync_ecr_stack, the packager, the deployer, the docker push), on
    the names SAM derives; the companion stack's repository is made with the caller's rights,
    so its handler's actions (from the registry schema cfn-lint ships) are the caller's too."""
    env, p = access.env, access.parameters
    stack = access.arn("cloudformation", f"stack/{env.stack}/0f1e2d3c")
    companion = access.arn("cloudformation", f"stack/{p['CompanionStackName']}/0f1e2d3c")
    managed = access.arn("cloudformation", f"stack/{p['ManagedStackName']}/0f1e2d3c")
    repository = access.arn("ecr", f"repository/{p['ImageRepository']}")
    artifact = f"arn:aws:s3:::{ARTIFACTS_BUCKET}/{env.artifacts_prefix}/5cf9bba8c4254351.template"
    calls: list[Call] = [
        ("cloudformation:DescribeStacks", managed, {}),
        *[(f"cloudformation:{a}", companion, {}) for a in (
            "DescribeStacks", "CreateStack", "UpdateStack", "ListStackResources")],
        ("cloudformation:CreateChangeSet", TRANSFORM.format(region=env.region), {}),
        *[(action, repository, {}) for action in repository_handler_actions()],
        ("s3:GetObject", artifact, {}),
        ("s3:PutObject", artifact, {}),
        ("s3:ListBucket", f"arn:aws:s3:::{ARTIFACTS_BUCKET}",
         {"s3:prefix": f"{env.artifacts_prefix}/5cf9bba8c4254351.template"}),
        ("ecr:GetAuthorizationToken", "*", {}),
        *[(f"ecr:{a}", repository, {}) for a in (
            "BatchCheckLayerAvailability", "InitiateLayerUpload", "UploadLayerPart",
            "CompleteLayerUpload", "PutImage", "BatchGetImage")],
        *[(f"cloudformation:{a}", stack, {}) for a in (
            "DescribeStacks", "GetTemplateSummary", "CreateChangeSet", "DescribeChangeSet",
            "ExecuteChangeSet", "DescribeStackEvents", "DeleteChangeSet")],
        ("iam:PassRole", access.cloudformation_role,
         {"iam:PassedToService": "cloudformation.amazonaws.com"}),
    ]  # fmt: skip
    return calls


HANDLER_PERMISSIONS = """
import json, pathlib, sys, cfnlint
base = pathlib.Path(cfnlint.__file__).parent / "data" / "schemas"
ids = json.loads((base / "providers" / "us-east-1.json").read_text())
stages, found = sys.argv[1].split(","), {}
for kind in sys.argv[2:]:
    handlers = json.loads((base / "resources" / f"{ids[kind]}.json").read_text())["handlers"]
    found[kind] = sorted({p for s in stages for p in handlers.get(s, {}).get("permissions", [])})
print(json.dumps(found))
"""

TRANSFORMED_TYPES = """
import json, pathlib
from samcli.yamlhelper import yaml_parse
from samtranslator.translator.transform import transform

class NoManagedPolicies:
    def load(self):
        return {}

template = yaml_parse(pathlib.Path("template.yaml").read_text())
resources = template["Resources"]
resources["GenreFunction"]["Properties"]["ImageUri"] = "1.dkr.ecr.us-east-1.amazonaws.com/r:t"
resources["PreTrafficCheck"]["Properties"]["CodeUri"] = "s3://bucket/key"
resources["CatalogueStateMachine"]["Properties"]["DefinitionUri"] = "s3://bucket/definition"
out = transform(template, {}, NoManagedPolicies())
print(json.dumps(sorted({r["Type"] for r in out["Resources"].values()})))
"""


def handler_permissions(
    *resource_types: str, stages: str = "create,read,update,delete"
) -> dict[str, list[str]]:
    """The actions CloudFormation's own handlers use in those stages for each resource type
    (the CloudFormation registry schemas, as cfn-lint ships them)."""
    found: dict[str, list[str]] = json.loads(
        sam_python("-c", HANDLER_PERMISSIONS, stages, *resource_types)
    )
    return found


def transformed_resource_types() -> list[str]:
    """The resource types of template.yaml once SAM's transform has run (SAM's own code)."""
    region = {"AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"}
    types: list[str] = json.loads(sam_python("-c", TRANSFORMED_TYPES, env=region))
    return types


def repository_handler_actions() -> list[str]:
    """What SAM's companion stack needs to create and update its repository (never deleted by
    a deploy: SAM deletes only repositories no function uses any more)."""
    kind = "AWS::ECR::Repository"
    return [
        a
        for a in handler_permissions(kind, stages="create,read,update")[kind]
        if a.startswith("ecr:")
    ]
