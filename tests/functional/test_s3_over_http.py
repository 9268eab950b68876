"""publish and pull through the CLI against a real HTTP S3 endpoint (moto_server)."""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from genre_model.locations import default_model_dir
from tests.helpers.servers import background_server, free_port

BUCKET = "team-models"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    assert server, "moto_server is not installed beside this Python"
    port = free_port()
    with background_server([server, "-H", "127.0.0.1", "-p", str(port)], port) as url:
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
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=BUCKET)
    return values


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
