"""The static recipe's step end to end on a tiny teacher (a one-layer BERT built in the test, as
the minilm recipe's tests build it: distilled with model2vec in a second), and its errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import spacy
from tokenizers import Tokenizer

from genre_model.static_textcat import FACTORY, WEIGHTS_FILE, StaticWeights
from genre_training.errors import StepError
from genre_training.onnx_pipeline import BOW_COMPONENT
from genre_training.pipelines import COMPONENT
from genre_training.splits import read_splits
from tests.helpers.data import FIXTURE_MODEL, REPO
from tests.helpers.recipe_models import figures_of

pytest.importorskip("torch", reason="the static recipe's training needs PyTorch (TRANSFORMER=1)")
pytest.importorskip("model2vec", reason="the static recipe's distillation needs model2vec")

from genre_training.static_recipe import REPORT_FILE, train_static_recipe

CONFIG = REPO / "training" / "configs" / "static.cfg"


@pytest.fixture
def run_step(fixture_corpus: Path, tmp_path: Path) -> Callable[..., dict]:
    """The static recipe's step on the fixture corpus into tmp_path/train, its cache in
    tmp_path/cache; teacher: the tiny BERT (its 16 dimensions reduced to 8)."""

    def run(teacher: Path, **overrides: object) -> dict[str, Any]:
        base = {
            "paths.cache": str(tmp_path / "cache"),
            "paths.bow_model": None,
            "distill.pca_dims": 8,
            "training.epochs": 2,
            "training.max_train": 200,
        }
        return train_static_recipe(
            CONFIG, fixture_corpus, tmp_path / "train", teacher, {**base, **overrides}
        )

    return run


def test_a_teacher_is_distilled_once_and_the_pipeline_scores_as_its_report_says(
    run_step: Callable[..., dict], tiny_base: Path, fixture_corpus: Path, tmp_path: Path
) -> None:
    report = run_step(tiny_base, **{"training.hidden": 4})
    assert json.loads((tmp_path / "train" / REPORT_FILE).read_text()) == report
    assert report["teacher"] == str(tiny_base) and not report["distill_cached"]
    assert report["dims"] == 8 and [e["epoch"] for e in report["epochs"]] == [1, 2]
    assert report["train_movies"] == 200 and report["blend"] == {"weight": 0.0, "tried": {}}
    pipeline = tmp_path / "train" / "model-best"
    assert 'factory = "static_textcat_multilabel"' in (pipeline / "config.cfg").read_text()
    assert figures_of(pipeline, fixture_corpus) == report["stored"]
    assert figures_of(tmp_path / "train" / "model-alone", fixture_corpus) == report["stored"]
    weights = StaticWeights.load(pipeline / COMPONENT / WEIGHTS_FILE)
    assert weights.vectors.dtype == np.int8 and weights.scales is not None  # static.cfg's
    assert [w.shape for w, _b in weights.layers] == [(8, 4), (4, 8)]  # 8 dims, 4 hidden, 8 labels

    again = run_step(tiny_base, **{"training.epochs": 1})
    assert again["distill_cached"] and again["distilled"] == report["distilled"]


def test_the_blend_with_bag_of_words_is_chosen_on_validation(
    run_step: Callable[..., dict], tiny_base: Path, fixture_corpus: Path, tmp_path: Path
) -> None:
    # 1.0 (the bag of words alone) beats a static model of a random tiny teacher on validation.
    report = run_step(
        tiny_base,
        **{"paths.bow_model": str(FIXTURE_MODEL), "blend.weights": [0.0, 1.0]},
    )
    assert set(report["blend"]["tried"]) == {"0.0", "1.0"}
    pipeline = tmp_path / "train" / "model-best"
    nlp = spacy.load(pipeline)
    if report["blend"]["weight"] > 0:
        assert nlp.pipe_names == [BOW_COMPONENT, COMPONENT]
    chosen = report["blend"]["tried"][str(report["blend"]["weight"])]
    assert figures_of(pipeline, fixture_corpus) == pytest.approx(chosen)
    # Beside it, the static model without the blend, for evaluate to report.
    alone = figures_of(tmp_path / "train" / "model-alone", fixture_corpus)
    assert alone == report["stored"] == pytest.approx(report["blend"]["tried"]["0.0"])
    assert nlp.get_pipe(COMPONENT).bow_weight == report["blend"]["weight"]  # type: ignore[attr-defined]
    assert nlp.get_pipe(COMPONENT).labels == tuple(read_splits(fixture_corpus)[0]["labels"])  # type: ignore[attr-defined]
    assert FACTORY in nlp.config["components"][COMPONENT]["factory"]


def test_the_minilm_recipes_fine_tuned_encoder_is_a_teacher(
    run_step: Callable[..., dict], tiny_base: Path, fixture_corpus: Path, tmp_path: Path
) -> None:
    """TEACHER=build/train/encoder: what the minilm recipe's step saves beside its pipeline."""
    from genre_training.transformer import ENCODER_DIR, fine_tune

    tuned = {"paths.base_model": str(tiny_base), "paths.bow_model": None}
    small = {"training.max_tokens": 32, "training.epochs": 1, "training.max_train": 32}
    fine_tune(REPO / "training/configs/minilm.cfg", fixture_corpus, tmp_path / "m", tuned | small)
    teacher = tmp_path / "m" / ENCODER_DIR
    report = run_step(teacher)
    assert report["teacher"] == str(teacher) and not report["distill_cached"]
    # Another teacher (other weights) is another cache entry, not the pretrained one's.
    assert run_step(tiny_base)["distilled"] != report["distilled"]


def test_a_teacher_that_is_not_an_encoder_directory_is_a_clear_error(
    run_step: Callable[..., dict], tmp_path: Path
) -> None:
    with pytest.raises(StepError, match="not a transformers model directory"):
        run_step(tmp_path)


def test_corpus_words_are_counted_as_the_teacher_normalizes_them_most_frequent_first(
    tiny_base: Path,
) -> None:
    from genre_training.static_distill import corpus_vocabulary

    words = ["Zebra", "party", "zebra", "ZEBRA", "Party", "once"]
    assert corpus_vocabulary(tiny_base, words, 2) == ["zebra", "party"]  # the tiny BERT is uncased


def test_frequent_training_words_join_the_teachers_pieces_as_whole_words(
    run_step: Callable[..., dict], tiny_base: Path, fixture_corpus: Path, tmp_path: Path
) -> None:
    pieces_only = run_step(tiny_base)
    with_words = run_step(tiny_base, **{"distill.corpus_min_count": 5})
    assert with_words["distilled"] != pieces_only["distilled"]  # another cache entry
    assert with_words["pieces"] > pieces_only["pieces"] and with_words["corpus_words"] > 0
    # A frequent training word the teacher does not know is now one piece of its own.
    served = Tokenizer.from_file(
        str(tmp_path / "train" / "model-best" / COMPONENT / "tokenizer.json")
    )
    teacher = Tokenizer.from_file(str(Path(pieces_only["distilled"]) / "tokenizer.json"))
    unknown = teacher.token_to_id("[UNK]")
    frequent = [w for w in ("man", "young", "life", "world") if teacher.token_to_id(w) is None]
    assert frequent and all(served.token_to_id(w) not in (None, unknown) for w in frequent)
