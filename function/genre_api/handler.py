"""The Lambda entry point: settings and model load once per container, in Lambda's init phase.

`genre_api.handler.handler` is the function's CMD; `genre_api.handler:app` is what `make serve`
runs with uvicorn. A bad setting or a model that cannot be loaded (or that no longer scores its
golden set as at training time) stops the init with one JSON log line.
"""

from __future__ import annotations

import sys

from genre_model.lean_spacy import import_spacy_without_cli

import_spacy_without_cli()  # before anything imports spaCy: the function never runs its CLI

from aws_lambda_powertools import Logger  # noqa: E402

from genre_api.observability import service_logger  # noqa: E402
from genre_api.service import build_handler  # noqa: E402
from genre_api.settings import Settings, SettingsError  # noqa: E402
from genre_model import ModelError  # noqa: E402
from genre_model.constants import DEFAULT_SERVICE  # noqa: E402

try:
    settings = Settings.from_env()
except SettingsError as error:
    # The settings name the service: without them, the line goes out under the default one.
    Logger(service=DEFAULT_SERVICE).critical(f"bad setting: {error}")
    sys.exit(1)
try:
    handler = build_handler(settings)
except ModelError as error:
    # Fail the init phase loudly rather than serve wrong answers.
    service_logger(settings).critical(f"cannot load the model from {settings.model_dir}: {error}")
    sys.exit(1)
app = handler.app
