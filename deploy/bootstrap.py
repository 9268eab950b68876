"""One-time set-up of an AWS account and one environment, with an administrator's credentials:

    python deploy/bootstrap.py ENV --sam .venv/bin/sam --repository OWNER/NAME   (make bootstrap)

1. SAM's managed artifacts stack (aws-sam-cli-managed-default), made as `sam deploy --resolve-s3`
   makes it, so that no deploy role ever needs the rights to create it;
2. stack movie-genre-account (deploy/account.yaml): the model registry, and GitHub's OIDC
   provider unless the account has one;
3. stack movie-genre-access-ENV (deploy/environment-access.yaml): ENV's deploy role, trusted by
   the GitHub environment ENV of OWNER/NAME (or OWNER@ORGID/NAME@REPOID, GitHub's immutable
   subject claim) alone, its CloudFormation role and the permissions boundary, named after SAM's
   own names for ENV (deploy/sam-names.json), and ENV's feedback and catalogue buckets, which
   `make deploy` passes to ENV's stack.

The repository is checked before anything is created. Running it again updates the stacks. It
prints the GitHub variables to set.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from environments import (
    REPO,
    ConfigError,
    Environment,
    environment,
    sam_parameter,
    stack_outputs,
)

DEPLOY = Path(__file__).resolve().parent
SAM_NAMES = DEPLOY / "sam-names.json"
ACCOUNT_STACK = "movie-genre-account"
GITHUB_OIDC = "token.actions.githubusercontent.com"
# The repository as GitHub's OIDC token names it in its subject claim: OWNER/NAME (the legacy
# claim), or OWNER@ORGID/NAME@REPOID, the immutable claim that repositories created on or after
# 15 July 2026 send (configure-aws-credentials' README, "Immutable subject claims").
REPOSITORY = re.compile(
    r"^([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+|[A-Za-z0-9_.-]+@[0-9]+/[A-Za-z0-9_.-]+@[0-9]+)$"
)
IMMUTABLE_FORM = (
    "OWNER@ORGID/NAME@REPOID, for a repository created on or after 15 July 2026 (read the ids "
    "with: gh api repos/OWNER/NAME --jq '.owner.id, .id')"
)


def sam_names(env: Environment) -> dict[str, Any]:
    """SAM's names for env's stack, as committed (a test checks them against SAM's code)."""
    names: dict[str, Any] = json.loads(SAM_NAMES.read_text())[env.name]
    repositories = names["image_repositories"]
    if len(repositories) != 1 or not names["companion_stack"].startswith(f"{env.stack}-"):
        raise ConfigError(f"{SAM_NAMES.name} does not hold {env.stack}'s one image repository")
    return names


def access_parameters(
    env: Environment,
    *,
    repository: str,
    artifacts_bucket: str,
    oidc_provider: str,
    model_registry: str,
) -> dict[str, str]:
    """deploy/environment-access.yaml's parameters for env."""
    checked_repository(repository)
    names = sam_names(env)
    (image_repository,) = names["image_repositories"].values()
    return {
        "EnvironmentName": env.name,
        "StackName": env.stack,
        "ArtifactsPrefix": env.artifacts_prefix,
        "ArtifactsBucket": artifacts_bucket,
        "ManagedStackName": names["managed_stack"],
        "CompanionStackName": names["companion_stack"],
        "ImageRepository": image_repository,
        "GitHubRepository": repository,
        "GitHubOidcProviderArn": oidc_provider,
        "ModelRegistryBucket": model_registry if env.pulls_models else "",
    }


def checked_repository(repository: str) -> str:
    """The repository as its deploy workflow's OIDC subject claim names it, or a ConfigError."""
    if not REPOSITORY.fullmatch(repository):
        raise ConfigError(
            f"GITHUB_REPOSITORY {repository!r} is not OWNER/NAME (a repository created before "
            f"15 July 2026) nor {IMMUTABLE_FORM}"
        )
    return repository


def sam_deploy(sam: str, template: str, stack: str, region: str, params: dict[str, str]) -> None:
    overrides = [sam_parameter(key, value) for key, value in params.items()]
    command = [
        sam, "deploy", "--template-file", str(DEPLOY / template), "--stack-name", stack,
        "--region", region, "--capabilities", "CAPABILITY_NAMED_IAM",
        "--no-confirm-changeset", "--no-fail-on-empty-changeset",
    ]  # fmt: skip
    if overrides:
        command += ["--parameter-overrides", *overrides]
    subprocess.run(command, cwd=REPO, check=True)


def existing_oidc_provider(iam: Any) -> str:
    providers = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    return next((p["Arn"] for p in providers if p["Arn"].endswith(f"/{GITHUB_OIDC}")), "")


def account_parameters(cloudformation: Any, iam: Any) -> dict[str, str]:
    """Keep the account stack's choice about the OIDC provider once made (else it would delete
    the provider it made); on a first run, use the account's provider if it has one."""
    account = stack_outputs(cloudformation, ACCOUNT_STACK)
    if not account:
        return {"ExistingGitHubOidcProviderArn": existing_oidc_provider(iam)}
    stack = cloudformation.describe_stacks(StackName=ACCOUNT_STACK)["Stacks"][0]
    previous = {p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])}
    return {"ExistingGitHubOidcProviderArn": previous.get("ExistingGitHubOidcProviderArn", "")}


def bootstrap(name: str, sam: str, repository: str) -> None:
    import boto3

    env = environment(name)
    checked_repository(repository)  # before anything is created
    session = boto3.Session(region_name=env.region)
    cloudformation = session.client("cloudformation")
    sam_python = str(Path(sam).resolve().parent / "python")
    artifacts_bucket = subprocess.run(
        [sam_python, str(DEPLOY / "sam_names.py"), "managed-bucket", env.region],
        check=True, capture_output=True, text=True,
    ).stdout.split()[-1]  # fmt: skip
    params = account_parameters(cloudformation, session.client("iam"))
    sam_deploy(sam, "account.yaml", ACCOUNT_STACK, env.region, params)
    account = stack_outputs(cloudformation, ACCOUNT_STACK)
    access = access_parameters(
        env,
        repository=repository,
        artifacts_bucket=artifacts_bucket,
        oidc_provider=account["GitHubOidcProviderArn"],
        model_registry=account["ModelRegistryBucket"],
    )
    sam_deploy(sam, "environment-access.yaml", env.access_stack, env.region, access)
    outputs = stack_outputs(cloudformation, env.access_stack)
    print(f"\nIn GitHub, environment {env.name!r} of {repository}, set the variables:")
    print(f"  DEPLOY_ROLE_ARN={outputs['DeployRoleArn']}")
    if env.pulls_models:
        print(f"  MODEL_BUCKET={account['ModelRegistryBucket']}")
    print(f"Publish models with: make publish BUCKET={account['ModelRegistryBucket']}")
    if "@" not in repository:
        print(
            f"The deploy role trusts {repository}'s legacy subject claim. If the deploy cannot "
            f"assume it, run make bootstrap again with GITHUB_REPOSITORY={IMMUTABLE_FORM}."
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("env")
    parser.add_argument("--sam", required=True)
    parser.add_argument(
        "--repository", required=True, help="GitHub OWNER/NAME or OWNER@ORGID/NAME@REPOID"
    )
    args = parser.parse_args(argv)
    try:
        bootstrap(args.env, args.sam, args.repository)
    except subprocess.CalledProcessError as error:
        sys.exit(
            f"bootstrap stopped: {' '.join(map(str, error.cmd[:2]))} failed ({error.returncode})"
        )


if __name__ == "__main__":
    main()
