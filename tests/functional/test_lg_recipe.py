"""The production (lg) recipe's code path; a tiny vectors table stands in for en_core_web_lg."""

import subprocess
import sys
from pathlib import Path

import numpy as np

from genre_model import GenreClassifier
from genre_training.evaluate import evaluate
from genre_training.package import package
from tests.helpers.data import REPO, train_tiny


def make_vectors(corpus: Path, out: Path) -> Path:
    """A 16-dimensional random table over the 300 most frequent words of the corpus."""
    words: dict[str, int] = {}
    for line in (corpus / "train.jsonl").read_text(encoding="utf-8").split():
        token = line.strip('",.{}[]:').lower()
        if token.isalpha():
            words[token] = words.get(token, 0) + 1
    vocabulary = sorted(words, key=words.__getitem__, reverse=True)[:300]
    rng = np.random.default_rng(0)
    table = out.with_suffix(".txt")
    lines = [f"{len(vocabulary)} 16"] + [
        word + " " + " ".join(f"{value:.4f}" for value in rng.normal(size=16))
        for word in vocabulary
    ]
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "spacy", "init", "vectors", "en", str(table), str(out)],
        check=True,
        capture_output=True,
    )
    return out


def test_lg_recipe_trains_packages_and_serves_with_static_vectors(
    trained: dict[str, Path], tmp_path: Path
) -> None:
    vectors = make_vectors(trained["corpus"], tmp_path / "vectors")
    config = REPO / "training" / "configs" / "lg.cfg"
    model = train_tiny(
        trained["corpus"],
        config,
        tmp_path / "train",
        **{
            "paths.vectors": str(vectors),
            "components.tok2vec.model.encode.width": 32,
            "components.tok2vec.model.encode.depth": 1,
            "training.max_steps": 40,
            "training.eval_frequency": 20,
        },
    )
    evaluate(model, trained["corpus"], tmp_path / "eval")
    manifest, _archive = package(
        model, tmp_path / "eval", trained["corpus"], config, "lg", tmp_path
    )
    assert manifest.recipe == "lg"
    assert "include_static_vectors = true" in manifest.config

    classifier = GenreClassifier.load(tmp_path / "artifact")
    assert classifier._nlp.vocab.vectors.shape == (300, 16)
    assert classifier._nlp.pipe_names == ["tok2vec", "textcat_multilabel"]
    prediction = classifier.predict([("Othello", "The evil Iago pretends to be a friend.")])[0]
    assert set(prediction.scores) == set(manifest.labels)
    # Served as trained: the vectors load, and the golden set scores as it did at packaging.
    assert classifier.check_golden() == 32
