"""Batching of the minilm recipe's fine-tuning (needs numpy only, not PyTorch)."""

from __future__ import annotations

import numpy as np

from genre_training.batching import length_grouped_batches


def test_every_text_lands_in_exactly_one_batch_of_at_most_the_batch_size() -> None:
    lengths = [int(n) for n in np.random.default_rng(0).integers(3, 192, size=1003)]
    batches = length_grouped_batches(lengths, 64, np.random.default_rng(1), window=4)
    assert sorted(int(i) for batch in batches for i in batch) == list(range(1003))
    assert all(1 <= len(batch) <= 64 for batch in batches)
    assert sum(len(batch) < 64 for batch in batches) <= 4  # one short batch per window at most


def test_batches_pad_far_less_than_random_batches_and_still_vary_between_epochs() -> None:
    lengths = np.random.default_rng(0).integers(3, 192, size=6400)
    generator = np.random.default_rng(1)
    first = length_grouped_batches(list(lengths), 64, generator)
    second = length_grouped_batches(list(lengths), 64, generator)

    def padded(batches: list[np.ndarray]) -> int:
        return sum(int(lengths[batch].max()) * len(batch) for batch in batches)

    random_batches = np.array_split(np.random.default_rng(2).permutation(6400), 100)
    assert padded(first) < 0.6 * padded(random_batches)
    assert [b.tolist() for b in first] != [b.tolist() for b in second]
