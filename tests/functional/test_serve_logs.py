"""`make serve`'s console: one readable line per request; Lambda's JSON lines and EMF metrics when
MOVIE_GENRE_LOG_FORMAT=json asks for them. The recipe is run as make would run it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import requests

from tests.helpers.data import OTHELLO
from tests.helpers.make import make
from tests.helpers.servers import background_server, free_port

VENV = Path(sys.executable).parents[1]


def serve_recipe() -> str:
    """The shell command `make serve` runs (its installs already done)."""
    recipe = make("-n", "serve", f"VENV={VENV}").stdout
    return recipe[recipe.index("[ -n") :]


def requests_logged(tmp_path: Path, log_format: str | None) -> list[str]:
    """The server's output for three requests: two scored, one refused."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "MOVIE_GENRE_LOG_FORMAT"}
    env |= {"PORT": str(port), "MOVIE_GENRE_FEEDBACK_DIR": str(tmp_path / "feedback")}
    if log_format:
        env["MOVIE_GENRE_LOG_FORMAT"] = log_format
    log = tmp_path / "serve.log"
    with background_server(["bash", "-c", serve_recipe()], port, env=env, log=log) as url:
        started = len(log.read_text().splitlines())
        assert requests.post(f"{url}/genre", json=OTHELLO, timeout=30).status_code == 200
        assert requests.post(f"{url}/genres", json={"movies": [OTHELLO]}, timeout=30).ok
        assert requests.post(f"{url}/genre", json={"title": ""}, timeout=30).status_code == 422
    return log.read_text().splitlines()[started:]


def test_make_serve_prints_one_readable_line_per_request(tmp_path: Path) -> None:
    lines = [line for line in requests_logged(tmp_path, None) if "shutdown" not in line.lower()]
    requests_lines = [line for line in lines if " ms" in line]
    assert len(requests_lines) == 3, lines
    assert "POST /genre 200 " in requests_lines[0] and "top_genre=Drama" in requests_lines[0]
    assert "POST /genres 200 " in requests_lines[1] and "movies=1" in requests_lines[1]
    assert "POST /genre 422 " in requests_lines[2]
    assert not [line for line in lines if line.startswith("{")]  # no JSON, no EMF blob
    assert not [line for line in lines if '"POST /genre' in line]  # no uvicorn access line


def test_lambdas_log_format_is_a_setting_away(tmp_path: Path) -> None:
    lines = requests_logged(tmp_path, "json")
    logged = [json.loads(line) for line in lines if line.startswith("{")]
    requests_logged_json = [entry for entry in logged if entry.get("message") == "request"]
    metrics = [entry for entry in logged if "_aws" in entry]
    assert [entry["status"] for entry in requests_logged_json] == [200, 200, 422]
    assert len(metrics) >= 3
