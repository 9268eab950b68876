"""Load a packaged genre model and score movies with it.

Shared by the API, the CLI's embedded mode and the training evaluation, so that every one of
them builds the model's input text and applies its thresholds in the same way.
"""

from genre_model.classifier import GenreClassifier, ModelError, Prediction
from genre_model.manifest import Manifest, ManifestError
from genre_model.text import TEXT_FIELDS, compose_text

__all__ = [
    "TEXT_FIELDS",
    "GenreClassifier",
    "Manifest",
    "ManifestError",
    "ModelError",
    "Prediction",
    "compose_text",
]
