"""The Lambda entry point: the model loads once per container, during Lambda's init phase."""

from __future__ import annotations

import logging
import sys

from mangum import Mangum

from genre_api.app import create_app
from genre_api.settings import Settings
from genre_api.stage import StagePrefix
from genre_model import GenreClassifier, ModelError

logger = logging.getLogger("genre_api")

settings = Settings.from_env()
try:
    classifier = GenreClassifier.load(settings.model_dir, verify=settings.verify_model)
except ModelError as error:
    # Fail the init phase loudly rather than serve wrong answers.
    logger.critical("cannot load the model from %s: %s", settings.model_dir, error)
    sys.exit(1)
app = create_app(classifier, settings)
# The model is already loaded at import; the app has no startup work for a lifespan to run.
handler = Mangum(StagePrefix(app), lifespan="off")
