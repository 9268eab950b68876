"""How much would batching the leave-one-word-out variants speed up a minilm explanation?

    .venv/bin/python bench/explain_batching.py --artifact build/artifact [--movies 30]

For real overviews (the test split of a `prepare` corpus), builds each explanation's texts as
`/explain` does (the text, then the text without each distinct word, genre_model.explanations)
and runs the artifact's int8 ONNX model on them on one thread (as served): each text alone (what
the component does), then in padded batches of several sizes. Prints the median time per
explanation of each way, its ratio to alone, and how far a batched score moved from the text's
score alone: the int8 model's activation scales are computed over the whole batch, so batched
scores depend on their batch-mates (docs/results.md, "One text at a time").

It times the transformer alone: the bag-of-words part of a blend costs milliseconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from genre_model.classifier import GenreClassifier
from genre_model.explanations import movie_words, variants_without
from genre_model.manifest import PIPELINE_DIR
from genre_model.onnx_textcat import MODEL_FILE, TOKENIZER_FILE
from genre_training.pipelines import COMPONENT

BATCH_SIZES = (8, 16, 64)


def explanation_texts(classifier: GenreClassifier, title: str, description: str) -> list[str]:
    with classifier.memory_zone():
        doc, words = movie_words(classifier, title, description)
        return [doc.text, *(variant.text for variant in variants_without(doc, words))]


def run(session: Any, encodings: list[Any], batch: int) -> np.ndarray:
    """Scores of every encoding, batch at a time (1: each alone), padded to the batch's longest."""
    scores = []
    for start in range(0, len(encodings), batch):
        chunk = encodings[start : start + batch]
        width = max(len(e.ids) for e in chunk)
        ids = np.zeros((len(chunk), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(chunk):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        (out,) = session.run(None, {"input_ids": ids, "attention_mask": mask})
        scores.append(out)
    return np.concatenate(scores)


def main() -> None:
    import onnxruntime
    from tokenizers import Tokenizer

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artifact", type=Path, default=Path("build/artifact"))
    parser.add_argument("--corpus", type=Path, default=Path("build/corpus"))
    parser.add_argument("--movies", type=int, default=30)
    args = parser.parse_args()

    classifier = GenreClassifier.load(args.artifact)
    files = args.artifact / PIPELINE_DIR / COMPONENT
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(files / MODEL_FILE), options)
    tokenizer = Tokenizer.from_file(str(files / TOKENIZER_FILE))
    tokenizer.enable_truncation(max_length=dict(classifier.components())[COMPONENT].max_tokens)
    with (args.corpus / "test.jsonl").open(encoding="utf-8") as rows:
        movies = [json.loads(line) for line, _ in zip(rows, range(args.movies), strict=False)]
    ways = (1, *BATCH_SIZES)
    seconds: dict[int, list[float]] = {batch: [] for batch in ways}
    moved = 0.0
    texts_per_explanation = []
    for movie in movies:
        texts = explanation_texts(classifier, movie["title"], movie["description"])
        texts_per_explanation.append(len(texts))
        encodings = tokenizer.encode_batch(texts)
        alone = run(session, encodings, 1)
        for batch in ways:  # interleaved, so that drift hits every way alike
            started = time.perf_counter()
            scores = run(session, encodings, batch)
            seconds[batch].append(time.perf_counter() - started)
            moved = max(moved, float(np.abs(scores - alone).max()))
    base = statistics.median(seconds[1])
    print(f"{len(movies)} explanations, median {statistics.median(texts_per_explanation)} texts")
    print("way                    median ms   ratio to alone")
    for batch in ways:
        median = statistics.median(seconds[batch])
        name = "each text alone" if batch == 1 else f"padded batches of {batch}"
        print(f"{name:<22} {median * 1000:9.1f}   {median / base:.2f}x")
    print(f"largest score moved by batching: {moved:.4f}")


if __name__ == "__main__":
    main()
