"""Near-duplicate movies: is a movie (a user's correction) the same film as one of the
evaluation movies, under another spelling?

Two movies are near duplicates when the Jaccard similarity of their sets of character
SHINGLE_CHARS-grams, taken over their normalised title and description
(genre_model.corrections.movie_key: case, width, punctuation and spacing folded away), is at
least THRESHOLD. Candidates come from MinHash signatures in LSH bands (Broder 1997; Leskovec,
Rajaraman and Ullman, Mining of Massive Datasets, ch. 3), so that a lookup does not compare
with every movie; every candidate's Jaccard is then computed exactly, so the answer does not
depend on the hashing.

THRESHOLD 0.6: a change of one character alters at most SHINGLE_CHARS shingles, so an overview
of typical length (about 250 characters) stays over 0.6 through a few scattered edits (typos, a
word added), while two different films' overviews share few 5-grams (their common words);
bench/near_duplicates.py measures both on the repository's data (docs/results.md).
With BANDS bands of ROWS rows, a pair at Jaccard 0.6 becomes a candidate with probability
1 - (1 - 0.6**3)**50 > 0.99999, one at 0.05 (unrelated overviews) with about 0.006.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from genre_model.corrections import movie_key

SHINGLE_CHARS = 5
THRESHOLD = 0.6
BANDS = 50
ROWS = 3
# Universal hashing modulo a prime just under 2**32: a*h + b stays inside 64 bits.
_PRIME = np.uint64(4294967291)
_SEED = 20261207  # fixed: the same data gives the same candidates in every run


def shingles(title: str, description: str) -> frozenset[str]:
    """The character SHINGLE_CHARS-grams of a movie's normalised title and description."""
    text = movie_key(title, description).replace("\n", " | ")
    if len(text) <= SHINGLE_CHARS:
        return frozenset([text])
    return frozenset(text[i : i + SHINGLE_CHARS] for i in range(len(text) - SHINGLE_CHARS + 1))


def jaccard(first: frozenset[str], second: frozenset[str]) -> float:
    union = len(first | second)
    return len(first & second) / union if union else 1.0


class NearDuplicates:
    """An index of movies (title, description), asked for the most similar one to another."""

    def __init__(self, movies: Iterable[tuple[str, str]]) -> None:
        random = np.random.default_rng(_SEED)
        self._a = random.integers(1, int(_PRIME), size=BANDS * ROWS, dtype=np.uint64)
        self._b = random.integers(0, int(_PRIME), size=BANDS * ROWS, dtype=np.uint64)
        self._shingles: list[frozenset[str]] = []
        self._bands: dict[tuple[int, bytes], list[int]] = defaultdict(list)
        for title, description in movies:
            found = shingles(title, description)
            for key in self._band_keys(found):
                self._bands[key].append(len(self._shingles))
            self._shingles.append(found)

    def most_similar(
        self, title: str, description: str, threshold: float = THRESHOLD
    ) -> tuple[int, float] | None:
        """The position (in the order indexed) and Jaccard of the most similar movie at or over
        threshold; None when there is none. (Under THRESHOLD, a pair may be missed: the bands
        are made for it; bench/near_duplicates.py asks lower to show the data's pairs.)"""
        found = shingles(title, description)
        candidates = {i for key in self._band_keys(found) for i in self._bands.get(key, ())}
        scored = [(jaccard(found, self._shingles[i]), -i) for i in candidates]
        best = max(scored, default=None)
        if best is None or best[0] < threshold:
            return None
        return -best[1], best[0]

    def _band_keys(self, found: frozenset[str]) -> list[tuple[int, bytes]]:
        hashes = np.fromiter(
            (zlib.crc32(s.encode("utf-8", "surrogatepass")) for s in found),
            dtype=np.uint64,
            count=len(found),
        )
        signature = ((np.outer(hashes, self._a) + self._b) % _PRIME).min(axis=0)
        bands = signature.astype(np.uint32).reshape(BANDS, ROWS)
        return [(band, bands[band].tobytes()) for band in range(BANDS)]
