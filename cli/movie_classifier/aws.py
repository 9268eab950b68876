"""boto3, for --stack and --iam: optional (the [aws] extra), and said so when missing."""

from __future__ import annotations

import os
from typing import Any

from movie_classifier.errors import AwsProblem

NO_REGION = "no AWS region (give --region, or set AWS_REGION)"


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
