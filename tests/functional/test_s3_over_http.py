"""publish and pull through the CLI against a real HTTP S3 endpoint (moto_server)."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from genre_model.locations import default_model_dir
from tests.helpers.make import make
from tests.helpers.servers import moto_s3

BUCKET = "team-models"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_s3() as url:
        yield url


@pytest.fixture
def env(s3_endpoint: str) -> dict[str, str]:
    values = dict(
        os.environ,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=s3_endpoint,
    )
    s3_client(s3_endpoint).create_bucket(Bucket=BUCKET)
    return values


def s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def run(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    tool = Path(sys.executable).parent / "movie-genre-train"
    return subprocess.run(
        [str(tool), *args], env=env, capture_output=True, text=True, timeout=120, cwd=cwd
    )


def test_publish_and_pull_over_http(
    env: dict[str, str], trained: dict[str, Path], tmp_path: Path
) -> None:
    published = run(env, "publish", str(trained["archive"]), "--bucket", BUCKET)
    assert published.returncode == 0, published.stderr
    assert "latest -> it" in published.stdout
    dest = tmp_path / "pulled"
    listed = run(env, "versions", "--bucket", BUCKET)
    version = json.loads((trained["artifact"] / "manifest.json").read_text())["version"]
    assert listed.stdout.split() == [version]
    pulled = run(env, "pull", "--bucket", BUCKET, "--dest", str(dest))
    assert pulled.returncode == 0, pulled.stderr
    assert "its 32 golden movies score as at training time" in pulled.stdout
    assert (dest / "manifest.json").read_bytes() == (
        trained["artifact"] / "manifest.json"
    ).read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["pull", "--bucket", "absent-bucket"],
            "Error: pull: bucket 'absent-bucket' does not exist",
        ),
        (["pull", "--bucket", BUCKET, "--prefix", "empty"], "Error: pull: nothing published at"),
        (["pull", "--bucket", BUCKET, "--version", "v0"], "Error: pull: version v0 not found"),
    ],
)
def test_errors_are_one_line_without_a_traceback(
    env: dict[str, str], args: list[str], message: str, tmp_path: Path
) -> None:
    result = run(env, *args, "--dest", str(tmp_path / "pulled"))
    assert result.returncode == 1
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_missing_bucket_setting_is_a_usage_error(env: dict[str, str]) -> None:
    env = {key: value for key, value in env.items() if key != "MOVIE_GENRE_BUCKET"}
    result = run(env, "pull")
    assert result.returncode == 2
    assert "Missing option '--bucket'" in result.stderr


def test_publish_with_nothing_trained_publishes_the_shipped_model_and_says_so(
    env: dict[str, str], tmp_path: Path
) -> None:
    """`make publish` in a fresh clone: no build/model.tar.gz, so the default model goes."""
    default = default_model_dir()
    published = run(env, "publish", "--bucket", BUCKET, "--prefix", "fresh", cwd=tmp_path)
    assert published.returncode == 0, published.stderr
    assert published.stdout.startswith(f"publishing {default}\n")
    version = json.loads((default / "manifest.json").read_text())["version"]
    listed = run(env, "versions", "--bucket", BUCKET, "--prefix", "fresh")
    assert listed.stdout.split() == [version]


def test_a_version_key_is_written_once_over_http(env: dict[str, str], tmp_path: Path) -> None:
    """The If-None-Match: * header reaches S3: a leftover upload is neither replaced nor
    deleted, even though the version's manifest.json, which publish checks first, is absent."""
    default = default_model_dir()
    version = json.loads((default / "manifest.json").read_text())["version"]
    client = s3_client(env["AWS_ENDPOINT_URL"])
    key = f"once/{version}/model.tar.gz"
    client.put_object(Bucket=BUCKET, Key=key, Body=b"another publisher's upload")
    published = run(env, "publish", str(default), "--bucket", BUCKET, "--prefix", "once")
    assert published.returncode == 1
    assert f"Error: publish: version {version} already exists" in published.stderr
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix="once/")["Contents"]
    assert [item["Key"] for item in listed] == [key]
    assert client.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"another publisher's upload"


@pytest.fixture
def fake_venv(tmp_path: Path) -> Path:
    """A venv for make whose movie-genre-train prints the arguments it was given."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    for stamp in ("model", "serve", "aws", "train", "torch", "transformer", "dev"):
        (venv / f".installed-{stamp}").touch()
    tool = venv / "bin" / "movie-genre-train"
    tool.write_text(f"#!{sys.executable}\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n")
    tool.chmod(0o755)
    return venv


def make_with(venv: Path, target: str, **values: str) -> subprocess.CompletedProcess[str]:
    settings = [f"{name}={value}" for name, value in values.items()]
    return make("-s", target, f"VENV={venv}", *settings, check=False, timeout=60)


def test_make_publish_and_pull_hand_values_over_without_running_them(
    fake_venv: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    version = f'x"; touch {marker}; echo "'  # issue 18's `make pull VERSION=...`
    bucket = f"b'; touch {marker}; '"
    prefix = f"p`touch {marker}` && touch {marker} | touch {marker}"
    artifact = f"my models/a'\"; touch {marker}"
    pulled = make_with(fake_venv, "pull", VERSION=version, BUCKET=bucket, PREFIX=prefix)
    assert pulled.returncode == 0, pulled.stderr
    assert json.loads(pulled.stdout) == [
        "pull", "--bucket", bucket, "--prefix", prefix, "--version", version
    ]  # fmt: skip
    published = make_with(fake_venv, "publish", ARTIFACT=artifact, BUCKET=bucket, PREFIX=prefix)
    assert published.returncode == 0, published.stderr
    assert json.loads(published.stdout) == [
        "publish",
        artifact,
        "--bucket",
        bucket,
        "--prefix",
        prefix,
    ]
    assert not marker.exists()


@pytest.mark.parametrize("target", ["pull", "publish"])
def test_make_stops_at_a_value_that_would_become_a_second_command(
    fake_venv: Path, tmp_path: Path, target: str
) -> None:
    """make runs each line of an expanded recipe as a command of its own."""
    marker = tmp_path / "ran"
    result = make_with(fake_venv, target, VERSION=f"x\ntouch {marker}", BUCKET=f"b\ttouch {marker}")
    assert result.returncode == 2
    assert "must be one line without tabs" in result.stderr
    assert result.stdout == ""
    assert not marker.exists()
