"""Shared fixtures: real data files from ../shared, and one small model trained on real rows."""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO.parent / "shared" / "data" / "movies"
MAIN_DATA = DATA_DIR / "movies_reconstructed.csv.gz"
# A real piece of the original movies_metadata.csv, spreadsheet damage and all.
ORIGINAL_SAMPLE = DATA_DIR / "movies_metadata_sample_3087.csv.gz"
TINY_TRAINING = {"training.max_steps": 150, "training.eval_frequency": 50}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    with gzip.open(path, "wt", encoding="utf-8", newline="") as stream:
        frame.to_csv(stream, index=False)
    return path


@pytest.fixture(scope="session")
def original_sample() -> Path:
    if not ORIGINAL_SAMPLE.is_file():
        pytest.fail(f"test data missing: {ORIGINAL_SAMPLE} (shared/ must sit beside the repo)")
    return ORIGINAL_SAMPLE


@pytest.fixture(scope="session")
def small_csv(original_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 600 rows of the original-format sample: fast to train on, still real."""
    frame = pd.read_csv(original_sample, dtype=str, keep_default_na=False).head(600)
    return write_csv(frame, tmp_path_factory.mktemp("data") / "small.csv.gz")


def train_tiny(corpus: Path, config: Path, output: Path, **overrides: object) -> Path:
    """spacy train with a step budget of seconds, not minutes."""
    from genre_training.train import train_pipeline

    return train_pipeline(config, corpus, output, {**TINY_TRAINING, **overrides})


@pytest.fixture(scope="session")
def trained(small_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """prepare -> train (offline recipe, 150 steps) -> evaluate -> package, on real rows."""
    from genre_training.evaluate import evaluate
    from genre_training.package import package
    from genre_training.prepare import prepare

    root = tmp_path_factory.mktemp("trained")
    config = REPO / "training" / "configs" / "offline.cfg"
    prepare(
        small_csv,
        root / "corpus",
        text_fields="title+description",
        description_column="overview",
        min_genre_count=60,
    )
    model = train_tiny(root / "corpus", config, root / "train")
    evaluate(model, root / "corpus", root / "eval")
    package(model, root / "eval", config, "offline", root)
    return {
        "root": root,
        "corpus": root / "corpus",
        "model": model,
        "eval": root / "eval",
        "artifact": root / "artifact",
        "archive": root / "model.tar.gz",
    }


@pytest.fixture
def artifact_copy(trained: dict[str, Path], tmp_path: Path) -> Path:
    """A copy of the packaged artifact that a test may damage."""
    return Path(shutil.copytree(trained["artifact"], tmp_path / "artifact"))
