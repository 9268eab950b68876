"""The transformer recipe's spaCy pipeline: blank English with the ONNX component, after a
bag-of-words textcat when the two are blended (genre_model.onnx_textcat blends their scores).

What evaluate, package and serving load as they load any spaCy textcat.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import spacy
from spacy.language import Language

from genre_model.onnx_textcat import FACTORY
from genre_training.pipelines import COMPONENT, load_trained

BOW_COMPONENT = "textcat_bow"


@dataclass(frozen=True)
class ComponentConfig:
    """The ONNX component's config (genre_model.onnx_textcat's factory arguments)."""

    labels: list[str]
    max_tokens: int
    bow_weight: float
    threads: int


def assemble_pipeline(
    component_dir: Path, config: ComponentConfig, bow_pipeline: Path | None = None
) -> Language:
    """The ONNX component from component_dir (model.onnx, tokenizer.json); with bow_pipeline, a
    trained spaCy pipeline whose textcat runs first and is blended in at config.bow_weight."""
    nlp = spacy.blank("en")
    if bow_pipeline is not None:
        nlp.add_pipe(COMPONENT, name=BOW_COMPONENT, source=load_trained(bow_pipeline))
    component = nlp.add_pipe(FACTORY, name=COMPONENT, config=asdict(config))
    component.from_disk(component_dir)  # type: ignore[attr-defined]
    return nlp
