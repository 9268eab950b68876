"""Users' corrections read back, one at a time, from s3://bucket/prefix or a local folder.

Reading is streamed: listing is paged, at most READ_AHEAD bodies are in flight or waiting at
once, and each is decoded and handed on before the next is read, so that memory does not grow
with the number of objects. Whatever is not a correction is handed on as Ignored, with its
reason: nothing under the source stops a reading, only a source that cannot be read at all
(FeedbackError, StoreError).
"""

from __future__ import annotations

import errno
import os
import stat
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genre_model.corrections import MAX_RECORD_BYTES, Correction, CorrectionError
from genre_model.s3_names import S3_SCHEME, split_s3_url
from genre_training.errors import StepError
from genre_training.location import S3Location

# Objects read at once from S3: each correction is a small GET.
READ_CONCURRENCY = 16
READ_AHEAD = 4 * READ_CONCURRENCY
LIST_PAGE_SIZE = 1000  # S3's own most; the tests page by fewer
SUFFIX = ".json"
# A FIFO or device is opened without blocking; O_NOFOLLOW refuses a symbolic link that
# appeared after the folder was listed.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


class FeedbackError(StepError):
    """The corrections cannot be read at all: a bad source, a missing folder."""


@dataclass(frozen=True)
class Ignored:
    where: str  # the object's s3:// URL or file path, or "correction <id>"
    reason: str


def read_corrections(source: str) -> Iterator[Correction | Ignored]:
    """Every correction under s3://bucket/prefix (boto3's usual configuration, AWS_ENDPOINT_URL
    included) or in a local folder (its files at any depth, as synced from S3 or as the API's
    MOVIE_GENRE_FEEDBACK_DIR stores them), and every object that is not one, with its reason.

    The source is checked at once (FeedbackError); the objects are read as they are asked for.
    """
    if source.startswith(S3_SCHEME):
        return _read_s3(s3_location(source))
    folder = Path(source)
    if not folder.is_dir():
        raise FeedbackError(f"feedback {source!r} is neither s3://bucket/prefix nor a folder")
    return _read_folder(folder)


def s3_location(url: str) -> S3Location:
    try:
        bucket, key = split_s3_url(url)
    except ValueError as error:
        raise FeedbackError(f"feedback: {error} (expected s3://bucket/prefix)") from error
    return S3Location(bucket=bucket, prefix=key.strip("/"))


def decode(where: str, data: bytes) -> Correction | Ignored:
    try:
        return Correction.decode(data)
    except CorrectionError as error:
        return Ignored(where, str(error))


def _read_folder(folder: Path) -> Iterator[Correction | Ignored]:
    """Depth first, in the folder's own order (no listing is held whole); symbolic links are
    never followed, and only regular files are read, each checked for size before it is read."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_symlink():
                yield Ignored(entry.path, "a symbolic link: not followed")
            elif entry.is_dir(follow_symlinks=False):
                yield from _read_folder(Path(entry.path))
            elif not entry.name.endswith(SUFFIX):
                yield Ignored(entry.path, f"not a {SUFFIX} file")
            else:
                yield _read_file(entry.path)


def _read_file(where: str) -> Correction | Ignored:
    try:
        handle = os.open(where, _OPEN_FLAGS)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return Ignored(where, "a symbolic link: not followed")
        return Ignored(where, f"cannot be opened: {error.strerror}")
    with os.fdopen(handle, "rb") as stream:
        found = os.fstat(stream.fileno())
        if not stat.S_ISREG(found.st_mode):
            return Ignored(where, "not a regular file")
        if found.st_size > MAX_RECORD_BYTES:
            return Ignored(where, f"{found.st_size} bytes: more than a correction can be")
        try:
            data = stream.read(MAX_RECORD_BYTES + 1)
        except OSError as error:
            return Ignored(where, f"cannot be read: {error.strerror}")
    return decode(where, data)


def _read_s3(location: S3Location) -> Iterator[Correction | Ignored]:
    from genre_training.store import s3_errors

    client = location.client()
    with s3_errors(location, "feedback"), ThreadPoolExecutor(READ_CONCURRENCY) as pool:
        pending: deque[Future[Correction | Ignored]] = deque()
        for item in _listing(client, location):
            url = f"s3://{location.bucket}/{item['Key']}"
            if not item["Key"].endswith(SUFFIX):
                yield Ignored(url, f"not a {SUFFIX} object")
            elif item["Size"] > MAX_RECORD_BYTES:
                yield Ignored(url, f"{item['Size']} bytes: more than a correction can be")
            else:
                pending.append(pool.submit(_get, client, location.bucket, item["Key"]))
                if len(pending) >= READ_AHEAD:
                    yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _listing(client: Any, location: S3Location) -> Iterator[dict[str, Any]]:
    prefix = location.key() + "/" if location.key() else ""
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=location.bucket, Prefix=prefix, PaginationConfig={"PageSize": LIST_PAGE_SIZE}
    ):
        yield from page.get("Contents", [])


def _get(client: Any, bucket: str, key: str) -> Correction | Ignored:
    """One object, decoded; an object that went (deleted since the listing) or that cannot be
    read is ignored with S3's reason, as any other object that is not a correction."""
    from botocore.exceptions import ClientError

    url = f"s3://{bucket}/{key}"
    try:
        response = client.get_object(Bucket=bucket, Key=key)
        with closing(response["Body"]) as body:
            data = body.read(MAX_RECORD_BYTES + 1)
    except ClientError as error:
        return Ignored(url, f"cannot be read: {error.response.get('Error', {}).get('Code')}")
    return decode(url, data)
