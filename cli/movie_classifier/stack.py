"""--stack: the API's URL from the CloudFormation stack that `sam deploy` made."""

from __future__ import annotations

from movie_classifier.aws import aws_errors, boto3_session
from movie_classifier.constants import STACK_URL_OUTPUT
from movie_classifier.errors import AwsProblem


def stack_endpoint(stack: str, region: str | None = None, profile: str | None = None) -> str:
    """The stack's GenreApiUrl output, or the AwsProblem that says in one line why not."""
    outputs = stack_outputs(stack, region, profile)
    if STACK_URL_OUTPUT not in outputs:
        raise AwsProblem(f"stack {stack!r} has no {STACK_URL_OUTPUT} output (is it movie-genre's?)")
    return outputs[STACK_URL_OUTPUT]


def stack_outputs(
    stack: str, region: str | None = None, profile: str | None = None
) -> dict[str, str]:
    """The stack's outputs by name, or the AwsProblem that says in one line why there are none."""
    session = boto3_session("--stack", region=region, profile=profile)
    with aws_errors(f"stack {stack!r}", AwsProblem):
        stacks = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    return {str(o["OutputKey"]): str(o["OutputValue"]) for o in stacks[0].get("Outputs", [])}
