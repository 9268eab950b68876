"""Choosing the bag-of-words weight, with the committed tiny model as the bag-of-words model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from genre_training.blend import choose_blend
from genre_training.metrics import tuned_micro_f1
from genre_training.pipelines import load_trained, score_splits
from genre_training.splits import Split, read_splits
from tests.helpers.data import FIXTURE_MODEL


@pytest.fixture(scope="module")
def corpus(fixture_corpus: Path) -> tuple[list[str], dict[str, Split]]:
    prepared, splits = read_splits(fixture_corpus)
    return prepared["labels"], splits


def perfect(splits: dict[str, Split]) -> dict[str, np.ndarray]:
    return {name: splits[name].truth.astype(float) for name in ("dev", "test")}


def uninformative(splits: dict[str, Split]) -> dict[str, np.ndarray]:
    return {name: np.full(splits[name].truth.shape, 0.5) for name in ("dev", "test")}


@pytest.mark.parametrize("bow", [None, Path("no/such/model")])
def test_without_a_bag_of_words_model_the_transformer_ships_alone(
    corpus: tuple[list[str], dict[str, Split]], bow: Path | None
) -> None:
    labels, splits = corpus
    assert choose_blend(bow, perfect(splits), splits, labels, [0.0, 0.5]) == {
        "weight": 0.0,
        "tried": {},
    }


def test_a_bag_of_words_model_with_other_labels_is_not_blended(
    corpus: tuple[list[str], dict[str, Split]],
) -> None:
    labels, splits = corpus
    blend = choose_blend(FIXTURE_MODEL, perfect(splits), splits, labels[:-1], [0.0, 0.5])
    assert blend["weight"] == 0.0 and not blend["tried"]
    assert blend["skipped"].startswith(f"{FIXTURE_MODEL} has labels")


def test_every_weight_is_tried_and_the_best_on_validation_kept(
    corpus: tuple[list[str], dict[str, Split]],
) -> None:
    labels, splits = corpus
    weights = [0.0, 0.5, 1.0]
    # A perfect transformer needs no blend; a useless one is best replaced by the bag of words.
    assert choose_blend(FIXTURE_MODEL, perfect(splits), splits, labels, weights)["weight"] == 0.0
    blend = choose_blend(FIXTURE_MODEL, uninformative(splits), splits, labels, weights)
    assert blend["weight"] == 1.0
    assert blend["bow_model"] == str(FIXTURE_MODEL)
    bow = score_splits(load_trained(FIXTURE_MODEL / "pipeline"), labels, splits)
    truth = {name: splits[name].truth for name in ("dev", "test")}
    assert blend["tried"]["1.0"] == tuned_micro_f1(truth, bow, labels)
    assert set(blend["tried"]) == {"0.0", "0.5", "1.0"}
    best = max(figures["dev_micro_f1_tuned"] for figures in blend["tried"].values())
    assert blend["tried"]["1.0"]["dev_micro_f1_tuned"] == best
