"""A rehearsal of the first deploy, for every environment of samconfig.toml, against moto server
(a local stand-in for AWS): `make bootstrap`'s access stack, then `make deploy`'s `sam deploy`,
recorded call by call and each call checked against the environment's deploy policy. The calls
recorded are kept in tests/fixtures/sam_deploy_calls.json (RECORD_SAM_DEPLOY_CALLS=1 writes them),
which the deploy policy tests (test_deploy_access.py) read: a change in what `sam deploy` asks
fails here until they are recorded again.

How far it gets, and where moto stops it:
- SAM's managed stack: `sam deploy --resolve-s3` makes it with a change set, which moto leaves
  without Tags and Outputs, so SAM stops there ("missing Tags and/or Outputs"). `make bootstrap`
  makes it before any deploy; here it is made as SAM's own template with SAM's tag, and its
  bucket beside it (moto does not run the Serverless transform that would make it).
- The access stack (deploy/environment-access.yaml) deploys through `sam deploy` as
  `make bootstrap` runs it: moto creates its roles and policies (not its outputs).
- `sam deploy --config-env <env>` then resolves the bucket and the image repository (no stop on
  a missing one), creates SAM's companion stack, uploads the hook's zip and the templates under
  the environment's prefix, and creates and describes the change set of the environment's stack
  through its CloudFormation role. Executing it is where moto ends: it does not run the
  Serverless transform (`GenreFunction.Alias` is unknown to it).
- Not rehearsed: the image push (no registry here: the template names the image as pushed),
  CloudFormation creating the resources, CodeDeploy's canary and the pre-traffic hook in Lambda.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bootstrap
import boto3
import environments
import pytest
import requests

from tests.helpers.aws_calls import recorded_calls
from tests.helpers.data import REPO
from tests.helpers.deploy_access import (
    ACCOUNT,
    GITHUB_REPOSITORY,
    OIDC_PROVIDER,
    RECORDED_CALLS,
    artifact_placeholders,
    render_access,
    sam_python,
)
from tests.helpers.iam_policy import allows
from tests.helpers.servers import background_server, free_port

SAM = str(REPO / ".venv" / "bin" / "sam")
VERSION = json.loads((REPO / "models/default/manifest.json").read_text())["version"]
MANAGED_TEMPLATE = (
    "from samcli.lib.bootstrap.bootstrap import _get_stack_template; print(_get_stack_template())"
)


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """moto server, recording every request; the environment variables that point at it."""
    root = tmp_path_factory.mktemp("moto")
    recording = root / "recording.jsonl"
    port = free_port()
    server = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    assert server, "moto_server is not installed beside this Python"
    variables = {
        # localhost, not 127.0.0.1: moto reads a TemplateURL's bucket from a path only then
        "AWS_ENDPOINT_URL": f"http://localhost:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "SAM_CLI_TELEMETRY": "0",
    }
    server_env = {
        **os.environ,
        "MOTO_ENABLE_RECORDING": "1",
        "MOTO_RECORDER_FILEPATH": str(recording),
    }
    with background_server([server, "-p", str(port)], port, env=server_env, log=root / "log"):
        yield {"variables": variables, "recording": recording, "url": variables["AWS_ENDPOINT_URL"]}


@pytest.fixture(scope="module")
def managed_bucket(aws: dict[str, Any]) -> str:
    """SAM's managed stack, as `make bootstrap` leaves it (see the module's docstring)."""
    cloudformation = boto3.client("cloudformation", endpoint_url=aws["url"], **credentials(aws))
    cloudformation.create_stack(
        StackName="aws-sam-cli-managed-default",
        TemplateBody=sam_python("-c", MANAGED_TEMPLATE),
        Tags=[{"Key": "ManagedStackSource", "Value": "AwsSamCli"}],
        Capabilities=["CAPABILITY_IAM"],
    )
    (stack,) = cloudformation.describe_stacks(StackName="aws-sam-cli-managed-default")["Stacks"]
    (output,) = stack["Outputs"]
    boto3.client("s3", endpoint_url=aws["url"], **credentials(aws)).create_bucket(
        Bucket=output["OutputValue"]
    )
    return str(output["OutputValue"])


def credentials(aws: dict[str, Any]) -> dict[str, str]:
    variables = aws["variables"]
    return {
        "region_name": variables["AWS_DEFAULT_REGION"],
        "aws_access_key_id": variables["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": variables["AWS_SECRET_ACCESS_KEY"],
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make build`'s output: the hook really built (its makefile); the image named as pushed."""
    build = tmp_path_factory.mktemp("sam") / "build"
    subprocess.run(
        [SAM, "build", "PreTrafficCheck", "--build-dir", str(build)],
        cwd=REPO,
        env={**os.environ, "BUNDLED_MODEL": "models/default", "SAM_CLI_TELEMETRY": "0"},
        check=True,
        capture_output=True,
    )
    template = build / "template.yaml"
    text, count = re.subn(
        r"^(      PackageType: Image)$",
        r"\1\n      ImageUri: {image}",
        template.read_text(),
        flags=re.MULTILINE,
    )
    assert count == 1
    template.write_text(text)
    return build


def image_for(env: environments.Environment) -> str:
    (repository,) = json.loads((REPO / "deploy/sam-names.json").read_text())[env.name][
        "image_repositories"
    ].values()
    return f"{ACCOUNT}.dkr.ecr.{env.region}.amazonaws.com/{repository}:rehearsal"


def bootstrap_access(
    env: environments.Environment, aws: dict[str, Any], bucket: str, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """`make bootstrap`'s third step against moto; the roles it made (moto gives no outputs)."""
    for name, value in aws["variables"].items():
        monkeypatch.setenv(name, value)
    parameters = bootstrap.access_parameters(
        env,
        repository=GITHUB_REPOSITORY,
        artifacts_bucket=bucket,
        oidc_provider=OIDC_PROVIDER,
        model_registry="movie-genre-account-modelregistry-rehearsal",
    )
    bootstrap.sam_deploy(SAM, "environment-access.yaml", env.access_stack, env.region, parameters)
    iam = boto3.client("iam", endpoint_url=aws["url"], **credentials(aws))
    role = iam.get_role(RoleName=f"movie-genre-{env.name}-cloudformation")["Role"]["Arn"]
    return {
        "CloudFormationRoleArn": role,
        "PermissionsBoundaryArn": f"arn:aws:iam::{ACCOUNT}:policy/movie-genre/"
        f"movie-genre-{env.name}-boundary",
    }


def deploy_policy(aws: dict[str, Any], env: environments.Environment) -> dict[str, Any]:
    """The deploy policy as CloudFormation (moto) resolved and stored it."""
    iam = boto3.client("iam", endpoint_url=aws["url"], **credentials(aws))
    arn = f"arn:aws:iam::{ACCOUNT}:policy/movie-genre/movie-genre-{env.name}-deploy"
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
    policy: dict[str, Any] = document["Document"]
    return json.loads(policy) if isinstance(policy, str) else policy


@pytest.mark.parametrize("name", sorted(environments.environments()))
def test_the_first_deploy_of_an_environment_goes_as_far_as_aws_allows_here(
    name: str,
    aws: dict[str, Any],
    managed_bucket: str,
    built: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = environments.environment(name)
    access = bootstrap_access(env, aws, managed_bucket, monkeypatch)
    # Beside the build, at its depth: sam build wrote the template's other paths relative to it.
    staged = built.parent / name
    staged.mkdir()
    template = staged / "template.yaml"
    template.write_text((built / "template.yaml").read_text().replace("{image}", image_for(env)))
    shutil.copytree(built / "PreTrafficCheck", staged / "PreTrafficCheck")
    requests.post(f"{aws['url']}/moto-api/recorder/reset-recording", timeout=10)
    command = environments.deploy_command(env, SAM, VERSION, access)
    command += ["--config-file", str(REPO / "samconfig.toml"), "--template-file", str(template)]
    result = subprocess.run(
        command, cwd=REPO, env={**os.environ, **aws["variables"]}, capture_output=True, text=True
    )
    output = result.stdout + result.stderr
    # Resolved SAM's bucket and the image repository: no stop on a missing one.
    assert f"Managed S3 bucket: {managed_bucket}" in output
    assert "S3 Bucket not specified" not in output and "missing Tags" not in output
    assert f"Deployment s3 bucket         : {managed_bucket}" in output
    # The change set of the environment's own stack was created, with its parameters.
    assert "Changeset created successfully." in output, output[-3000:]
    assert f'"ModelVersion": "{VERSION}"' in output
    assert f'"PermissionsBoundaryArn": "{access["PermissionsBoundaryArn"]}"' in output
    # Executing it is where moto ends (no Serverless transform): nothing else went wrong first.
    assert result.returncode != 0 and "execute_change_set" in output

    calls = recorded_calls(aws["recording"])
    # The calls the deploy policy tests (test_deploy_access.py) check are these very ones.
    made_here = [list(call) for call in artifact_placeholders(calls, managed_bucket)]
    if os.environ.get("RECORD_SAM_DEPLOY_CALLS") == "1":
        kept = json.loads(RECORDED_CALLS.read_text()) if RECORDED_CALLS.exists() else {}
        RECORDED_CALLS.write_text(json.dumps({**kept, name: made_here}, indent=1) + "\n")
    assert made_here == json.loads(RECORDED_CALLS.read_text())[name], (
        f"sam deploy's calls changed: RECORD_SAM_DEPLOY_CALLS=1 writes them to {RECORDED_CALLS}"
    )
    stack = f"arn:aws:cloudformation:{env.region}:{ACCOUNT}:stack/{env.stack}/recorded"
    names = json.loads((REPO / "deploy/sam-names.json").read_text())[name]
    companion = f"arn:aws:cloudformation:{env.region}:{ACCOUNT}:stack/{names['companion_stack']}"
    made = {(action, resource.rsplit("/", 1)[0]) for action, resource, _ in calls}
    assert ("cloudformation:CreateChangeSet", stack.rsplit("/", 1)[0]) in made
    assert ("cloudformation:CreateStack", companion) in made
    assert ("iam:PassRole", access["CloudFormationRoleArn"].rsplit("/", 1)[0]) in made
    uploads = [r for a, r, _ in calls if a == "s3:PutObject"]
    assert uploads and all(
        r.startswith(f"arn:aws:s3:::{managed_bucket}/{env.artifacts_prefix}/") for r in uploads
    )
    policy = deploy_policy(aws, env)
    refused = [(a, r) for a, r, context in calls if not allows(policy, a, r, context)]
    assert not refused, "the deploy role would be refused these calls"
    other = render_access("prod" if name == "dev" else "dev", managed_bucket)
    own_stack_calls = [c for c in calls if env.stack in c[1] or env.artifacts_prefix in c[1]]
    assert own_stack_calls
    assert not [c for c in own_stack_calls if allows(other.deploy_policy, *c)]
