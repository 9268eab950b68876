"""Versioned model artifacts on S3 (the layout: genre_training.location), each with its golden set
beside it for the deployment's pre-traffic check.

A version is visible (listed, pullable as latest) only once its archive was read back and matched;
a failure before that deletes what was written and leaves latest.json where it was.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from genre_model.aws_errors import NO_CREDENTIALS, error_code, error_message
from genre_model.manifest import (
    ARCHIVE_NAME,
    GOLDEN_NAME,
    MANIFEST_NAME,
    Manifest,
    sha256_stream,
)
from genre_training.archive import (
    read_archive_manifest,
    read_archive_member,
    unpack_verified,
    write_archive,
)
from genre_training.errors import StepError
from genre_training.location import LATEST_NAME, S3Location

_CHUNK = 1 << 20
MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


class StoreError(StepError):
    """One line for the user: what failed, and where."""


@contextmanager
def s3_errors(location: S3Location, action: str) -> Iterator[None]:
    """Turn boto3's exceptions into a StoreError that says what went wrong in one line."""
    try:
        yield
    except NoCredentialsError as error:
        raise StoreError(f"{action}: {NO_CREDENTIALS}") from error
    except ClientError as error:
        code = error_code(error)
        if code == "NoSuchBucket" or (code == "404" and error.operation_name == "HeadBucket"):
            message = f"bucket {location.bucket!r} does not exist"
        elif code in {"AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"}:
            message = f"access denied to s3://{location.bucket} ({code})"
        else:
            message = f"{code or 'error'}: {error_message(error)}"
        raise StoreError(f"{action}: {message}") from error
    except BotoCoreError as error:
        raise StoreError(f"{action}: {error}") from error


def _exists(client: Any, location: S3Location, key: str) -> bool:
    try:
        client.head_object(Bucket=location.bucket, Key=key)
    except ClientError as error:
        if error_code(error) in MISSING_CODES:
            return False
        raise
    return True


def publish(artifact: Path, location: S3Location) -> Manifest:
    """Publish a model.tar.gz, or an artifact directory (packed into one first)."""
    if not artifact.is_dir():
        return publish_archive(artifact, location)
    with tempfile.TemporaryDirectory(prefix="movie-genre-publish-") as work:
        archive = Path(work) / ARCHIVE_NAME
        write_archive(artifact, archive)
        return publish_archive(archive, location)


def publish_archive(archive: Path, location: S3Location) -> Manifest:
    """Upload, verify by reading back, then move latest.json to this version."""
    manifest = read_archive_manifest(archive)
    with archive.open("rb") as stream:
        digest = sha256_stream(stream)
    golden = read_archive_member(archive, GOLDEN_NAME)
    archive_key = location.key(manifest.version, ARCHIVE_NAME)
    manifest_key = location.key(manifest.version, MANIFEST_NAME)
    golden_key = location.key(manifest.version, GOLDEN_NAME)
    client = location.client()
    with s3_errors(location, "publish"):
        client.head_bucket(Bucket=location.bucket)
        if _exists(client, location, manifest_key):
            raise StoreError(
                f"publish: version {manifest.version} already exists at "
                f"{location.url(manifest.version)}; versions are immutable"
            )
        try:
            client.upload_file(
                str(archive),
                location.bucket,
                archive_key,
                ExtraArgs={"Metadata": {"sha256": digest}, "ContentType": "application/gzip"},
            )
            body = client.get_object(Bucket=location.bucket, Key=archive_key)["Body"]
            uploaded = sha256_stream(body)
            if uploaded != digest:
                raise StoreError(
                    f"publish: {location.url(archive_key)} read back with sha256 "
                    f"{uploaded}, expected {digest}"
                )
            if golden is not None:
                # Beside the archive for the deployment's pre-traffic check (no unpacking there).
                client.put_object(
                    Bucket=location.bucket,
                    Key=golden_key,
                    Body=golden,
                    ContentType="application/json",
                )
            client.put_object(
                Bucket=location.bucket,
                Key=manifest_key,
                Body=manifest.to_json().encode(),
                ContentType="application/json",
            )
        except BaseException:
            # Leave no half-published version behind; latest.json was never touched.
            for key in (manifest_key, golden_key, archive_key):
                with suppress(ClientError, BotoCoreError):
                    client.delete_object(Bucket=location.bucket, Key=key)
            raise
        pointer = {
            "version": manifest.version,
            "archive_key": archive_key,
            "sha256": digest,
            "size": archive.stat().st_size,
            "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        client.put_object(
            Bucket=location.bucket,
            Key=location.key(LATEST_NAME),
            Body=json.dumps(pointer, indent=2).encode(),
            ContentType="application/json",
        )
    return manifest


def list_versions(location: S3Location) -> list[str]:
    """Published versions (those whose manifest.json exists), oldest first."""
    client = location.client()
    versions = []
    with s3_errors(location, "list"):
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=location.bucket, Prefix=location.key("") + "/"):
            for item in page.get("Contents", []):
                path = PurePosixPath(item["Key"])
                if path.name == MANIFEST_NAME:
                    versions.append(path.parent.name)
    return sorted(versions)


def pull(
    location: S3Location, dest: Path, version: str | None = None
) -> tuple[Manifest, int | None]:
    """Download a version (default: latest), check every sha256 and the golden set, then swap
    it into dest. Returns the manifest and how many golden movies matched (None: no set)."""
    client = location.client()
    with s3_errors(location, "pull"):
        if version is None:
            try:
                latest = client.get_object(Bucket=location.bucket, Key=location.key(LATEST_NAME))
            except ClientError as error:
                if error_code(error) in MISSING_CODES:
                    raise StoreError(
                        f"pull: nothing published at {location.url()} (no {LATEST_NAME})"
                    ) from error
                raise
            version = str(json.loads(latest["Body"].read())["version"])
        archive_key = location.key(version, ARCHIVE_NAME)
        if not _exists(client, location, location.key(version, MANIFEST_NAME)):
            raise StoreError(f"pull: version {version} not found at {location.url()}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{dest.name}-") as work:
            archive = Path(work) / ARCHIVE_NAME
            response = client.get_object(Bucket=location.bucket, Key=archive_key)
            expected = response.get("Metadata", {}).get("sha256")
            with archive.open("wb") as stream:
                shutil.copyfileobj(response["Body"], stream, _CHUNK)
            with archive.open("rb") as stream:
                actual = sha256_stream(stream)
            if expected != actual:
                raise StoreError(
                    f"pull: {location.url(archive_key)} is corrupt: sha256 {actual}, "
                    f"expected {expected}"
                )
            unpacked = Path(work) / "artifact"
            manifest = unpack_verified(archive, unpacked)
            golden = check_golden(unpacked)
            _swap_into(unpacked, dest)
    return manifest, golden


def check_golden(artifact_dir: Path) -> int | None:
    """The check the function runs at init: the golden set scores as it did at training time."""
    from genre_model import GenreClassifier, ModelError

    try:
        return GenreClassifier.load(artifact_dir, verify=False).check_golden()
    except ModelError as error:
        raise StoreError(f"pull: refusing the model: {error}") from error


def _swap_into(unpacked: Path, dest: Path) -> None:
    """Replace dest with unpacked so that dest is never a half-written directory."""
    old = dest.with_name(f".{dest.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if dest.exists():
        dest.rename(old)
    unpacked.rename(dest)
    if old.exists():
        shutil.rmtree(old)
