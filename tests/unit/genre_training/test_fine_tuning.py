"""Fine-tuning (PyTorch) on a tiny BERT and a toy task whose genres are given by cue words."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from confection import Config

pytest.importorskip("torch", reason="fine-tuning needs PyTorch (TRANSFORMER=1)")
pytest.importorskip("transformers", reason="fine-tuning needs transformers (TRANSFORMER=1)")

import torch
from transformers import AutoModel, AutoTokenizer

from genre_training.fine_tuning import (
    GenreModel,
    TextEncoder,
    TrainingSettings,
    fine_tune_model,
    optimizer_and_schedule,
)
from genre_training.metrics import tuned_micro_f1
from genre_training.splits import Split
from tests.helpers.data import REPO

LABELS = ["Comedy", "Romance", "Thriller"]
CUES = {
    "Comedy": ["laugh", "party"],
    "Romance": ["love", "wedding"],
    "Thriller": ["murder", "detective", "explosion"],
}
SETTINGS = TrainingSettings(
    seed=3,
    epochs=3,
    batch_size=8,
    learning_rate=1e-2,
    warmup_share=0.1,
    weight_decay=0.0,
    max_tokens=12,
    device="cpu",
    max_train=64,
)


def toy_split(movies: int, seed: int) -> Split:
    """Texts of filler words and one cue word per genre the movie has."""
    rng = np.random.default_rng(seed)
    truth = rng.random((movies, len(LABELS))) < 0.4
    truth[~truth.any(axis=1), 0] = True
    texts = []
    for genres in truth:
        words = [
            str(rng.choice(CUES[label])) for label, has in zip(LABELS, genres, strict=True) if has
        ]
        words += [str(word) for word in rng.choice(["the", "a"], size=rng.integers(0, 4))]
        texts.append(" ".join(rng.permutation(words)) + " .")
    return Split(texts, truth, [""] * movies)


@pytest.fixture(scope="module")
def splits() -> dict[str, Split]:
    return {"train": toy_split(96, 0), "dev": toy_split(40, 1)}


def test_settings_come_from_the_recipes_training_section() -> None:
    section = Config().from_disk(REPO / "training" / "configs" / "minilm.cfg")["training"]
    settings = TrainingSettings.from_config(section)
    assert settings.max_train is None  # null: every training movie
    assert settings.device == "auto"
    assert (settings.epochs, settings.batch_size, settings.max_tokens) == (3, 64, 192)


def test_texts_are_truncated_and_batches_padded_to_their_longest_text(tiny_base: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_base))
    encoder = TextEncoder(tokenizer, max_tokens=5)
    ids = encoder.ids(["the murder", "a love wedding party laugh the murder"])
    assert [len(row) for row in ids] == [4, 5]  # [CLS] ... [SEP], cut at max_tokens
    input_ids, mask = encoder.batch(ids, "cpu")
    assert input_ids.shape == mask.shape == (2, 5)
    assert input_ids[0].tolist() == [*ids[0], tokenizer.pad_token_id]
    assert mask.tolist() == [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]


def test_padding_does_not_change_a_texts_scores(tiny_base: Path) -> None:
    torch.manual_seed(0)
    model = GenreModel(AutoModel.from_pretrained(str(tiny_base)), len(LABELS)).eval()
    encoder = TextEncoder(AutoTokenizer.from_pretrained(str(tiny_base)), max_tokens=12)
    short, long = encoder.ids(["the murder", "a love wedding party laugh the murder"])
    with torch.no_grad():
        alone = model(*encoder.batch([short], "cpu"))
        padded = model(*encoder.batch([short, long], "cpu"))
        logits = model.logits(*encoder.batch([short], "cpu"))
    assert alone.shape == (1, len(LABELS))
    assert torch.allclose(alone[0], padded[0], atol=1e-6)  # mean pooling skips the padding
    assert torch.allclose(alone, torch.sigmoid(logits))


def test_the_learning_rate_warms_up_then_falls_linearly_to_zero() -> None:
    model = torch.nn.Linear(2, 2)
    settings = TrainingSettings(**{**SETTINGS.__dict__, "learning_rate": 1.0, "warmup_share": 0.2})
    optimizer, schedule = optimizer_and_schedule(model, settings, steps=10)
    rates = [schedule.get_last_lr()[0]]
    for _ in range(10):
        optimizer.step()
        schedule.step()
        rates.append(schedule.get_last_lr()[0])
    # Two warm-up steps to the full rate, then down by an eighth a step to 0 at the last one.
    assert rates == pytest.approx([0.5, 1.0, 1.0, *(n / 8 for n in range(7, -1, -1))])


def test_it_learns_and_keeps_the_best_epochs_weights(
    tiny_base: Path, splits: dict[str, Split], capsys: pytest.CaptureFixture[str]
) -> None:
    tuned = fine_tune_model(tiny_base, LABELS, splits, SETTINGS)
    figures = [epoch["dev_micro_f1_tuned"] for epoch in tuned.history]
    assert [epoch["epoch"] for epoch in tuned.history] == [1, 2, 3]
    assert tuned.best_epoch == 1 + int(np.argmax(figures))
    assert (tuned.train_movies, tuned.device) == (64, "cpu")
    assert not tuned.model.training
    assert {p.device.type for p in tuned.model.parameters()} == {"cpu"}
    dev = splits["dev"]
    kept = tuned_micro_f1({"dev": dev.truth}, {"dev": tuned.predict(dev.texts)}, LABELS)
    assert kept["dev_micro_f1_tuned"] == pytest.approx(max(figures))
    # Every genre on every movie: what a model that learned nothing does at best.
    everything = 2 * dev.truth.sum() / (dev.truth.size + dev.truth.sum())
    assert max(figures) > everything + 0.1
    output = capsys.readouterr()
    assert "epoch 3: dev micro F1 (tuned)" in output.out
    # The progress bar: batches done of the epoch's, time left, the epoch's mean loss so far.
    assert "epoch 1/3" in output.err and "8/8" in output.err and "loss=" in output.err


def test_the_same_seed_trains_the_same_model(tiny_base: Path, splits: dict[str, Split]) -> None:
    settings = TrainingSettings(**{**SETTINGS.__dict__, "epochs": 1})
    first, second = (fine_tune_model(tiny_base, LABELS, splits, settings) for _ in range(2))
    texts = splits["dev"].texts
    assert np.array_equal(first.predict(texts), second.predict(texts))
