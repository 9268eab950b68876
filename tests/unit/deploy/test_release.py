"""deploy/release.py: the record of what dev deployed and smoke-tested, and its promotion to prod
unchanged (botocore's Stubber for AWS, a stand-in for the docker command)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import release
from botocore.stub import Stubber
from release import ReleaseError

from tests.helpers.data import REPO

VERSION = json.loads((REPO / "models/default/manifest.json").read_text())["version"]
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:movie-genre-dev-GenreFunction-AbC"
REPOSITORY = "moviegenredevef3ac4ff/genrefunction52799c6frepo"
DEPLOYED = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{REPOSITORY}@sha256:{'d' * 64}"
IMAGE_ID = f"sha256:{'c' * 64}"


class Session:
    """A boto3 session whose clients' calls each test scripts (Stubber), in order."""

    def __init__(self) -> None:
        self.clients: dict[str, Any] = {}
        self.stubbers: dict[str, Stubber] = {}

    def client(self, name: str) -> Any:
        if name not in self.clients:
            self.clients[name] = boto3.client(
                name, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
            )
            self.stubbers[name] = Stubber(self.clients[name])
            self.stubbers[name].activate()
        return self.clients[name]

    def stub(self, name: str) -> Stubber:
        self.client(name)
        return self.stubbers[name]


class Docker:
    """`docker image save/load/inspect`, with the image id it reports."""

    def __init__(self, image_id: str = IMAGE_ID) -> None:
        self.image_id = image_id
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, *args: str) -> str:
        self.calls.append(args)
        if args[:2] == ("image", "save"):
            Path(args[3]).write_bytes(b"an image's layers")
        return f"{self.image_id}\n" if args[:2] == ("image", "inspect") else ""


@pytest.fixture
def build_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """What `make build` leaves in .aws-sam/build."""
    build = tmp_path / "aws-sam-build"
    model = build / "PreTrafficCheck" / "model"
    model.mkdir(parents=True)
    for name in ("manifest.json", "golden.json"):
        shutil.copy(REPO / "models/default" / name, model / name)
    (build / "PreTrafficCheck" / "pretraffic.py").write_text("# the hook\n")
    (build / "template.yaml").write_text(
        "Resources:\n  GenreFunction:\n    Properties:\n      ImageUri: genrefunction:latest\n"
    )
    monkeypatch.setattr(release, "BUILD_DIR", build)
    return build


def expect_live_image(session: Session, stack: str) -> None:
    outputs = [{"OutputKey": "GenreFunctionArn", "OutputValue": FUNCTION}]
    session.stub("cloudformation").add_response(
        "describe_stacks",
        {"Stacks": [stack_description(stack, Outputs=outputs)]},
        {"StackName": stack},
    )
    session.stub("lambda").add_response(
        "get_function",
        {"Code": {"ResolvedImageUri": DEPLOYED}},
        {"FunctionName": FUNCTION, "Qualifier": "live"},
    )


def stack_description(stack: str, **extra: Any) -> dict[str, Any]:
    return {
        "StackName": stack,
        "CreationTime": "2026-11-29T00:00:00Z",
        "StackStatus": "UPDATE_COMPLETE",
        **extra,
    }


@pytest.fixture
def recorded(build_dir: Path, tmp_path: Path) -> Iterator[Path]:
    session = Session()
    session.stub("s3").add_response(
        "head_object",
        {"Metadata": {"sha256": "a" * 64}},
        {"Bucket": "registry", "Key": f"movie-genre/{VERSION}/model.tar.gz"},
    )
    expect_live_image(session, "movie-genre-dev")
    out = tmp_path / "release"
    record = release.record("dev", out, "registry", "movie-genre", session=session, run=Docker())
    assert record["model_version"] == VERSION
    assert (record["archive_sha256"], record["image_id"]) == ("a" * 64, IMAGE_ID)
    assert (record["image"], record["deployed_image"]) == ("genrefunction:latest", DEPLOYED)
    yield out
    for stubber in session.stubbers.values():
        stubber.assert_no_pending_responses()


def test_the_record_names_every_file_of_the_release(recorded: Path) -> None:
    files = json.loads((recorded / release.RECORD).read_text())["files"]
    assert set(files) == {
        "image.tar",
        "build/template.yaml",
        "build/PreTrafficCheck/pretraffic.py",
        "build/PreTrafficCheck/model/manifest.json",
        "build/PreTrafficCheck/model/golden.json",
    }


def test_prod_gets_dev_build_back_and_the_same_image(recorded: Path, tmp_path: Path) -> None:
    docker = Docker()
    target = tmp_path / "prod-build"
    release.restore(recorded, run=docker, build_dir=target)
    assert ("image", "load", "--input", str(recorded / "image.tar")) in docker.calls
    assert (target / "PreTrafficCheck/model/manifest.json").read_bytes() == (
        REPO / "models/default/manifest.json"
    ).read_bytes()


def test_a_changed_file_stops_the_promotion(recorded: Path, tmp_path: Path) -> None:
    golden = recorded / "build/PreTrafficCheck/model/golden.json"
    golden.write_text(golden.read_text().replace("0.", "0.9", 1))
    with pytest.raises(ReleaseError, match="differ from its record"):
        release.restore(recorded, run=Docker(), build_dir=tmp_path / "prod-build")
    assert not (tmp_path / "prod-build").exists()


def test_another_image_under_the_same_tag_stops_the_promotion(
    recorded: Path, tmp_path: Path
) -> None:
    with pytest.raises(ReleaseError, match="loaded as sha256:eee"):
        release.restore(recorded, run=Docker(f"sha256:{'e' * 64}"), build_dir=tmp_path / "b")


@pytest.mark.parametrize(
    ("config", "model", "problem"),
    [
        (IMAGE_ID, VERSION, None),
        (f"sha256:{'f' * 64}", VERSION, "runs image sha256:fff"),
        (IMAGE_ID, "20990101-000000-00000000", "has model 20990101-000000-00000000"),
    ],
    ids=["same", "other-image", "other-model"],
)
def test_after_the_deploy_prod_must_run_the_recorded_image_and_model(
    recorded: Path, config: str, model: str, problem: str | None
) -> None:
    session = Session()
    expect_live_image(session, "movie-genre-prod")
    manifest = json.dumps({"config": {"digest": config}})
    session.stub("ecr").add_response(
        "batch_get_image",
        {"images": [{"imageManifest": manifest}]},
        {"repositoryName": REPOSITORY, "imageIds": [{"imageDigest": DEPLOYED.split("@")[1]}]},
    )
    if problem is None or "model" in problem:
        parameters = [{"ParameterKey": "ModelVersion", "ParameterValue": model}]
        session.stub("cloudformation").add_response(
            "describe_stacks",
            {"Stacks": [stack_description("movie-genre-prod", Parameters=parameters)]},
            {"StackName": "movie-genre-prod"},
        )
    if problem is None:
        assert release.check("prod", recorded, session=session).startswith("movie-genre-prod runs")
    else:
        with pytest.raises(ReleaseError, match=problem):
            release.check("prod", recorded, session=session)
