"""S3 publishing and pulling against moto's in-process S3."""

import io
import json
import tarfile
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from genre_model import Manifest
from genre_model.locations import default_model_dir
from genre_training import store
from genre_training.errors import StepError
from genre_training.store import S3Location, StoreError, list_versions, publish, pull
from tests.helpers.data import reseal

BUCKET = "models"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def location() -> S3Location:
    return S3Location(bucket=BUCKET, prefix="team/movie-genre")


def latest(s3, location: S3Location) -> dict:
    body = s3.get_object(Bucket=BUCKET, Key=location.key("latest.json"))["Body"].read()
    return json.loads(body)


def keys(s3) -> list[str]:
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_publish_then_pull_gives_back_the_same_verified_files(
    s3, location: S3Location, packaged: dict[str, Path], tmp_path: Path
) -> None:
    manifest = publish(packaged["archive"], location)
    assert keys(s3) == sorted(
        [
            location.key("latest.json"),
            location.key(manifest.version, "golden.json"),
            location.key(manifest.version, "manifest.json"),
            location.key(manifest.version, "model.tar.gz"),
        ]
    )
    golden = s3.get_object(Bucket=BUCKET, Key=location.key(manifest.version, "golden.json"))
    assert golden["Body"].read() == (packaged["artifact"] / "golden.json").read_bytes()
    assert latest(s3, location)["version"] == manifest.version
    assert list_versions(location) == [manifest.version]

    dest = tmp_path / "pulled"
    pulled, golden = pull(location, dest)
    assert pulled == manifest == Manifest.read(packaged["artifact"])
    assert golden == 32
    pulled.verify_files(dest)
    assert (dest / "pipeline" / "meta.json").read_bytes() == (
        packaged["artifact"] / "pipeline" / "meta.json"
    ).read_bytes()


def test_a_version_is_published_once(s3, location: S3Location, packaged: dict[str, Path]) -> None:
    publish(packaged["archive"], location)
    with pytest.raises(StoreError, match="already exists"):
        publish(packaged["archive"], location)


def test_a_failed_verification_leaves_nothing_and_latest_unmoved(
    s3, location: S3Location, packaged: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    s3.put_object(Bucket=BUCKET, Key=location.key("latest.json"), Body=b'{"version": "old"}')
    real_sha256 = store.sha256_stream
    calls = iter([real_sha256, lambda stream: "0" * 64])  # local hash right, read-back wrong
    monkeypatch.setattr(store, "sha256_stream", lambda stream: next(calls)(stream))
    with pytest.raises(StoreError, match="read back with sha256"):
        publish(packaged["archive"], location)
    assert keys(s3) == [location.key("latest.json")]
    assert latest(s3, location) == {"version": "old"}


def test_pull_refuses_a_corrupt_archive_and_keeps_the_old_model(
    s3, location: S3Location, packaged: dict[str, Path], tmp_path: Path
) -> None:
    manifest = publish(packaged["archive"], location)
    dest = tmp_path / "pulled"
    pull(location, dest)
    key = location.key(manifest.version, "model.tar.gz")
    metadata = s3.head_object(Bucket=BUCKET, Key=key)["Metadata"]
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"garbage", Metadata=metadata)
    with pytest.raises(StoreError, match="is corrupt"):
        pull(location, dest)
    Manifest.read(dest).verify_files(dest)
    assert [path.name for path in tmp_path.iterdir()] == ["pulled"]


def test_pull_refuses_an_archive_whose_files_do_not_match_its_manifest(
    s3, location: S3Location, packaged: dict[str, Path], tmp_path: Path
) -> None:
    forged = tmp_path / "forged.tar.gz"
    with tarfile.open(packaged["archive"]) as source, tarfile.open(forged, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "pipeline/meta.json":
                data = data.replace(b"{", b"{ ", 1)
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    publish(forged, location)
    with pytest.raises(StepError, match="does not match its manifest"):
        pull(location, tmp_path / "pulled")
    assert not (tmp_path / "pulled").exists()


def test_pull_a_named_version_and_unknown_ones(
    s3, location: S3Location, packaged: dict[str, Path], tmp_path: Path
) -> None:
    manifest = publish(packaged["archive"], location)
    assert pull(location, tmp_path / "a", manifest.version)[0].version == manifest.version
    with pytest.raises(StoreError, match="version 20990101-nope not found"):
        pull(location, tmp_path / "b", "20990101-nope")


def test_nothing_published_yet(s3, location: S3Location, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="nothing published at s3://models/team/movie-genre"):
        pull(location, tmp_path / "pulled")


def test_missing_bucket(s3, packaged: dict[str, Path], tmp_path: Path) -> None:
    nowhere = S3Location(bucket="no-such-bucket")
    with pytest.raises(StoreError, match="bucket 'no-such-bucket' does not exist"):
        publish(packaged["archive"], nowhere)
    with pytest.raises(StoreError, match="bucket 'no-such-bucket' does not exist"):
        pull(nowhere, tmp_path / "pulled")


def test_no_credentials(
    monkeypatch: pytest.MonkeyPatch, packaged: dict[str, Path], tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(StoreError, match="no AWS credentials found"):
        publish(packaged["archive"], S3Location(bucket=BUCKET, region="us-east-1"))


def test_access_denied(
    s3, location: S3Location, packaged: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    def denied(*args, **kwargs):
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "HeadBucket")

    monkeypatch.setattr(S3Location, "client", lambda self: type("C", (), {"head_bucket": denied})())
    with pytest.raises(StoreError, match="access denied to s3://models"):
        publish(packaged["archive"], location)


def test_something_that_is_not_an_archive_is_refused(
    s3, location: S3Location, tmp_path: Path
) -> None:
    path = tmp_path / "model.tar.gz"
    path.write_bytes(b"not a tarball")
    with pytest.raises(StepError, match="is not a model archive"):
        publish(path, location)


def test_an_artifact_directory_is_packed_and_published(
    s3, location: S3Location, tmp_path: Path
) -> None:
    manifest = publish(default_model_dir(), location)
    assert manifest == Manifest.read(default_model_dir())
    assert pull(location, tmp_path / "pulled")[0] == manifest


def test_an_incomplete_artifact_directory_is_refused_before_any_upload(
    s3, location: S3Location, artifact_copy: Path
) -> None:
    (artifact_copy / "golden.json").unlink()
    with pytest.raises(StepError, match="not a complete model artifact"):
        publish(artifact_copy, location)
    assert keys(s3) == []


def test_pull_refuses_a_model_that_no_longer_scores_its_golden_set(
    s3, location: S3Location, artifact_copy: Path, tmp_path: Path
) -> None:
    golden_path = artifact_copy / "golden.json"
    golden = json.loads(golden_path.read_text())
    first = golden["movies"][0]["scores"]
    label = next(iter(first))
    first[label] = min(1.0, first[label] + 0.01)
    golden_path.write_text(json.dumps(golden))
    reseal(artifact_copy)
    publish(artifact_copy, location)
    with pytest.raises(StoreError, match="golden check failed"):
        pull(location, tmp_path / "pulled")
    assert not (tmp_path / "pulled").exists()
