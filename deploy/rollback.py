"""Point an environment's `live` alias back at the version before the one it serves now.

    python deploy/rollback.py --env prod [--to VERSION]      (make rollback ENV=prod [TO=N])

The stack and its region come from samconfig.toml (deploy/environments.py).

The API calls the alias, so the previous version answers at once. CodeDeploy already rolls a
deployment back by itself when its pre-traffic check or an alarm fails; this is for a bad model
found later. Redeploying the previous image with `make deploy` makes the stack agree again.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from environments import environment, stack_outputs

ALIAS = "live"
VERSION = re.compile(r"^[1-9][0-9]{0,9}$")


def stack_function(cloudformation: Any, stack: str) -> str:
    """The function's name, from the stack's GenreFunctionArn output."""
    arn = stack_outputs(cloudformation, stack).get("GenreFunctionArn")
    if arn is None:
        raise SystemExit(f"stack {stack!r} has no GenreFunctionArn output (is it deployed?)")
    return str(arn).split(":function:")[1].split(":")[0]


def published_versions(lambda_client: Any, function: str) -> list[int]:
    versions = []
    for page in lambda_client.get_paginator("list_versions_by_function").paginate(
        FunctionName=function
    ):
        versions += [int(v["Version"]) for v in page["Versions"] if v["Version"].isdigit()]
    return sorted(versions)


def target_version(versions: list[int], current: str, to: str | None) -> str:
    """The version to move to: `to`, which must exist, or the one before current."""
    if to is not None:
        if not VERSION.fullmatch(to) or int(to) not in versions:
            raise SystemExit(f"no version {to!r} to roll back to; published: {versions}")
        return to
    older = [v for v in versions if v < int(current)]
    if not older:
        raise SystemExit(f"version {current} is the first one: there is nothing to roll back to")
    return str(max(older))


def rollback(stack: str, region: str | None, to: str | None) -> tuple[str, str]:
    """Move the alias; returns (from version, to version)."""
    session = boto3.Session(region_name=region)
    function = stack_function(session.client("cloudformation"), stack)
    lambda_client = session.client("lambda")
    current = lambda_client.get_alias(FunctionName=function, Name=ALIAS)["FunctionVersion"]
    target = target_version(published_versions(lambda_client, function), current, to)
    lambda_client.update_alias(
        FunctionName=function, Name=ALIAS, FunctionVersion=target, RoutingConfig={}
    )
    return current, target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", required=True, help="a samconfig.toml environment (dev, prod)")
    parser.add_argument("--to", default=None, help="a version number (default: the previous)")
    args = parser.parse_args()
    env = environment(args.env)
    try:
        before, after = rollback(env.stack, env.region, args.to or None)
    except (ClientError, BotoCoreError) as error:
        sys.exit(f"rollback failed: {error}")
    print(f"{env.stack}: alias {ALIAS} moved from version {before} to {after}")


if __name__ == "__main__":
    main()
