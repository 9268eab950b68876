"""boto3, for --stack, --iam and catalogue jobs: optional (the [aws] extra), and said so when
missing; botocore's errors as one line each."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from genre_model.aws_errors import NO_CREDENTIALS, error_code, error_message
from movie_classifier.errors import AwsProblem, ClassifierError, UsageProblem

NO_REGION = "no AWS region (give --region, or set AWS_REGION)"
# What S3 and Step Functions answer for something that is not there.
MISSING = frozenset(
    {"404", "NoSuchKey", "NoSuchBucket", "NotFound", "ExecutionDoesNotExist", "MapRunNotFound"}
)


def boto3_session(option: str, *, region: str | None, profile: str | None) -> Any:
    """A boto3 Session for option (--stack, --iam), or the AwsProblem that says why not."""
    try:
        import boto3
        from botocore.exceptions import BotoCoreError
    except ImportError as error:
        raise AwsProblem(f"{option} needs boto3: pip install 'movie-genre[aws]'") from error
    # AWS_REGION as the AWS CLI reads it (before AWS_DEFAULT_REGION and the profile): boto3
    # itself does not read it.
    region = region or os.environ.get("AWS_REGION") or None
    try:
        return boto3.Session(profile_name=profile, region_name=region)
    except BotoCoreError as error:  # an unknown profile, a broken config file
        raise AwsProblem(f"{option}: {error}") from error


@contextmanager
def aws_errors(what: str, missing: type[ClassifierError] = UsageProblem) -> Iterator[None]:
    """botocore's errors inside as one-line ClassifierErrors that start with what."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

    try:
        yield
    except NoCredentialsError as error:
        raise AwsProblem(f"{what}: {NO_CREDENTIALS}") from error
    except NoRegionError as error:
        raise AwsProblem(f"{what}: {NO_REGION}") from error
    except ClientError as error:
        code = error_code(error)
        kind = missing if code in MISSING else AwsProblem
        # A HEAD request's 404 has no body: S3 says only "Not Found".
        said = "no such object" if code in ("404", "NotFound") else error_message(error)
        raise kind(f"{what}: {said}") from error
    except BotoCoreError as error:
        raise AwsProblem(f"{what}: {error}") from error
