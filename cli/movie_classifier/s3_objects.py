"""Objects in S3 for catalogue jobs: check, read (streamed) and upload, each failure one line.

A missing object or bucket is said as a missing local file is (a usage error); anything else AWS
refuses (access, credentials, region) is an AwsProblem.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
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
    """No such object: the caller decides what that means (never reaches the user)."""


def object_chunks(s3: Any, location: S3Location, chunk_bytes: int = 1 << 16) -> Iterator[bytes]:
    """An object's bytes, a chunk at a time (Absent: no such object)."""
    with aws_errors(f"cannot read {location}", Absent):
        body = s3.get_object(Bucket=location.bucket, Key=location.key)["Body"]
    with closing(body), aws_errors(f"cannot read {location}", AwsProblem):
        yield from body.iter_chunks(chunk_bytes)


def upload(s3: Any, path: Path, location: S3Location) -> None:
    with aws_errors(f"cannot write {location}", AwsProblem):
        s3.upload_file(str(path), location.bucket, location.key)
