"""Scoring leaves the vocabulary as it found it, and scores as it did without memory zones."""

from __future__ import annotations

import random
import string
from pathlib import Path
from typing import Any

import pytest

from genre_model import GenreClassifier, memory
from genre_model.explanations import explain
from genre_model.text import compose_text
from tests.helpers.data import OTHELLO


def new_words(rng: random.Random, count: int) -> str:
    """count words no pipeline has seen, with punctuation as real text has."""
    words = ["".join(rng.choices(string.ascii_lowercase, k=9)) for _ in range(count)]
    return " ".join(words).capitalize() + ", " + words[0].upper() + "!"


def movies(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """New words, mixed with a real description's (which the model knows)."""
    return [
        (new_words(rng, 3), f"{new_words(rng, 30)} {OTHELLO['description']}") for _ in range(count)
    ]


def vocab(classifier: GenreClassifier) -> Any:
    return classifier._nlp.vocab


@pytest.fixture
def small_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bounds low enough that a few hundred requests cross them many times."""
    monkeypatch.setattr(memory, "LEXEMES_ADDED_BOUND", 500)
    monkeypatch.setattr(memory, "STRING_MAP_FLOOR", 256)


@pytest.fixture
def fresh(packaged: dict[str, Path]) -> GenreClassifier:
    """A classifier of its own: these tests change its vocabulary's state."""
    return GenreClassifier.load(packaged["artifact"])


def unzoned_scores(classifier: GenreClassifier, batch: list[tuple[str, str]]) -> list[Any]:
    fields = classifier.manifest.text_fields
    return classifier.score_texts([compose_text(t, d, fields) for t, d in batch])


def test_scores_are_the_same_with_and_without_the_zone(
    fresh: GenreClassifier, packaged: dict[str, Path], small_bounds: None
) -> None:
    plain = GenreClassifier.load(packaged["artifact"])
    rng = random.Random(7)
    emptied = 0
    for _ in range(40):
        batch = movies(rng, 4)
        added = len(vocab(fresh))
        zoned = [p.scores for p in fresh.predict(batch)]
        emptied += len(vocab(fresh)) < added
        assert zoned == unzoned_scores(plain, batch)
        # The same movies again: the zone left no cache behind that could change them.
        assert [p.scores for p in fresh.predict(batch)] == zoned
    assert emptied >= 2  # the lexeme index was emptied, and nothing moved


def test_explanations_are_the_same_with_and_without_new_words_before(
    fresh: GenreClassifier, packaged: dict[str, Path], small_bounds: None
) -> None:
    rng = random.Random(11)
    title, description = movies(rng, 1)[0]
    first = explain(fresh, title, description, 5)
    for _ in range(20):
        fresh.predict(movies(rng, 3))
    assert explain(fresh, title, description, 5) == first
    assert explain(GenreClassifier.load(packaged["artifact"]), title, description, 5) == first


def test_requests_of_new_words_leave_the_vocabulary_bounded(
    fresh: GenreClassifier, small_bounds: None
) -> None:
    rng = random.Random(3)
    strings = vocab(fresh).strings
    start = len(strings)
    capacities = []
    for _ in range(300):
        fresh.predict(movies(rng, 2))
        title, description = movies(rng, 1)[0]
        explain(fresh, title, description)
        assert len(strings) == start  # every new string was freed
        capacities.append(strings._map.capacity)
        assert len(vocab(fresh)) <= memory.LEXEMES_ADDED_BOUND + 1000
    # Without the sweep the map doubles again and again; with it, it stays under its bound.
    assert max(capacities) <= 2 * max(memory.STRING_MAP_FLOOR, memory.STRING_MAP_SLACK * start)


def test_a_zone_inside_a_zone_is_the_outer_one(fresh: GenreClassifier) -> None:
    strings = vocab(fresh).strings
    start = len(strings)
    with fresh.memory_zone():
        fresh.predict([("Zqxjkv", "Wvutsr qponml")])
        assert len(strings) > start  # not freed until the outer zone ends
    assert len(strings) == start


def test_scoring_outside_the_classifier_is_as_before(fresh: GenreClassifier) -> None:
    """Training and evaluation score through score_texts: no zone, every word kept."""
    strings = vocab(fresh).strings
    start = len(strings)
    fresh.score_texts(["Zqxjkv wvutsr"])
    assert len(strings) > start
