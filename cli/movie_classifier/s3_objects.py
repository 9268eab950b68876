"""Objects in S3 for catalogue jobs: check, read, download and upload, each failure one line.

A missing object or bucket is said as a missing local file is (a usage error); anything else AWS
refuses (access, credentials, region) is an AwsProblem.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from movie_classifier.aws import aws_errors
from movie_classifier.errors import AwsProblem, ClassifierError
from movie_classifier.s3_location import S3Location


def check_readable(s3: Any, location: S3Location) -> None:
    """The object exists and these credentials may read it (HeadObject)."""
    with aws_errors(f"cannot read {location}"):
        s3.head_object(Bucket=location.bucket, Key=location.key)


class Absent(ClassifierError):
    """No such object: read_json's caller decides what that means (never reaches the user)."""


def read_json(s3: Any, location: S3Location, unreadable: type[ClassifierError]) -> Any | None:
    """An object's JSON, or None when there is no such object; one that is not JSON is a
    ClassifierError of the kind unreadable."""
    try:
        with aws_errors(f"cannot read {location}", Absent):
            body = s3.get_object(Bucket=location.bucket, Key=location.key)["Body"].read()
    except Absent:
        return None
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise unreadable(f"{location} is not JSON: {error}") from error


def upload(s3: Any, path: Path, location: S3Location) -> None:
    with aws_errors(f"cannot write {location}", AwsProblem):
        s3.upload_file(str(path), location.bucket, location.key)
