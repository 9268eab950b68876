"""The function's names and numbers that the world outside the code also knows: environment
variables, the response header, defaults that the template and the docs repeat, and AWS's own
limits. Standard library only, so that anything in the package may import it.

The golden set's tolerance lives in genre_model.golden, with the response header, which this
module hands on.
"""

from __future__ import annotations

from pathlib import Path

# The header by which every scoring answer names its model: defined beside the golden check,
# whose file the pre-traffic function's build copies alone (it reads the header back).
from genre_model.golden import MODEL_VERSION_HEADER as MODEL_VERSION_HEADER

# Settings: every MOVIE_GENRE_<FIELD> variable; the model's folder is read by the CLI too.
ENV_PREFIX = "MOVIE_GENRE_"
MODEL_DIR_ENV = "MOVIE_GENRE_MODEL_DIR"
# Where the function image puts its model (function/Dockerfile).
IMAGE_MODEL_DIR = Path("/opt/model")
# The package that carries the default model (models/ in the repository, package data in a wheel).
DEFAULT_MODEL_PACKAGE = "movie_genre_models"

# Powertools' own variables, read through the API's Settings.
SERVICE_NAME_ENV = "POWERTOOLS_SERVICE_NAME"
METRICS_NAMESPACE_ENV = "POWERTOOLS_METRICS_NAMESPACE"
TRACE_DISABLED_ENV = "POWERTOOLS_TRACE_DISABLED"
# Their defaults, as template.yaml sets them: the dashboard and alarms name them.
DEFAULT_SERVICE = "movie-genre"
DEFAULT_NAMESPACE = "MovieGenre"

# Lambda's limit on an invocation's request and on its response payload: the function never
# sees a bigger event, and an answer over it fails the invocation (a 5xx).
LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024

# How many words per genre an explanation gives: the API's limits, which the CLI's HTTP mode (no
# spaCy) offers too.
DEFAULT_TOP = 8
MAX_TOP = 20
