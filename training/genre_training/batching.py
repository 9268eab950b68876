"""Which training texts share a batch: texts of similar length, so that little padding is run."""

from __future__ import annotations

import numpy as np


def length_grouped_batches(
    lengths: list[int], batch_size: int, generator: np.random.Generator, window: int = 50
) -> list[np.ndarray]:
    """Shuffled batches of texts of similar length, as indices into lengths.

    Each batch is padded to its longest text; the TMDb overviews run from a few tokens to the
    maximum, so random batches pad many times more tokens than these (the tests measure it).
    The texts are shuffled, cut into windows of `window` batches, sorted by length inside each
    window, cut into batches, and the batches shuffled (Hugging Face's `group_by_length`), so
    that batches still vary from epoch to epoch.
    """
    order = generator.permutation(len(lengths))
    sizes = np.asarray(lengths)
    batches: list[np.ndarray] = []
    for start in range(0, len(order), batch_size * window):
        chunk = order[start : start + batch_size * window]
        chunk = chunk[np.argsort(sizes[chunk], kind="stable")]
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    return [batches[i] for i in generator.permutation(len(batches))]
