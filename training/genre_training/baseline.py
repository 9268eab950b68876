"""The TF-IDF + logistic-regression baseline, trained and scored on the same split as spaCy."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline


def train_and_score_baseline(
    train_texts: list[str], train_truth: np.ndarray, *score_sets: list[str]
) -> list[np.ndarray]:
    """Fit on the training texts; return the probability matrix of each text list given."""
    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
        OneVsRestClassifier(LogisticRegression(C=4.0, max_iter=1000)),
    )
    model.fit(np.array(train_texts, dtype=object), train_truth.astype(int))
    return [model.predict_proba(np.array(texts, dtype=object)) for texts in score_sets]
