"""Point a deployed stack's `live` alias back at the version before the one it serves now.

    python deploy/rollback.py --stack movie-genre-prod [--region us-east-1] [--to VERSION]

The API calls the alias, so the previous version answers at once. CodeDeploy already rolls a
deployment back by itself when its pre-traffic check or an alarm fails; this is for a bad model
found later. Redeploying the previous image with `make deploy` makes the stack agree again.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

ALIAS = "live"


def stack_function(cloudformation: Any, stack: str) -> str:
    """The function's name, from the stack's GenreFunctionArn output."""
    outputs = cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    for output in outputs:
        if output["OutputKey"] == "GenreFunctionArn":
            return str(output["OutputValue"]).split(":function:")[1].split(":")[0]
    raise SystemExit(f"stack {stack!r} has no GenreFunctionArn output (is it movie-genre's?)")


def previous_version(lambda_client: Any, function: str, current: str) -> str:
    versions = []
    for page in lambda_client.get_paginator("list_versions_by_function").paginate(
        FunctionName=function
    ):
        versions += [int(v["Version"]) for v in page["Versions"] if v["Version"].isdigit()]
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
    target = to or previous_version(lambda_client, function, current)
    lambda_client.update_alias(
        FunctionName=function, Name=ALIAS, FunctionVersion=target, RoutingConfig={}
    )
    return current, target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--region", default=None)
    parser.add_argument("--to", default=None, help="a version number (default: the previous)")
    args = parser.parse_args()
    try:
        before, after = rollback(args.stack, args.region, args.to)
    except (ClientError, BotoCoreError) as error:
        sys.exit(f"rollback failed: {error}")
    print(f"{args.stack}: alias {ALIAS} moved from version {before} to {after}")


if __name__ == "__main__":
    main()
