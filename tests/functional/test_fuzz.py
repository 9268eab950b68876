"""Schema-driven fuzzing of the running API (uvicorn, as `make serve` runs it) with schemathesis,
every check on: no 5xx, every status and body as the OpenAPI schema documents them, schema-valid
input accepted and schema-invalid input refused."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.fuzz import fuzzed_operations, schema_operations, schemathesis_run
from tests.helpers.servers import MOTO_CREDENTIALS, moto_client, moto_s3, served_api

# Enough to cover every route with strange text (control characters, surrogates, long strings)
# in about half a minute; the seed makes a failure reproducible.
MAX_EXAMPLES = 200
SEED = 20261126
BUCKET = "fuzzed-feedback"


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    """Served with a feedback bucket (moto_server's), so that POST /feedback stores what
    schema-valid input it gets rather than answer 503 "feedback is not configured"."""
    with moto_s3() as s3:
        env = {**os.environ, **MOTO_CREDENTIALS, "AWS_ENDPOINT_URL": s3}
        moto_client(s3).create_bucket(Bucket=BUCKET)
        with served_api(env={**env, "MOVIE_GENRE_FEEDBACK_BUCKET": BUCKET}) as url:
            yield url


def test_every_check_passes_on_every_route(api: str, tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    result = schemathesis_run(
        api, MAX_EXAMPLES, SEED, "--report", "junit", "--report-junit-path", str(report)
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert "No issues found" in result.stdout
    documented = schema_operations(api)
    assert {"POST /genre", "POST /genres", "POST /explain", "POST /feedback"} <= documented
    assert documented <= fuzzed_operations(report), "every documented operation is fuzzed"
