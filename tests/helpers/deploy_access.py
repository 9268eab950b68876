"""One environment's access stack (deploy/environment-access.yaml) rendered as `make bootstrap`
would deploy it in a test account, and what `sam deploy --config-env <env>` does, by SAM's own
names: the calls its deploy policy must allow."""

from __future__ import annotations

import json
import re
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
# The calls `sam deploy` made in the deploy rehearsal, per environment (artifact_placeholders).
RECORDED_CALLS = REPO / "tests" / "fixtures" / "sam_deploy_calls.json"
# SAM names an uploaded artifact by its content's MD5 (.template for a template).
ARTIFACT_HASH = re.compile(r"(?<=/)[0-9a-f]{32}(?=(\.template)?$)")


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


def artifact_placeholders(calls: list[Call], artifacts_bucket: str) -> list[Call]:
    """Calls with SAM's bucket and its artifacts' content hashes as placeholders (they change
    with every account and every template): each call once, in a stable order."""
    named = {
        (action, ARTIFACT_HASH.sub("{hash}", resource.replace(artifacts_bucket, "{bucket}")),
         json.dumps(context, sort_keys=True))
        for action, resource, context in calls
    }  # fmt: skip
    return [(a, r, json.loads(c)) for a, r, c in sorted(named)]


def recorded_sam_deploy_calls(env_name: str) -> list[Call]:
    """What the deploy rehearsal recorded `sam deploy` asking of AWS (moto server) for the
    environment, as tests/functional/test_deploy_rehearsal.py keeps it in RECORDED_CALLS."""
    recorded: dict[str, list[list[Any]]] = json.loads(RECORDED_CALLS.read_text())
    return [(action, resource, context) for action, resource, context in recorded[env_name]]


def sam_deploy_calls(access: Access) -> list[Call]:
    """What `sam deploy --config-env <env>` asks of AWS with the deploy role's credentials: the
    calls the rehearsal recorded against moto server, on this access's names, and the calls a
    rehearsal cannot make (samcli: sync_ecr_stack, the packager, the deployer, the docker push).
    The companion stack's repository is made with the caller's rights, so its handler's actions
    (from the registry schema cfn-lint ships) are the caller's too."""
    env, p = access.env, access.parameters
    recorded = [
        (action, resource.format(bucket=ARTIFACTS_BUCKET, hash="5cf9bba8c4254351"), context)
        for action, resource, context in recorded_sam_deploy_calls(env.name)
    ]
    stack = access.arn("cloudformation", f"stack/{env.stack}/0f1e2d3c")
    companion = access.arn("cloudformation", f"stack/{p['CompanionStackName']}/0f1e2d3c")
    repository = access.arn("ecr", f"repository/{p['ImageRepository']}")
    template = f"{env.artifacts_prefix}/5cf9bba8c4254351.template"
    not_rehearsed: list[Call] = [
        # A later deploy: the companion stack and the environment's stack exist.
        *[(f"cloudformation:{a}", companion, {}) for a in ("UpdateStack", "ListStackResources")],
        *[(f"cloudformation:{a}", stack, {}) for a in ("GetTemplateSummary", "DeleteChangeSet")],
        # CloudFormation's handler making the companion stack's repository (moto checks none).
        *[(action, repository, {}) for action in repository_handler_actions()],
        # SAM asks whether an artifact is there already: S3 answers 403, not 404, for a missing
        # key without ListBucket (moto answers 404).
        ("s3:ListBucket", f"arn:aws:s3:::{ARTIFACTS_BUCKET}", {"s3:prefix": template}),
        # The image push: no registry here.
        ("ecr:GetAuthorizationToken", "*", {}),
        *[(f"ecr:{a}", repository, {}) for a in (
            "BatchCheckLayerAvailability", "InitiateLayerUpload", "UploadLayerPart",
            "CompleteLayerUpload", "PutImage", "BatchGetImage")],
    ]  # fmt: skip
    return recorded + not_rehearsed


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
