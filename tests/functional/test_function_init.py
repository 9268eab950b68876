"""The function's entry point in a fresh process, as Lambda's init runs it: settings from the
environment, the model loaded and golden-checked, one JSON line when the init fails, and no
X-Ray SDK imported where no trace is sent."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers.data import REPO, reseal


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
        timeout=120,
    )


def test_the_log_level_comes_from_the_environment(packaged: dict[str, Path]) -> None:
    code = (
        "import json\n"
        "from genre_api.handler import handler\n"
        "from tests.helpers.events import LambdaContext, load_event\n"
        "handler(load_event('http_api_genre.json'), LambdaContext())\n"
    )
    env = {"MOVIE_GENRE_MODEL_DIR": str(packaged["artifact"]), "PYTHONPATH": str(REPO)}
    quiet = run_python(code, POWERTOOLS_LOG_LEVEL="WARNING", **env)
    assert quiet.returncode == 0, quiet.stderr
    assert '"message":"request"' not in quiet.stdout
    chatty = run_python(code, LOG_LEVEL="INFO", POWERTOOLS_SERVICE_NAME="genre-prod", **env)
    (line,) = [json.loads(x) for x in chatty.stdout.splitlines() if '"message":"request"' in x]
    assert line["service"] == "genre-prod"


def test_tracing_costs_nothing_where_it_is_off(packaged: dict[str, Path]) -> None:
    """No X-Ray SDK import (a cost at every cold start) outside Lambda, under SAM local, or when
    disabled."""
    code = (
        "import sys\n"
        "from genre_api.handler import handler\n"
        "print('aws_xray_sdk' in sys.modules, handler.invoke.__name__)\n"
    )
    model = {"MOVIE_GENRE_MODEL_DIR": str(packaged["artifact"])}
    for env in (
        {},
        {"LAMBDA_TASK_ROOT": "/var/task", "AWS_SAM_LOCAL": "true"},
        {"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"},
    ):
        result = run_python(code, **model, **env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.split()[0] == "False", env


def test_init_failure_is_one_json_line(tmp_path: Path) -> None:
    result = run_python("import genre_api.handler", MOVIE_GENRE_MODEL_DIR=str(tmp_path / "absent"))
    assert result.returncode == 1
    (line,) = [json.loads(x) for x in result.stdout.splitlines()]
    assert line["level"] == "CRITICAL"
    assert line["message"].startswith(f"cannot load the model from {tmp_path / 'absent'}")


def test_a_model_that_no_longer_scores_its_golden_set_fails_the_init(
    artifact_copy: Path,
) -> None:
    golden_path = artifact_copy / "golden.json"
    golden = json.loads(golden_path.read_text())
    for movie in golden["movies"]:
        movie["scores"] = {label: 1.0 - score for label, score in movie["scores"].items()}
    golden_path.write_text(json.dumps(golden))
    reseal(artifact_copy)
    result = run_python("import genre_api.handler", MOVIE_GENRE_MODEL_DIR=str(artifact_copy))
    assert result.returncode == 1
    (line,) = [json.loads(x) for x in result.stdout.splitlines()]
    assert line["level"] == "CRITICAL"
    assert "golden check failed" in line["message"]
    assert "differ from training" in line["message"]


def test_an_artifact_without_a_golden_set_starts_with_a_warning(artifact_copy: Path) -> None:
    (artifact_copy / "golden.json").unlink()
    reseal(artifact_copy)
    result = run_python(
        "from genre_api.handler import handler; print('started')",
        MOVIE_GENRE_MODEL_DIR=str(artifact_copy),
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "started"
    warning = json.loads(lines[0])
    assert warning["level"] == "WARNING" and "has no golden set" in warning["message"]
