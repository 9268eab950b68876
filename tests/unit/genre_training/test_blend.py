"""Choosing the bag-of-words weight, with the committed tiny model as the bag-of-words model, and
the minilm recipe's three-way blend with a small static model (no PyTorch needed)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import spacy

from genre_training.blend import blended, choose_blend, choose_three_way
from genre_training.errors import StepError
from genre_training.metrics import tuned_micro_f1
from genre_training.onnx_pipeline import StaticComponentConfig, assemble_pipeline
from genre_training.pipelines import load_trained, score_splits
from genre_training.splits import Split, read_splits
from tests.helpers.data import FIXTURE_MODEL
from tests.helpers.static_model import build as build_static

Corpus = tuple[dict[str, Any], dict[str, Split]]


@pytest.fixture(scope="module")
def corpus(fixture_corpus: Path) -> Corpus:
    """The fixture corpus's prepare.json and splits: the data FIXTURE_MODEL was trained on."""
    return read_splits(fixture_corpus)


def perfect(splits: dict[str, Split]) -> dict[str, np.ndarray]:
    return {name: splits[name].truth.astype(float) for name in ("dev", "test")}


def uninformative(splits: dict[str, Split]) -> dict[str, np.ndarray]:
    return {name: np.full(splits[name].truth.shape, 0.5) for name in ("dev", "test")}


@pytest.mark.parametrize("bow", [None, Path("no/such/model")])
def test_without_a_bag_of_words_model_the_transformer_ships_alone(
    corpus: Corpus, bow: Path | None
) -> None:
    prepared, splits = corpus
    assert choose_blend(bow, perfect(splits), splits, prepared, [0.0, 0.5]) == {
        "weight": 0.0,
        "tried": {},
    }


def test_a_bag_of_words_model_with_other_labels_is_not_blended(
    corpus: Corpus,
) -> None:
    prepared, splits = corpus
    labels = prepared["labels"]
    blend = choose_blend(
        FIXTURE_MODEL, perfect(splits), splits, prepared | {"labels": labels[:-1]}, [0.0, 0.5]
    )
    assert blend["weight"] == 0.0 and not blend["tried"]
    assert blend["skipped"].startswith(f"{FIXTURE_MODEL} has labels")


def test_every_weight_is_tried_and_the_best_on_validation_kept(
    corpus: Corpus,
) -> None:
    prepared, splits = corpus
    labels = prepared["labels"]
    weights = [0.0, 0.5, 1.0]
    # A perfect transformer needs no blend; a useless one is best replaced by the bag of words.
    assert choose_blend(FIXTURE_MODEL, perfect(splits), splits, prepared, weights)["weight"] == 0.0
    blend = choose_blend(FIXTURE_MODEL, uninformative(splits), splits, prepared, weights)
    assert blend["weight"] == 1.0
    assert blend["bow_model"] == str(FIXTURE_MODEL)
    bow = score_splits(load_trained(FIXTURE_MODEL / "pipeline"), labels, splits)
    truth = {name: splits[name].truth for name in ("dev", "test")}
    assert blend["tried"]["1.0"] == tuned_micro_f1(truth, bow, labels)
    assert set(blend["tried"]) == {"0.0", "0.5", "1.0"}
    best = max(figures["dev_micro_f1_tuned"] for figures in blend["tried"].values())
    assert blend["tried"]["1.0"]["dev_micro_f1_tuned"] == best


def static_pipeline(directory: Path, labels: list[str]) -> Path:
    """A static recipe's pipeline in directory: the small static fixture model blended with the
    bag-of-words model at 0.5, as the static recipe ships it; its own files in directory/files."""
    component = directory / "files"
    build_static(component, len(labels))
    config = StaticComponentConfig(labels, 0.5)
    nlp = assemble_pipeline(component, config, FIXTURE_MODEL / "pipeline")
    nlp.to_disk(directory / "model")
    return directory / "model"


def test_the_three_way_blend_is_kept_only_when_it_beats_the_two_way_on_validation(
    corpus: Corpus,
) -> None:
    prepared, splits = corpus
    labels = prepared["labels"]
    truth = {name: splits[name].truth for name in ("dev", "test")}
    two_way = {
        "transformer": uninformative(splits),
        "bow": score_splits(load_trained(FIXTURE_MODEL / "pipeline"), labels, splits),
    }
    grid = [(0.2, 0.0), (0.5, 0.3)]
    two_way_dev = choose_blend(FIXTURE_MODEL, two_way["transformer"], splits, prepared, [0.3])[
        "tried"
    ]["0.3"]["dev_micro_f1_tuned"]
    # A perfect static model lifts the blend above the two-way one on validation: kept.
    kept = choose_three_way(truth, labels, two_way, perfect(splits), grid, two_way_dev)
    assert kept["kept"] and kept["dev_micro_f1_tuned"] > two_way_dev
    assert set(kept["tried"]) == {"static 0.2 bow 0.0", "static 0.5 bow 0.3"}
    best = max(kept["tried"].values(), key=lambda figures: figures["dev_micro_f1_tuned"])
    assert kept["tried"][f"static {kept['static_weight']} bow {kept['bow_weight']}"] == best
    assert kept["two_way_dev_micro_f1_tuned"] == two_way_dev
    # A static model that scores as the transformer does makes each three-way blend a two-way
    # one: at best a tie with the best two-way blend, which is not a win: dropped.
    copy = choose_three_way(
        truth, labels, two_way, two_way["transformer"], [(0.2, 0.3), (0.4, 0.3)], two_way_dev
    )
    assert not copy["kept"]
    assert copy["dev_micro_f1_tuned"] == pytest.approx(two_way_dev)
    assert choose_three_way(truth, labels, two_way, perfect(splits), [], two_way_dev) == {
        "kept": False,
        "skipped": "no static weights to try",
        "tried": {},
    }


def test_a_packaged_static_model_is_tried_with_every_weight_pair_and_figures_recorded(
    corpus: Corpus, tmp_path: Path
) -> None:
    prepared, splits = corpus
    labels = prepared["labels"]
    static = static_pipeline(tmp_path, labels)
    blend = choose_blend(
        FIXTURE_MODEL, uninformative(splits), splits, prepared, [0.0, 0.5], static, [0.25, 0.5]
    )
    three_way = blend["static"]
    assert three_way["model"] == str(static)
    # 0.5 + 0.5 leaves the transformer nothing: not tried.
    assert set(three_way["tried"]) == {
        "static 0.25 bow 0.0",
        "static 0.25 bow 0.5",
        "static 0.5 bow 0.0",
    }
    assert three_way["two_way_dev_micro_f1_tuned"] == max(
        figures["dev_micro_f1_tuned"] for figures in blend["tried"].values()
    )
    assert three_way["kept"] == (
        three_way["dev_micro_f1_tuned"] > three_way["two_way_dev_micro_f1_tuned"]
    )
    # The static model's own scores, whatever it was blended with when packaged.
    unblended = assemble_pipeline(tmp_path / "files", StaticComponentConfig(labels, 0.0))
    alone = score_splits(unblended, labels, splits)
    assert not np.allclose(alone["dev"], score_splits(spacy.load(static), labels, splits)["dev"])
    truth = {name: splits[name].truth for name in ("dev", "test")}
    expected = tuned_micro_f1(
        truth,
        blended(
            uninformative(splits),
            [
                (0.25, alone),
                (0.5, score_splits(load_trained(FIXTURE_MODEL / "pipeline"), labels, splits)),
            ],
        ),
        labels,
    )
    assert three_way["tried"]["static 0.25 bow 0.5"] == expected


def test_a_static_model_that_cannot_be_blended_is_skipped_with_the_reason(
    corpus: Corpus, tmp_path: Path
) -> None:
    prepared, splits = corpus
    labels = prepared["labels"]
    other_labels = static_pipeline(tmp_path / "other", [*labels[:-1], "Western"])
    blend = choose_blend(
        FIXTURE_MODEL, perfect(splits), splits, prepared, [0.0], other_labels, [0.2]
    )
    assert blend["static"]["skipped"].startswith(f"{other_labels} has labels")
    assert not blend["static"]["kept"]
    static = static_pipeline(tmp_path / "static", labels)
    blend = choose_blend(None, perfect(splits), splits, prepared, [0.0], static, [0.2])
    assert blend["static"] == {
        "model": str(static),
        "kept": False,
        "skipped": "no bag-of-words model",
    }
    with pytest.raises(StepError, match="is not a static model"):
        choose_blend(FIXTURE_MODEL, perfect(splits), splits, prepared, [0.0], FIXTURE_MODEL, [0.2])


def test_a_model_trained_on_other_data_or_text_fields_is_never_blended(
    corpus: Corpus, tmp_path: Path
) -> None:
    """Its training rows may be this corpus's validation or test movies: the blend's figures
    would flatter it."""
    prepared, splits = corpus
    other_data = prepared | {"data_sha256": "0" * 64}
    blend = choose_blend(FIXTURE_MODEL, uninformative(splits), splits, other_data, [0.0, 1.0])
    assert blend == {
        "weight": 0.0,
        "tried": {},
        "skipped": f"{FIXTURE_MODEL} was trained on other data (sha256 c9633862cba6...)",
    }
    other_fields = prepared | {"text_fields": "description"}
    blend = choose_blend(FIXTURE_MODEL, uninformative(splits), splits, other_fields, [0.0, 1.0])
    assert blend["skipped"] == f"{FIXTURE_MODEL} reads title+description, the corpus description"
    # A packaged static model whose manifest names other data: the two-way blend goes on alone.
    static = tmp_path / "packaged"
    shutil.copytree(static_pipeline(tmp_path, prepared["labels"]), static / "pipeline")
    manifest = json.loads((FIXTURE_MODEL / "manifest.json").read_text())
    (static / "manifest.json").write_text(json.dumps(manifest | {"data_sha256": "1" * 64}))
    blend = choose_blend(
        FIXTURE_MODEL, uninformative(splits), splits, prepared, [0.0, 1.0], static, [0.25]
    )
    assert blend["weight"] == 1.0 and blend["static"] == {
        "model": str(static),
        "kept": False,
        "skipped": f"{static} was trained on other data (sha256 111111111111...)",
    }
