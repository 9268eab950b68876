"""Finding, loading and scoring a trained pipeline (the committed tiny model)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from genre_model import GenreClassifier
from genre_training.errors import StepError
from genre_training.pipelines import load_trained, pipeline_dir, score_pipeline
from tests.helpers.data import FIXTURE_MODEL, OTHELLO

TEXTS = [f"{OTHELLO['title']}.\n{OTHELLO['description']}", "Up.\nA house flies away."]


def test_an_artifacts_pipeline_is_found_and_a_pipeline_is_taken_as_it_is(tmp_path: Path) -> None:
    assert pipeline_dir(FIXTURE_MODEL) == FIXTURE_MODEL / "pipeline"
    assert pipeline_dir(FIXTURE_MODEL / "pipeline") == FIXTURE_MODEL / "pipeline"
    (tmp_path / "pipeline").mkdir()  # not a pipeline: no meta.json
    assert pipeline_dir(tmp_path) == tmp_path


def test_a_missing_or_broken_pipeline_is_a_step_error(tmp_path: Path) -> None:
    with pytest.raises(StepError, match=r"meta\.json is missing: it is written by `spacy train`"):
        load_trained(tmp_path)
    broken = Path(shutil.copytree(FIXTURE_MODEL / "pipeline", tmp_path / "broken"))
    (broken / "textcat_multilabel" / "model").write_bytes(b"junk")
    with pytest.raises(StepError, match="cannot load the trained pipeline in"):
        load_trained(broken)


def test_scores_come_in_the_order_of_the_labels_given(classifier: GenreClassifier) -> None:
    nlp = load_trained(FIXTURE_MODEL / "pipeline")
    labels = classifier.labels
    scores = score_pipeline(nlp, labels, TEXTS)
    assert scores.shape == (2, len(labels))
    served = classifier.score_texts(TEXTS)
    assert np.allclose(scores, [[row[label] for label in labels] for row in served])
    assert np.array_equal(score_pipeline(nlp, labels[::-1], TEXTS), scores[:, ::-1])
