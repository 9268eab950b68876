"""deploy/preflight.py against moto: an account after `make bootstrap`, a new account's quota of
10, a stack left in ROLLBACK_COMPLETE by a failed first create, and what is missing.

Two things moto cannot do are put in place here, each the narrowest way there is:
- Lambda's GetAccountSettings is not implemented by moto: that one call is answered by a
  botocore before-call hook on the client, with the response AWS documents, for an account of
  the quota under test (every other Lambda call still goes to moto);
- moto never rolls a stack back: the failed create is recorded on moto's own stack as
  CloudFormation records it (the resource's CREATE_FAILED event, then ROLLBACK_COMPLETE)."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import bootstrap
import boto3
import preflight
import pytest
from botocore.awsrequest import AWSResponse
from environments import Environment, environment
from moto import mock_aws
from moto.cloudformation.models import Event, cloudformation_backends
from moto.core import DEFAULT_ACCOUNT_ID

from tests.helpers.cloudformation import load_template
from tests.helpers.data import REPO
from tests.helpers.deploy_access import ACCOUNT, ARTIFACTS_BUCKET, render_access
from tests.helpers.iam_policy import allows

NEW_ACCOUNT_QUOTA = 10
ROUTE_NOT_FOUND = (
    "Unable to find Route by key POST /genres within the provided RouteSettings "
    "(Service: AmazonApiGatewayV2; Status Code: 404; Error Code: NotFoundException)"
)
PLACEHOLDER = {"Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}}}


class Account:
    """moto's AWS, with the Lambda concurrency quota of the account under test."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.quota = 1000
        self.made: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self.made:
            self.made[service] = boto3.client(service, region_name=self.region)
            if service == "lambda":
                self.made[service].meta.events.register(
                    "before-call.lambda.GetAccountSettings", self._account_settings
                )
        return self.made[service]

    def _account_settings(self, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        lambda_ = boto3.client("lambda", region_name=self.region)  # not the caller's: unrecorded
        reserved = sum(
            lambda_.get_function(FunctionName=f["FunctionName"])
            .get("Concurrency", {})
            .get("ReservedConcurrentExecutions", 0)
            for f in lambda_.list_functions()["Functions"]
        )
        limit = {
            "TotalCodeSize": 80530636800,
            "CodeSizeUnzipped": 262144000,
            "CodeSizeZipped": 52428800,
            "ConcurrentExecutions": self.quota,
            "UnreservedConcurrentExecutions": self.quota - reserved,
        }
        usage = {"TotalCodeSize": 0, "FunctionCount": 0}
        return AWSResponse("", 200, {}, None), {"AccountLimit": limit, "AccountUsage": usage}

    def stack(self, name: str, template: dict[str, Any], **outputs: str) -> None:
        body = {**template, "Outputs": {k: {"Value": v} for k, v in outputs.items()}}
        self.client("cloudformation").create_stack(
            StackName=name, TemplateBody=json.dumps(body), Capabilities=["CAPABILITY_IAM"]
        )

    def fail_first_create(self, name: str, resource: str, reason: str) -> None:
        """What CloudFormation leaves after a failed first create (see the module's docstring)."""
        (stack,) = [
            s
            for s in cloudformation_backends[DEFAULT_ACCOUNT_ID][self.region].stacks.values()
            if s.name == name
        ]
        for logical_id, status, why in (
            (resource, "CREATE_FAILED", reason),
            (name, "ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create"),
            (name, "ROLLBACK_COMPLETE", None),
        ):
            stack.events.append(
                Event(
                    stack_id=stack.stack_id,
                    stack_name=name,
                    logical_resource_id=logical_id,
                    physical_resource_id=stack.stack_id,
                    resource_type="AWS::CloudFormation::Stack",
                    resource_status=status,
                    resource_status_reason=why,
                    resource_properties=None,
                )
            )
        stack.status = "ROLLBACK_COMPLETE"


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Account]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        yield Account(environment("dev").region)


def bootstrapped(account: Account, env: Environment) -> None:
    """What `make bootstrap ENV=...` leaves: SAM's managed stack and bucket, the account stack,
    the environment's access stack."""
    names = bootstrap.sam_names(env)
    bucket = ARTIFACTS_BUCKET
    account.client("s3").create_bucket(Bucket=bucket)
    account.stack(names["managed_stack"], PLACEHOLDER, SourceBucket=bucket)
    account.stack(bootstrap.ACCOUNT_STACK, PLACEHOLDER, ModelRegistryBucket="registry")
    role = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/movie-genre/movie-genre-{env.name}-cf"
    account.stack(env.access_stack, PLACEHOLDER, CloudFormationRoleArn=role)


@pytest.fixture
def docker(tmp_path: Path) -> str:
    """A docker command whose engine answers (the check reads `docker info`)."""
    path = tmp_path / "docker"
    path.write_text('#!/bin/sh\n[ "$1" = info ] && echo 29.1.0\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def run(account: Account, name: str, docker: str) -> dict[str, preflight.Check]:
    checks = preflight.preflight(environment(name), account.client, docker)
    return {check.name: check for check in checks}


def failed(checks: dict[str, preflight.Check]) -> list[str]:
    return [check.line() for check in checks.values() if not check.ok]


def test_an_account_after_bootstrap_passes_every_check(account: Account, docker: str) -> None:
    bootstrapped(account, environment("dev"))
    checks = run(account, "dev", docker)
    assert failed(checks) == []
    assert set(checks) >= {"credentials and region", "concurrency", "image repository", "Docker"}
    assert all(line.line().startswith("✓ ") for line in checks.values())


def test_a_new_account_holds_dev_as_shipped(account: Account, docker: str) -> None:
    """A new account's quota is often 10, and AWS keeps 10 unreserved: dev reserves nothing."""
    account.quota = NEW_ACCOUNT_QUOTA
    dev = environment("dev")
    bootstrapped(account, dev)
    assert preflight.reserved_concurrency(dev) == 0
    assert run(account, "dev", docker)["concurrency"].ok


def test_prod_on_a_new_account_is_refused_with_the_quota_to_ask_for(
    account: Account, docker: str
) -> None:
    account.quota = NEW_ACCOUNT_QUOTA
    prod = environment("prod")
    bootstrapped(account, prod)
    reserved = preflight.reserved_concurrency(prod)
    assert reserved > 0  # prod keeps its reservation
    check = run(account, "prod", docker)["concurrency"]
    wanted = reserved + preflight.UNRESERVED_MINIMUM
    assert not check.ok
    assert f"--quota-code L-B99A9384 --desired-value {wanted} --region {prod.region}" in check.says
    account.quota = wanted
    assert run(account, "prod", docker)["concurrency"].ok


def test_an_update_counts_what_the_stack_already_reserves(account: Account, docker: str) -> None:
    prod = environment("prod")
    bootstrapped(account, prod)
    reserved = preflight.reserved_concurrency(prod)
    account.quota = reserved + preflight.UNRESERVED_MINIMUM
    iam = account.client("iam")
    trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": "lambda.amazonaws.com"},
            }
        ]
    }
    role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    function = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Role": role,
            "Runtime": "python3.12",
            "Handler": "index.handler",
            "Code": {"ZipFile": "def handler(event, context): pass"},
            "ReservedConcurrentExecutions": reserved,
        },
    }
    account.stack(prod.stack, {"Resources": {"GenreFunction": function}})
    assert run(account, "prod", docker)["concurrency"].ok  # its own reservation comes back


def test_a_failed_first_create_says_why_and_the_one_command_that_clears_it(
    account: Account, docker: str
) -> None:
    dev = environment("dev")
    bootstrapped(account, dev)
    account.stack(dev.stack, PLACEHOLDER)
    account.fail_first_create(dev.stack, "GenreApiStage", ROUTE_NOT_FOUND)
    check = run(account, "dev", docker)[f"stack {dev.stack}"]
    assert not check.ok
    assert check.says.startswith("ROLLBACK_COMPLETE, which cannot be updated")
    assert f"(first failure: GenreApiStage: {ROUTE_NOT_FOUND})" in check.says
    role = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/movie-genre/movie-genre-dev-cf"
    where = f"--stack-name {dev.stack} --region {dev.region}"
    assert (
        f"An administrator (the deploy role may not delete or repair stacks) runs: "
        f"aws cloudformation delete-stack {where} --role-arn {role} && "
        f"aws cloudformation wait stack-delete-complete {where}; then deploy again"
    ) in check.says


@pytest.mark.parametrize(
    ("status", "command"),
    [
        ("UPDATE_ROLLBACK_FAILED", "aws cloudformation continue-update-rollback"),
        ("DELETE_FAILED", "aws cloudformation delete-stack"),
        ("UPDATE_IN_PROGRESS", "wait for it"),
    ],
)
def test_every_state_a_deploy_cannot_start_from_says_what_to_do(
    account: Account, docker: str, status: str, command: str
) -> None:
    dev = environment("dev")
    bootstrapped(account, dev)
    account.stack(dev.stack, PLACEHOLDER)
    for stack in cloudformation_backends[DEFAULT_ACCOUNT_ID][dev.region].stacks.values():
        if stack.name == dev.stack:
            stack.status = status
    check = run(account, "dev", docker)[f"stack {dev.stack}"]
    assert not check.ok and check.says.startswith(status) and command in check.says


def test_a_deploy_by_hand_needs_no_bootstrap_and_is_told_what_it_lacks(
    account: Account, docker: str
) -> None:
    """sam deploy makes SAM's stack; without the access stack it deploys as the caller."""
    checks = run(account, "dev", docker)
    assert failed(checks) == []
    access = checks[f"stack {environment('dev').access_stack}"]
    assert "no permissions boundary" in access.says and "make bootstrap ENV=dev" in access.says


def test_a_stuck_bootstrap_stack_says_what_clears_it(account: Account, docker: str) -> None:
    dev = environment("dev")
    bootstrapped(account, dev)
    account.fail_first_create(dev.access_stack, "DeployRole", "AccessDenied")
    check = run(account, "dev", docker)[f"stack {dev.access_stack}"]
    assert not check.ok
    assert "aws cloudformation delete-stack --stack-name movie-genre-access-dev" in check.says
    assert check.says.endswith("then run make bootstrap ENV=dev GITHUB_REPOSITORY=...")


def test_docker_that_does_not_answer(account: Account, tmp_path: Path) -> None:
    bootstrapped(account, environment("dev"))
    checks = run(account, "dev", str(tmp_path / "no-docker"))
    assert failed(checks) == [checks["Docker"].line()]
    assert checks["Docker"].line().startswith("✗ Docker: ")


def test_the_command_prints_one_line_per_check_and_fails_on_any(
    account: Account,
    docker: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(preflight, "session_clients", lambda region: account.client)
    preflight.main(["dev", "--docker", docker])
    passed = capsys.readouterr().out.splitlines()
    assert len(passed) >= 7 and all(line.startswith("✓ ") for line in passed)
    with pytest.raises(SystemExit, match="cannot be deployed"):
        preflight.main(["dev", "--docker", str(tmp_path / "no-docker")])
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if line.startswith("✗ ")] == [lines[-1]]  # Docker's


def iam_request(operation: str, params: dict[str, Any], env: Environment) -> tuple[str, str, dict]:
    """The IAM action, resource and context of one of preflight's calls."""
    arn = f"arn:aws:%s:{env.region}:{ACCOUNT}:%s"
    match operation:
        case "ListObjectsV2":
            return (
                "s3:ListBucket",
                f"arn:aws:s3:::{params['Bucket']}",
                {"s3:prefix": params["Prefix"]},
            )
        case "GetAccountSettings":
            return "lambda:GetAccountSettings", "*", {}
        case "GetFunction":
            return "lambda:GetFunction", arn % ("lambda", f"function:{params['FunctionName']}"), {}
        case "DescribeRepositories":
            (name,) = params["repositoryNames"]
            return "ecr:DescribeRepositories", arn % ("ecr", f"repository/{name}"), {}
    stack = arn % ("cloudformation", f"stack/{params['StackName']}/0f1e2d3c")
    return f"cloudformation:{operation}", stack, {}


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_the_deploy_role_may_make_every_call_of_preflight(
    account: Account, docker: str, name: str
) -> None:
    """The deploy workflow's make deploy runs preflight with the environment's deploy role."""
    env = environment(name)
    bootstrapped(account, env)
    account.stack(env.stack, PLACEHOLDER)
    account.fail_first_create(env.stack, "GenreApiStage", ROUTE_NOT_FOUND)
    calls: list[tuple[str, dict[str, Any]]] = []
    for service in ("cloudformation", "lambda", "s3", "ecr"):
        account.client(service).meta.events.register(
            "provide-client-params.*.*",
            lambda params, model, **_: calls.append((model.name, dict(params))),
        )
    run(account, name, docker)
    policy = render_access(name).deploy_policy
    requests = [iam_request(operation, params, env) for operation, params in calls]
    assert {action for action, _, _ in requests} >= {
        "lambda:GetAccountSettings", "cloudformation:DescribeStackEvents", "s3:ListBucket"
    }  # fmt: skip
    assert [r for r in requests if not allows(policy, *r)] == []


@pytest.mark.parametrize(
    ("overrides", "taken"),
    [
        ({}, 0),
        ({"ReservedConcurrency": "50", "ProvisionedConcurrency": "1"}, 51),  # within the 50
        ({"ReservedConcurrency": "0", "ProvisionedConcurrency": "3"}, 3),  # from the pool
    ],
)
def test_what_an_environment_takes_from_the_unreserved_pool(
    overrides: dict[str, str], taken: int
) -> None:
    env = environment("dev")
    assert preflight.reserved_concurrency(replace(env, overrides=overrides)) == taken


def test_the_hooks_reservation_is_the_templates() -> None:
    hook = load_template(REPO / "template.yaml")["Resources"]["PreTrafficCheck"]
    reservation = hook["Properties"]["ReservedConcurrentExecutions"]["Fn::If"]
    assert reservation[:2] == ["HasReservedConcurrency", preflight.HOOK_RESERVATION]
