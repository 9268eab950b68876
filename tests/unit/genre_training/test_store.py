"""S3 publishing and pulling against moto's in-process S3."""

import hashlib
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
from tests.helpers.archives import (
    HOSTILE,
    LISTED,
    OVERRIDE,
    VERSION,
    build_hostile,
    manifest_json,
    tree,
)
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
                data = data.replace(b"{", b" ", 1)  # the same size: only its sha256 tells
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


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def plant(s3, location: S3Location, archive: Path, manifest: bytes | None = None) -> None:
    """Put archive in the bucket as VERSION, latest.json and all, as a writer who skips every
    check would: its manifest.json copy is a sound one unless given."""
    data = archive.read_bytes()
    prefix = location.key(VERSION)
    metadata = {"sha256": sha256(data)}
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}/model.tar.gz", Body=data, Metadata=metadata)
    s3.put_object(
        Bucket=BUCKET, Key=f"{prefix}/manifest.json", Body=manifest or manifest_json(LISTED)
    )
    pointer = {"version": VERSION, "sha256": sha256(data)}
    s3.put_object(Bucket=BUCKET, Key=location.key("latest.json"), Body=json.dumps(pointer))


@pytest.mark.parametrize(("kind", "complaint"), HOSTILE.items(), ids=list(HOSTILE))
def test_pull_refuses_hostile_archives_writing_nothing_and_keeping_the_model_it_had(
    s3, location: S3Location, tmp_path: Path, kind: str, complaint: str
) -> None:
    dest = tmp_path / "models" / "pulled"
    dest.mkdir(parents=True)
    (dest / "kept").write_text("the model pulled before")
    # pull unpacks into <dest's folder>/.pulled-<8 random characters>/artifact.
    unpacked = dest.parent / f".{dest.name}-{'x' * 8}" / "artifact"
    plant(s3, location, build_hostile(kind, tmp_path / "hostile.tar.gz", unpacked))
    before = tree(tmp_path)
    with pytest.raises(StoreError, match=f"^pull: refusing model.tar.gz: .*{complaint}"):
        pull(location, dest)
    assert tree(tmp_path) == before


def test_pull_refuses_an_archive_other_than_the_one_latest_json_names(
    s3, location: S3Location, packaged: dict[str, Path], tmp_path: Path
) -> None:
    """The object's metadata is its uploader's word; latest.json is the record."""
    publish(packaged["archive"], location)
    pointer = latest(s3, location)
    s3.put_object(
        Bucket=BUCKET,
        Key=location.key("latest.json"),
        Body=json.dumps({**pointer, "sha256": "0" * 64}),
    )
    with pytest.raises(StoreError, match=r"is corrupt: sha256 \w+, but latest.json names 0{64}"):
        pull(location, tmp_path / "pulled")
    assert list(tmp_path.iterdir()) == []


def republish_as(
    s3, location: S3Location, published: str, version: str, manifest_version: str
) -> None:
    """Copy a published version's archive to version, with a manifest.json copy that says
    manifest_version."""
    manifest = json.loads(
        s3.get_object(Bucket=BUCKET, Key=location.key(published, "manifest.json"))["Body"].read()
    )
    for name in ("model.tar.gz", "golden.json"):
        s3.copy_object(
            Bucket=BUCKET,
            Key=location.key(version, name),
            CopySource={"Bucket": BUCKET, "Key": location.key(published, name)},
        )
    s3.put_object(
        Bucket=BUCKET,
        Key=location.key(version, "manifest.json"),
        Body=json.dumps({**manifest, "version": manifest_version}),
    )


def test_pull_refuses_an_archive_of_another_version_than_asked_for(
    s3, location: S3Location, packaged: dict[str, Path], tmp_path: Path
) -> None:
    published = publish(packaged["archive"], location).version
    republish_as(s3, location, published, VERSION, manifest_version=published)
    with pytest.raises(StoreError, match=f"refusing version {VERSION}: its manifest.json says"):
        pull(location, tmp_path / "pulled", VERSION)
    republish_as(s3, location, published, VERSION, manifest_version=VERSION)
    with pytest.raises(StoreError, match=f"holds version {published}, not {VERSION}"):
        pull(location, tmp_path / "pulled", VERSION)
    assert list(tmp_path.iterdir()) == []


def test_pull_refuses_an_archive_whose_manifest_is_not_the_published_one(
    s3, location: S3Location, packaged: dict[str, Path], tmp_path: Path
) -> None:
    version = publish(packaged["archive"], location).version
    key = location.key(version, "manifest.json")
    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    manifest["thresholds"] = dict.fromkeys(manifest["thresholds"], 0.01)
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(manifest))
    with pytest.raises(StoreError, match=r"model.tar.gz differs from .*manifest.json"):
        pull(location, tmp_path / "pulled")
    assert list(tmp_path.iterdir()) == []


def test_pull_stops_a_download_over_the_cap(
    s3,
    location: S3Location,
    packaged: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    publish(packaged["archive"], location)
    monkeypatch.setattr(store, "MAX_ARCHIVE_BYTES", 1000)
    with pytest.raises(StoreError, match=r"model\.tar\.gz is larger than 1000 bytes"):
        pull(location, tmp_path / "pulled")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(StoreError, match="pull takes at most 1000"):
        publish(packaged["archive"], S3Location(bucket=BUCKET, prefix="other"))
    assert not any(key.startswith("other/") for key in keys(s3))


@pytest.mark.parametrize(
    "pointer",
    [
        b"not json",
        b"[" * 100_000,
        json.dumps({"version": OVERRIDE, "sha256": "0" * 64}).encode(),
        json.dumps({"version": VERSION}).encode(),
        json.dumps({"version": VERSION, "sha256": "0" * 63 + "\n"}).encode(),
        b"{" + b" " * (2 << 20) + b"}",
    ],
    ids=["not JSON", "nested", "override", "no sha256", "bad sha256", "over 1 MiB"],
)
def test_pull_refuses_a_latest_json_that_does_not_name_a_version_and_sha256(
    s3, location: S3Location, tmp_path: Path, pointer: bytes
) -> None:
    s3.put_object(Bucket=BUCKET, Key=location.key("latest.json"), Body=pointer)
    with pytest.raises(StoreError, match=r"latest.json (does not name a version|is larger)"):
        pull(location, tmp_path / "pulled")
    assert list(tmp_path.iterdir()) == []


def test_a_concurrent_publish_of_the_same_version_cannot_overwrite_it(
    s3, location: S3Location, packaged: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The version's keys are written with If-None-Match: *, not only checked beforehand."""
    manifest = publish(packaged["archive"], location)
    objects = {key: s3.head_object(Bucket=BUCKET, Key=key)["ETag"] for key in keys(s3)}
    # The other publisher's manifest.json appears just after this one looked for it.
    monkeypatch.setattr(store, "_exists", lambda client, location, key: False)
    with pytest.raises(StoreError, match=f"version {manifest.version} already exists"):
        publish(packaged["archive"], location)
    assert {key: s3.head_object(Bucket=BUCKET, Key=key)["ETag"] for key in keys(s3)} == objects


def test_a_half_published_version_is_neither_overwritten_nor_deleted(
    s3, location: S3Location, packaged: dict[str, Path]
) -> None:
    version = Manifest.read(packaged["artifact"]).version
    key = location.key(version, "model.tar.gz")
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"another publisher's upload")
    with pytest.raises(StoreError, match=f"version {version} already exists"):
        publish(packaged["archive"], location)
    assert keys(s3) == [key]
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"another publisher's upload"


def test_only_versions_are_listed(s3, location: S3Location, packaged: dict[str, Path]) -> None:
    version = publish(packaged["archive"], location).version
    s3.put_object(Bucket=BUCKET, Key=location.key("x; id", "manifest.json"), Body=b"{}")
    assert list_versions(location) == [version]
