"""What an AWS service said in a botocore ClientError, and what to do when there are no
credentials: shared by the CLI and the model store."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class ServiceError(Protocol):
    """botocore's ClientError, as far as these helpers read it (botocore stays optional)."""

    response: Mapping[str, Any]


def error_code(error: ServiceError) -> str:
    """The service's error code ("NoSuchKey", "404", "AccessDenied", ...), or ''."""
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: ServiceError) -> str:
    """The service's own message, or the error itself when the service gave none."""
    return str(error.response.get("Error", {}).get("Message") or error)


# What to do when boto3 finds no credentials: said the same way by the CLI and the model store.
NO_CREDENTIALS = (
    "no AWS credentials found (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
)
