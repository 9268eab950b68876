"""Before a deploy: what AWS would refuse, found with read-only calls and the caller's credentials.

    python deploy/preflight.py ENV [--docker docker]      (make preflight ENV=..., and make deploy)

One line per check, ✓ or what to do (and who may do it); exit status 1 when any check fails.
It changes nothing: STS, Lambda, CloudFormation, ECR and S3 reads only, and `docker info`.

- credentials and region: whose credentials, and that samconfig.toml's region runs Lambda;
- concurrency: the environment's reservations (samconfig.toml's ReservedConcurrency, and one
  for the pre-traffic hook with it) against the account's quota, of which AWS keeps 10
  unreserved (a new account's quota is often 10: nothing may be reserved there);
- the bootstrap stacks (SAM's managed stack, the account's, the environment's access stack:
  none is needed for a deploy by hand, but none may be stuck), SAM's artifacts bucket and the
  image repository;
- the environment's stack: a state a deploy cannot start from (ROLLBACK_COMPLETE after a failed
  first create, a failed rollback or delete, an operation under way), the recovery command and
  who may run it, with the first failure CloudFormation recorded;
- Docker, which `sam build` and `sam deploy`'s image push need.

A stack in ROLLBACK_COMPLETE is deleted by an administrator, with the one command printed here.
The deploy role may not delete stacks at all: IAM has no condition on a stack's status, so a
right to delete a failed stack would be a right to delete production.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from bootstrap import ACCOUNT_STACK, sam_names
from environments import Environment, environment, stack_outputs

# AWS keeps this many of an account's concurrent executions unreserved; a reservation that
# would leave fewer is refused.
UNRESERVED_MINIMUM = 10
# template.yaml: the pre-traffic hook reserves one where the API's function reserves any.
HOOK_RESERVATION = 1
# Service Quotas' code for Lambda's "Concurrent executions".
CONCURRENCY_QUOTA_CODE = "L-B99A9384"
# States from which `sam deploy` can create or update the stack.
DEPLOYABLE = {
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "IMPORT_COMPLETE",
    "IMPORT_ROLLBACK_COMPLETE",
    "REVIEW_IN_PROGRESS",  # a change set never executed: SAM creates the stack anew
}
ADMINISTRATOR = "An administrator (the deploy role may not delete or repair stacks)"

Clients = Callable[[str], Any]


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    says: str

    def line(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.name}: {self.says}"


def reserved_concurrency(env: Environment) -> int:
    """What env's stack takes out of the account's unreserved concurrency: the function's
    reservation and the hook's, or, with none, its provisioned instances (which then come from
    the unreserved pool, of which AWS keeps the same minimum)."""
    reserved = int(env.overrides.get("ReservedConcurrency", "0"))
    if reserved:
        return reserved + HOOK_RESERVATION
    return int(env.overrides.get("ProvisionedConcurrency", "0"))


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", {})
    return str(response.get("Error", {}).get("Code", ""))


def _stack(clients: Clients, name: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        stack: dict[str, Any] = clients("cloudformation").describe_stacks(StackName=name)["Stacks"][
            0
        ]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    return stack


def check_credentials(env: Environment, clients: Clients) -> Check:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    if env.region not in boto3.session.Session().get_available_regions("lambda"):
        return Check("region", False, f"{env.region} (samconfig.toml) has no AWS Lambda: fix it")
    try:
        identity = clients("sts").get_caller_identity()
    except (BotoCoreError, ClientError) as error:
        return Check(
            "credentials",
            False,
            f"none usable ({error}): sign in (aws configure, aws sso login) and run it again",
        )
    return Check(
        "credentials and region",
        True,
        f"account {identity['Account']} as {identity['Arn']}, in {env.region} (samconfig.toml)",
    )


def _reserved_by_stack(env: Environment, clients: Clients) -> int:
    """What env's stack reserves now (its update hands that back before it reserves again)."""
    from botocore.exceptions import ClientError

    try:
        resources = clients("cloudformation").describe_stack_resources(StackName=env.stack)
    except ClientError as error:
        if "does not exist" in str(error):
            return 0
        raise
    held = 0
    for resource in resources["StackResources"]:
        if resource["ResourceType"] == "AWS::Lambda::Function" and resource.get(
            "PhysicalResourceId"
        ):
            try:
                function = clients("lambda").get_function(
                    FunctionName=resource["PhysicalResourceId"]
                )
            except ClientError:
                continue  # rolled back or deleted: it holds nothing
            held += function.get("Concurrency", {}).get("ReservedConcurrentExecutions", 0)
    return held


def check_concurrency(env: Environment, clients: Clients) -> Check:
    limits = clients("lambda").get_account_settings()["AccountLimit"]
    quota, unreserved = limits["ConcurrentExecutions"], limits["UnreservedConcurrentExecutions"]
    need = reserved_concurrency(env)
    left = unreserved + _reserved_by_stack(env, clients) - need
    if left >= UNRESERVED_MINIMUM:
        held = f"reserves {need}" if need else "reserves none (the account's shared pool)"
        return Check("concurrency", True, f"{env.name} {held}; {left} of {quota} stay unreserved")
    wanted = quota + UNRESERVED_MINIMUM - left
    return Check(
        "concurrency",
        False,
        f"{env.name} reserves {need} (ReservedConcurrency in samconfig.toml, and "
        f"{HOOK_RESERVATION} for the pre-traffic hook) but the account's quota is {quota}, "
        f"{unreserved} of it unreserved, and AWS keeps {UNRESERVED_MINIMUM} unreserved: Lambda "
        f"would refuse it. An administrator asks for a quota of {wanted}: aws service-quotas "
        f"request-service-quota-increase --service-code lambda --quota-code "
        f"{CONCURRENCY_QUOTA_CODE} --desired-value {wanted} --region {env.region}; or lower "
        f"ReservedConcurrency in samconfig.toml",
    )


def check_bootstrap(env: Environment, clients: Clients) -> Iterator[Check]:
    """What `make bootstrap` makes. A deploy by hand needs none of it (sam deploy makes SAM's
    stack; without the access stack it deploys as the caller, with no boundary); a bootstrap
    stack in a state it cannot be updated from must be cleared first."""
    from botocore.exceptions import ClientError

    names = sam_names(env)
    bootstrap = f"make bootstrap ENV={env.name} GITHUB_REPOSITORY=..."
    for stack, missing in (
        (names["managed_stack"], "none yet: sam deploy makes it (resolve_s3)"),
        (ACCOUNT_STACK, f"none: no model registry yet ({bootstrap} makes it)"),
        (
            env.access_stack,
            f"none: deploying as the caller, with no permissions boundary nor the environment's "
            f"buckets ({bootstrap} makes them; the GitHub workflow needs them)",
        ),
    ):
        yield check_stack(clients, stack, env.region, missing, then=f"run {bootstrap}")
    bucket = stack_outputs(clients("cloudformation"), names["managed_stack"]).get("SourceBucket")
    if bucket:
        try:
            clients("s3").list_objects_v2(
                Bucket=bucket, Prefix=f"{env.artifacts_prefix}/", MaxKeys=1
            )
            yield Check("SAM's artifacts bucket", True, f"s3://{bucket}/{env.artifacts_prefix}/")
        except ClientError as error:
            yield Check("SAM's artifacts bucket", False, f"{bucket}: {error}: run {bootstrap}")
    (repository,) = names["image_repositories"].values()
    try:
        clients("ecr").describe_repositories(repositoryNames=[repository])
        yield Check("image repository", True, repository)
    except ClientError as error:
        if _error_code(error) != "RepositoryNotFoundException":
            raise
        yield Check("image repository", True, f"{repository}: sam deploy creates it")


def check_stack(
    clients: Clients, stack: str, region: str, missing: str, then: str, role_arn: str = ""
) -> Check:
    """A stack's state: fine to create or update, or what to do first and who may do it."""
    found = _stack(clients, stack)
    if found is None:
        return Check(f"stack {stack}", True, missing)
    status = found["StackStatus"]
    if status in DEPLOYABLE:
        return Check(f"stack {stack}", True, status)
    where = f"--stack-name {stack} --region {region}"
    role = f" --role-arn {role_arn}" if role_arn else ""
    if status.endswith("_IN_PROGRESS"):
        return Check(
            f"stack {stack}",
            False,
            f"{status}: wait for it (anyone who may describe it): aws cloudformation "
            f"describe-stacks {where} --query 'Stacks[0].StackStatus'; then {then}",
        )
    if status == "UPDATE_ROLLBACK_FAILED":
        command = f"aws cloudformation continue-update-rollback {where}{role}"
    else:  # ROLLBACK_COMPLETE, ROLLBACK_FAILED, DELETE_FAILED: nothing to update
        command = (
            f"aws cloudformation delete-stack {where}{role} && "
            f"aws cloudformation wait stack-delete-complete {where}"
        )
    return Check(
        f"stack {stack}",
        False,
        f"{status}, which cannot be updated{first_failure(clients, stack)}. {ADMINISTRATOR} "
        f"runs: {command}; then {then}",
    )


def first_failure(clients: Clients, stack: str) -> str:
    """The earliest failure CloudFormation recorded for the stack, as ' (first failure: ...)'."""
    from botocore.exceptions import ClientError

    try:
        events = clients("cloudformation").describe_stack_events(StackName=stack)["StackEvents"]
    except ClientError:
        return ""  # the deploy role reads only its own stack's events
    failed = [e for e in events if e.get("ResourceStatus", "").endswith("_FAILED")]
    if not failed:
        return ""
    first = min(failed, key=lambda event: event["Timestamp"])
    reason = first.get("ResourceStatusReason", "no reason given")
    return f" (first failure: {first['LogicalResourceId']}: {reason})"


def check_docker(docker: str) -> Check:
    try:
        done = subprocess.run(
            [docker, "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return Check("Docker", False, f"{error}: install Docker (sam build and the push need it)")
    if done.returncode != 0:
        return Check("Docker", False, "the engine does not answer: start it (docker info)")
    return Check("Docker", True, f"engine {done.stdout.strip()}")


def preflight(env: Environment, clients: Clients, docker: str = "docker") -> list[Check]:
    checks = [check_credentials(env, clients)]
    if checks[0].ok:
        access = stack_outputs(clients("cloudformation"), env.access_stack)
        checks.append(check_concurrency(env, clients))
        checks.extend(check_bootstrap(env, clients))
        role = access.get("CloudFormationRoleArn", "")
        first = "none yet: this deploy creates it"
        checks.append(check_stack(clients, env.stack, env.region, first, "deploy again", role))
    checks.append(check_docker(docker))
    return checks


def session_clients(region: str) -> Clients:
    """The caller's credentials (as boto3 finds them), one client per service."""
    import boto3

    return cache(boto3.Session(region_name=region).client)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("env")
    parser.add_argument("--docker", default="docker")
    args = parser.parse_args(argv)
    env = environment(args.env)
    checks = preflight(env, session_clients(env.region), args.docker)
    for check in checks:
        print(check.line())
    if not all(check.ok for check in checks):
        sys.exit(f"preflight: {env.name} cannot be deployed as things are (see ✗ above)")


if __name__ == "__main__":
    main()
