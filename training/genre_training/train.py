"""Step 2 from Python: `spacy train` on a prepared corpus (tests and bench/ use it; make calls
spaCy's command line with the same arguments)."""

from __future__ import annotations

from pathlib import Path

from spacy.cli.train import train


def train_pipeline(config: Path, corpus: Path, output: Path, overrides: dict[str, object]) -> Path:
    """Train with config on corpus/{train,dev}.spacy; return the best pipeline's directory."""
    train(
        config,
        output,
        overrides={
            "paths.train": str(corpus / "train.spacy"),
            "paths.dev": str(corpus / "dev.spacy"),
            **overrides,
        },
    )
    return output / "model-best"
