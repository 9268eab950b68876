"""Train model variants on the same split and compare them on the validation (dev) split.

    python bench/model_variants.py --out build/variants.json [--only NAME ...]

Each variant is a training config plus overrides; each is trained with `spacy train`'s own code,
scored on dev, and its thresholds tuned on dev. The test split is not looked at here.
The JSON it writes is what `movie-genre-train evaluate --variants` puts in the report.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from genre_training.evaluate import reports_at_half_and_tuned
from genre_training.metrics import tune_thresholds
from genre_training.pipelines import load_trained, score_pipeline
from genre_training.splits import read_prepared, read_split
from genre_training.train import train_pipeline

OFFLINE = Path("training/configs/offline.cfg")
LG = Path("training/configs/lg.cfg")
# The lg recipe with its static vectors taken out, so that it runs here.
LG_WITHOUT_VECTORS = {
    "paths.vectors": None,
    "components.tok2vec.model.embed.include_static_vectors": False,
    "components.tok2vec.model.encode.width": 64,
    "components.tok2vec.model.encode.depth": 2,
}

# The variants measured before offline.cfg took parameter averaging on: they turn it off again.
NO_AVERAGING = {"training.optimizer.use_averages": False}

# name -> (config, corpus made by `prepare --text-fields ...`, overrides)
VARIANTS: dict[str, tuple[Path, str, dict[str, object]]] = {
    "bow, description only": (OFFLINE, "description", NO_AVERAGING),
    "bow, title + description": (OFFLINE, "title+description", NO_AVERAGING),
    "bow, title + description, bigrams": (
        OFFLINE,
        "title+description",
        {**NO_AVERAGING, "components.textcat_multilabel.model.ngram_size": 2},
    ),
    "bow, title + description, L2 0.001": (
        OFFLINE,
        "title+description",
        {**NO_AVERAGING, "training.optimizer.L2": 0.001},
    ),
    "bow, title + description, 2^20 hash rows": (
        OFFLINE,
        "title+description",
        {**NO_AVERAGING, "components.textcat_multilabel.model.length": 1048576},
    ),
    "bow, title + description, parameter averaging (offline.cfg)": (
        OFFLINE,
        "title+description",
        {},
    ),
    "bow, title + description, parameter averaging, patience 3200 steps": (
        OFFLINE,
        "title+description",
        {"training.patience": 3200},
    ),
    "ensemble (bow + CNN width 64 depth 2, no vectors), title + description": (
        LG,
        "title+description",
        LG_WITHOUT_VECTORS,
    ),
}


def run_variant(name: str, config: Path, corpus: Path, overrides: dict, work: Path) -> dict:
    output = work / name.replace(" ", "_").replace(",", "").replace("+", "plus")
    started = time.perf_counter()
    model = train_pipeline(config, corpus, output, overrides)
    minutes = (time.perf_counter() - started) / 60
    prepared = read_prepared(corpus)
    labels, fields = prepared["labels"], prepared["text_fields"]
    dev = read_split(corpus, "dev", prepared)
    scores = score_pipeline(load_trained(model), labels, dev.texts)
    tuned = tune_thresholds(dev.truth, scores, labels)
    reports = reports_at_half_and_tuned(dev.truth, scores, labels, tuned)
    report_half, report_tuned = reports["at_0.5"], reports["tuned"]
    return {
        "name": name,
        "config": str(config),
        "text_fields": fields,
        "overrides": overrides,
        "dev_micro_f1_at_0.5": report_half["micro"]["f1"],
        "dev_micro_f1_tuned": report_tuned["micro"]["f1"],
        "dev_macro_f1_tuned": report_tuned["macro"]["f1"],
        "train_minutes": minutes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("build/variants.json"))
    parser.add_argument(
        "--corpus-root",
        type=Path,
        default=Path("build"),
        help="holds corpus-<text fields>/ folders made by `prepare`",
    )
    parser.add_argument("--work", type=Path, default=Path("build/variants"))
    parser.add_argument("--only", nargs="*", help="variant names to run (default: all)")
    args = parser.parse_args()
    done = json.loads(args.out.read_text()) if args.out.is_file() else []
    for name, (config, fields, overrides) in VARIANTS.items():
        if args.only and name not in args.only:
            continue
        corpus = args.corpus_root / f"corpus-{fields.replace('+', '-')}"
        result = run_variant(name, config, corpus, overrides, args.work)
        done = [row for row in done if row["name"] != name] + [result]
        args.out.write_text(json.dumps(done, indent=2) + "\n")
        print(
            f"{name}: dev micro F1 @0.5 {result['dev_micro_f1_at_0.5']:.4f}, tuned "
            f"{result['dev_micro_f1_tuned']:.4f}, macro tuned {result['dev_macro_f1_tuned']:.4f}, "
            f"{result['train_minutes']:.1f} min",
            flush=True,
        )


if __name__ == "__main__":
    main()
