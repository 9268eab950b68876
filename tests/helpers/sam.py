"""Docker, the function image, `sam local start-api` and `sam local invoke`, for the end-to-end
tests.

Starts the Docker engine if none answers, builds the Lambda-compatible Debian base and a runtime
layer (layers/), runs `sam build` and `sam local start-api` (or `sam local invoke`), and cleans
up what it started.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.helpers.data import REPO
from tests.helpers.servers import background_server, free_port, wait_until

BASE_IMAGE = "movie-genre/debian-lambda-base:bookworm"
BIN = Path(sys.executable).parent


def docker_answers() -> bool:
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


@contextmanager
def docker_engine(log: Path) -> Iterator[None]:
    """A Docker engine: the one that answers, or dockerd started (and stopped) here."""
    if docker_answers():
        yield
        return
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        pytest.fail("no Docker engine: apt-get install docker.io (see .ci/run)")
    engine = subprocess.Popen([dockerd], stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_until(docker_answers, 60, "dockerd")
        yield
    finally:
        engine.terminate()
        engine.wait(timeout=30)


def build_runtime(tag: str, lock: str = "requirements.lock") -> str:
    """The runtime layer on the Debian base, with one of layers/runtime's locks."""
    subprocess.run([str(REPO / "layers/debian-base/build.sh"), BASE_IMAGE], check=True)
    subprocess.run(
        [
            "docker",
            "build",
            "-q",
            "-t",
            tag,
            "--build-arg",
            f"BASE_IMAGE={BASE_IMAGE}",
            "--build-arg",
            f"LOCK={lock}",
            str(REPO / "layers/runtime"),
        ],
        check=True,
        capture_output=True,
    )
    return tag


def sam_build(template: Path, build_dir: Path) -> Path:
    """sam build of the API's function only; the built template."""
    subprocess.run(
        [
            str(BIN / "sam"),
            "build",
            "GenreFunction",  # the pre-traffic hook is not served locally (and wants python3.12)
            "--template-file",
            str(template),
            "--build-dir",
            str(build_dir),
            "--no-cached",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return build_dir / "template.yaml"


def sam_local_invoke(built: Path, event: Path, log: Path) -> Any:
    """sam local invoke of the API's function with an event; the function's answer (SAM prints
    it on stdout, and the container's output on stderr, kept in log)."""
    done = subprocess.run(
        [
            str(BIN / "sam"),
            "local",
            "invoke",
            "GenreFunction",
            "--template-file",
            str(built),
            "--event",
            str(event),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    log.write_text(done.stderr)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextmanager
def sam_local_api(template: Path, build_dir: Path, log: Path, image: str) -> Iterator[str]:
    """sam build (the API's function only) and sam local start-api; yields the base URL."""
    built = sam_build(template, build_dir)
    port = free_port()
    command = [
        str(BIN / "sam"),
        "local",
        "start-api",
        "--template-file",
        str(built),
        "--port",
        str(port),
        "--warm-containers",
        # EAGER would also start the pre-traffic hook: a zip runtime, whose image needs a registry
        "LAZY",
    ]

    def healthy() -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    try:
        with background_server(command, port, ready=healthy, seconds=300, log=log) as url:
            yield url
    finally:
        # Warm containers that sam did not stop on its way out.
        leftovers = subprocess.run(
            ["docker", "ps", "-q", "--filter", f"ancestor={image}"],
            capture_output=True,
            text=True,
        ).stdout.split()
        if leftovers:
            subprocess.run(["docker", "rm", "-f", *leftovers], capture_output=True)
