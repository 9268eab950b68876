"""--stack: the API's URL from the CloudFormation stack that `sam deploy` made."""

from __future__ import annotations

from genre_model.aws_errors import NO_CREDENTIALS, error_message
from movie_classifier.aws import NO_REGION, boto3_session
from movie_classifier.constants import STACK_URL_OUTPUT
from movie_classifier.errors import AwsProblem


def stack_endpoint(stack: str, region: str | None = None, profile: str | None = None) -> str:
    """The stack's GenreApiUrl output, or the AwsProblem that says in one line why not."""
    session = boto3_session("--stack", region=region, profile=profile)
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

    try:
        stacks = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    except NoRegionError as error:
        raise AwsProblem(f"stack {stack!r}: {NO_REGION}") from error
    except NoCredentialsError as error:
        raise AwsProblem(f"stack {stack!r}: {NO_CREDENTIALS}") from error
    except ClientError as error:
        raise AwsProblem(f"stack {stack!r}: {error_message(error)}") from error
    except BotoCoreError as error:
        raise AwsProblem(f"stack {stack!r}: {error}") from error
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    if STACK_URL_OUTPUT not in outputs:
        raise AwsProblem(f"stack {stack!r} has no {STACK_URL_OUTPUT} output (is it movie-genre's?)")
    return str(outputs[STACK_URL_OUTPUT])
