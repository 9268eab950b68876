"""Servers a test runs in the background, and waiting for them."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {seconds:.0f} s")
        time.sleep(0.2)


def port_answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


@contextmanager
def background_server(
    command: list[str],
    port: int,
    *,
    env: dict[str, str] | None = None,
    ready: Callable[[], bool] | None = None,
    seconds: float = 60,
    log: Path | None = None,
) -> Iterator[str]:
    """Run a server on 127.0.0.1:port until the block ends; yield its base URL once ready."""
    output = log.open("w") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:

        def up() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited with {process.returncode}")
            return ready() if ready else port_answers(port)

        wait_until(up, seconds, command[0])
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the whole group: sam starts children
        process.wait(timeout=60)


@contextmanager
def served_api(env: dict[str, str] | None = None, log: Path | None = None) -> Iterator[str]:
    """The API as `make serve` runs it (uvicorn, genre_api.handler:app); yields its base URL."""
    port = free_port()
    uvicorn = Path(sys.executable).parent / "uvicorn"
    command = [str(uvicorn), "genre_api.handler:app", "--host", "127.0.0.1", "--port", str(port)]
    with background_server(command, port, env=env, log=log) as url:
        yield url


# Dummy credentials for moto: boto3 and botocore sign requests even to loopback.
MOTO_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextmanager
def moto_s3() -> Iterator[str]:
    """A real HTTP S3 endpoint on loopback (moto_server); yields its URL (AWS_ENDPOINT_URL)."""
    server = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    assert server, "moto_server is not installed beside this Python"
    port = free_port()
    with background_server([server, "-H", "127.0.0.1", "-p", str(port)], port) as url:
        yield url


def moto_client(url: str) -> Any:
    """A boto3 S3 client of the moto_server at url."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name=MOTO_CREDENTIALS["AWS_DEFAULT_REGION"],
        aws_access_key_id=MOTO_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=MOTO_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
