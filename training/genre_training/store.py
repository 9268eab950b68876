"""Versioned model artifacts on S3.

Layout under s3://<bucket>/<prefix>/:
    <version>/model.tar.gz    the archive, with its sha256 in the object's metadata
    <version>/manifest.json   a copy of the archive's manifest, written once the archive is verified
    latest.json               {"version", "archive_key", "sha256", ...}, moved last

A version is visible (listed, pullable as latest) only once its archive was read back and matched;
a failure before that deletes what was written and leaves latest.json where it was.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from genre_model.manifest import MANIFEST_NAME, Manifest, ManifestError

ARCHIVE_NAME = "model.tar.gz"
LATEST_NAME = "latest.json"
DEFAULT_PREFIX = "movie-genre"
_CHUNK = 1 << 20


class StoreError(Exception):
    """One line for the user: what failed, and where."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str = DEFAULT_PREFIX
    region: str | None = None
    endpoint_url: str | None = None

    def key(self, *parts: str) -> str:
        return "/".join(part.strip("/") for part in (self.prefix, *parts) if part.strip("/"))

    def url(self, *parts: str) -> str:
        return f"s3://{self.bucket}/{self.key(*parts)}"

    def client(self) -> Any:
        # endpoint_url None lets boto3 apply AWS_ENDPOINT_URL and its usual configuration chain.
        return boto3.client("s3", region_name=self.region, endpoint_url=self.endpoint_url)


@contextmanager
def s3_errors(location: S3Location, action: str) -> Iterator[None]:
    """Turn boto3's exceptions into a StoreError that says what went wrong in one line."""
    try:
        yield
    except NoCredentialsError as error:
        raise StoreError(
            f"{action}: no AWS credentials found (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY)"
        ) from error
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "NoSuchBucket" or (code == "404" and error.operation_name == "HeadBucket"):
            message = f"bucket {location.bucket!r} does not exist"
        elif code in {"AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"}:
            message = f"access denied to s3://{location.bucket} ({code})"
        else:
            message = f"{code or 'error'}: {error.response.get('Error', {}).get('Message', error)}"
        raise StoreError(f"{action}: {message}") from error
    except BotoCoreError as error:
        raise StoreError(f"{action}: {error}") from error


def sha256_stream(stream: Any) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def read_archive_manifest(archive: Path) -> Manifest:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile(MANIFEST_NAME)
            if member is None:
                raise ManifestError(f"{MANIFEST_NAME} is not a file")
            data = json.loads(member.read())
        return Manifest(**data)
    except (
        tarfile.TarError,
        KeyError,
        OSError,
        json.JSONDecodeError,
        TypeError,
        ManifestError,
    ) as error:
        raise StoreError(f"{archive} is not a model archive: {error}") from error


def _exists(client: Any, location: S3Location, key: str) -> bool:
    try:
        client.head_object(Bucket=location.bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
            return False
        raise
    return True


def publish(archive: Path, location: S3Location) -> Manifest:
    """Upload, verify by reading back, then move latest.json to this version."""
    manifest = read_archive_manifest(archive)
    with archive.open("rb") as stream:
        digest = sha256_stream(stream)
    archive_key = location.key(manifest.version, ARCHIVE_NAME)
    manifest_key = location.key(manifest.version, MANIFEST_NAME)
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
            client.put_object(
                Bucket=location.bucket,
                Key=manifest_key,
                Body=json.dumps(asdict(manifest), indent=2, sort_keys=True).encode(),
                ContentType="application/json",
            )
        except BaseException:
            # Leave no half-published version behind; latest.json was never touched.
            for key in (manifest_key, archive_key):
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


def pull(location: S3Location, dest: Path, version: str | None = None) -> Manifest:
    """Download a version (default: latest), check every sha256, then swap it into dest."""
    client = location.client()
    with s3_errors(location, "pull"):
        if version is None:
            try:
                latest = client.get_object(Bucket=location.bucket, Key=location.key(LATEST_NAME))
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "NoSuchKey":
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
            _swap_into(unpacked, dest)
    return manifest


def unpack_verified(archive: Path, target: Path) -> Manifest:
    """Extract regular files only (no links, no paths outside target); verify every sha256."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(target, filter="data")
        manifest = Manifest.read(target)
        manifest.verify_files(target)
    except (tarfile.TarError, OSError, ManifestError) as error:
        raise StoreError(f"refusing {archive.name}: {error}") from error
    return manifest


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
