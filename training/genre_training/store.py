"""Versioned model artifacts on S3 (the layout: genre_training.location), each with its golden set
beside it for the deployment's pre-traffic check.

A version is visible (listed, pullable as latest) only once its archive was read back and matched;
a failure before that deletes what this publish wrote and leaves latest.json where it was. Every
key of a version is written with If-None-Match: *, so no publish replaces another's.

pull trusts the bucket's pointers, not the archive: the archive's sha256 must be the one
latest.json names, and its manifest the version's own manifest.json, of the version asked for.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from genre_model.aws_errors import NO_CREDENTIALS, error_code, error_message
from genre_model.manifest import (
    ARCHIVE_NAME,
    GOLDEN_NAME,
    MANIFEST_NAME,
    VERSION_FORM,
    Manifest,
    ManifestError,
    is_version,
    sha256_stream,
)
from genre_training.archive import (
    MAX_ARCHIVE_BYTES,
    MAX_JSON_BYTES,
    ArchiveError,
    copy_capped,
    read_archive_manifest,
    read_archive_member,
    unpack_verified,
    write_archive,
)
from genre_training.errors import StepError
from genre_training.location import LATEST_NAME, S3Location

MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
# A conditional write that lost: the key exists, or another conditional write to it is under way.
TAKEN_CODES = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict", "409"})
_SHA256 = re.compile(r"[0-9a-f]{64}", re.ASCII)


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


def _get_small(client: Any, location: S3Location, key: str) -> bytes | None:
    """A small object (at most MAX_JSON_BYTES), or None when there is none."""
    try:
        response = client.get_object(Bucket=location.bucket, Key=key)
    except ClientError as error:
        if error_code(error) in MISSING_CODES:
            return None
        raise
    buffer = io.BytesIO()
    with closing(response["Body"]) as body:
        try:
            copy_capped(body, buffer, MAX_JSON_BYTES, f"s3://{location.bucket}/{key}")
        except ArchiveError as error:
            raise StoreError(f"pull: {error}") from error
    return buffer.getvalue()


def publish(artifact: Path, location: S3Location) -> Manifest:
    """Publish a model.tar.gz, or an artifact directory (packed into one first)."""
    if not artifact.is_dir():
        return publish_archive(artifact, location)
    with tempfile.TemporaryDirectory(prefix="movie-genre-publish-") as work:
        archive = Path(work) / ARCHIVE_NAME
        write_archive(artifact, archive)
        return publish_archive(archive, location)


def _already_published(location: S3Location, version: str) -> str:
    # In part too: where the bucket refuses deletes, a publish that failed half-way stays.
    return (
        f"publish: version {version} already exists at {location.url(version)} (whole or in "
        "part); versions are written once: package the model again for a new version"
    )


def _put_new(client: Any, location: S3Location, key: str, version: str, **fields: Any) -> None:
    """Write key only where nothing is (If-None-Match: *): a version's keys are written once."""
    try:
        client.put_object(Bucket=location.bucket, Key=key, IfNoneMatch="*", **fields)
    except ClientError as error:
        if error_code(error) in TAKEN_CODES:
            raise StoreError(_already_published(location, version)) from error
        raise


def publish_archive(archive: Path, location: S3Location) -> Manifest:
    """Upload, verify by reading back, then move latest.json to this version."""
    manifest = read_archive_manifest(archive)
    size = archive.stat().st_size
    if size > MAX_ARCHIVE_BYTES:
        raise StoreError(
            f"publish: {archive} is {size} bytes; pull takes at most {MAX_ARCHIVE_BYTES}"
        )
    with archive.open("rb") as stream:
        digest = sha256_stream(stream)
    golden = read_archive_member(archive, GOLDEN_NAME)
    version = manifest.version
    archive_key = location.key(version, ARCHIVE_NAME)
    client = location.client()
    with s3_errors(location, "publish"):
        client.head_bucket(Bucket=location.bucket)
        # Said before a long upload; the conditional writes below are what enforce it.
        if _exists(client, location, location.key(version, MANIFEST_NAME)):
            raise StoreError(_already_published(location, version))
        written: list[str] = []
        try:
            with archive.open("rb") as body:
                _put_new(
                    client,
                    location,
                    archive_key,
                    version,
                    Body=body,
                    Metadata={"sha256": digest},
                    ContentType="application/gzip",
                )
            written.append(archive_key)
            body = client.get_object(Bucket=location.bucket, Key=archive_key)["Body"]
            uploaded = sha256_stream(body)
            if uploaded != digest:
                raise StoreError(
                    f"publish: {location.url(version, ARCHIVE_NAME)} read back with sha256 "
                    f"{uploaded}, expected {digest}"
                )
            documents = {MANIFEST_NAME: manifest.to_json().encode()}
            if golden is not None:
                # Beside the archive for the deployment's pre-traffic check (no unpacking there).
                documents = {GOLDEN_NAME: golden, **documents}
            # manifest.json last: a version is listed once it is there.
            for name, document in documents.items():
                key = location.key(version, name)
                _put_new(
                    client, location, key, version, Body=document, ContentType="application/json"
                )
                written.append(key)
        except BaseException:
            # Leave no half-published version behind (only what this call wrote: a refused
            # conditional write means the key is someone else's); latest.json was never touched.
            for key in reversed(written):
                with suppress(ClientError, BotoCoreError):
                    client.delete_object(Bucket=location.bucket, Key=key)
            raise
        pointer = {
            "version": version,
            "archive_key": archive_key,
            "sha256": digest,
            "size": size,
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
                if path.name == MANIFEST_NAME and is_version(path.parent.name):
                    versions.append(path.parent.name)
    return sorted(versions)


def _read_latest(client: Any, location: S3Location) -> tuple[str, str]:
    """The version latest.json points at, and the archive sha256 it names."""
    data = _get_small(client, location, location.key(LATEST_NAME))
    if data is None:
        raise StoreError(f"pull: nothing published at {location.url()} (no {LATEST_NAME})")
    try:
        pointer = json.loads(data)
    except (ValueError, RecursionError):
        pointer = None
    if not isinstance(pointer, dict):
        pointer = {}
    version: object = pointer.get("version")
    digest: object = pointer.get("sha256")
    if is_version(version) and isinstance(digest, str) and _SHA256.fullmatch(digest):
        return version, digest
    raise StoreError(
        f"pull: {location.url(LATEST_NAME)} does not name a version ({VERSION_FORM}) and "
        "the sha256 of its archive"
    )


def _published_manifest(client: Any, location: S3Location, version: str) -> Manifest:
    """The version's own manifest.json: what its archive must hold."""
    data = None
    if is_version(version):
        data = _get_small(client, location, location.key(version, MANIFEST_NAME))
    if data is None:
        raise StoreError(
            f"pull: version {version} not found at {location.url()} (versions look like "
            f"{VERSION_FORM}; `versions` lists them)"
        )
    try:
        published = Manifest.from_json(data, location.url(version, MANIFEST_NAME))
    except ManifestError as error:
        raise StoreError(f"pull: refusing version {version}: {error}") from error
    if published.version != version:
        raise StoreError(
            f"pull: refusing version {version}: its manifest.json says {published.version}"
        )
    return published


def _download(client: Any, location: S3Location, version: str, path: Path) -> tuple[str, str]:
    """Stream the version's archive into path (at most MAX_ARCHIVE_BYTES): its sha256, and the
    one its object metadata names."""
    url = location.url(version, ARCHIVE_NAME)
    response = client.get_object(Bucket=location.bucket, Key=location.key(version, ARCHIVE_NAME))
    with closing(response["Body"]) as body, path.open("xb") as stream:
        size = response.get("ContentLength")
        if isinstance(size, int) and size > MAX_ARCHIVE_BYTES:
            raise StoreError(f"pull: {url} is larger than {MAX_ARCHIVE_BYTES} bytes ({size})")
        try:
            digest = copy_capped(body, stream, MAX_ARCHIVE_BYTES, url)
        except ArchiveError as error:
            raise StoreError(f"pull: {error}") from error
    return digest, str(response.get("Metadata", {}).get("sha256"))


def pull(
    location: S3Location, dest: Path, version: str | None = None
) -> tuple[Manifest, int | None]:
    """Download a version (default: latest), check it against latest.json and its published
    manifest, unpack only what that lists, check every file's size and sha256 and the golden
    set, then swap it into dest. Returns the manifest and how many golden movies matched (None:
    no set)."""
    client = location.client()
    with s3_errors(location, "pull"):
        pointed = None
        if version is None:
            version, pointed = _read_latest(client, location)
        published = _published_manifest(client, location, version)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{dest.name}-") as work:
            unpacked = _fetch(client, location, published, pointed, Path(work))
            golden = check_golden(unpacked)
            _swap_into(unpacked, dest)
    return published, golden


def _fetch(
    client: Any, location: S3Location, published: Manifest, pointed: str | None, work: Path
) -> Path:
    """Download and unpack the published version's archive into work; refuse it unless its
    sha256 is the one latest.json names (pointed; else its metadata's) and its manifest is the
    published one."""
    version = published.version
    url = location.url(version, ARCHIVE_NAME)
    archive = work / ARCHIVE_NAME
    digest, in_metadata = _download(client, location, version, archive)
    # latest.json is the record; the object's metadata is only its uploader's word.
    expected, source = (pointed, LATEST_NAME) if pointed else (in_metadata, "its metadata")
    if digest != expected:
        raise StoreError(f"pull: {url} is corrupt: sha256 {digest}, but {source} names {expected}")
    unpacked = work / "artifact"
    try:
        manifest = unpack_verified(archive, unpacked)
    except ArchiveError as error:
        raise StoreError(f"pull: {error}") from error
    if manifest.version != version:
        raise StoreError(f"pull: {url} holds version {manifest.version}, not {version}")
    if manifest != published:
        raise StoreError(f"pull: {url} differs from {location.url(version, MANIFEST_NAME)}")
    return unpacked


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
