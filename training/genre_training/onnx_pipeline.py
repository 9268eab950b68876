"""The minilm and static recipes' spaCy pipeline: blank English with the recipe's component (ONNX
or static embeddings), after a bag-of-words textcat when the two are blended (the component
blends their scores).

What evaluate, package and serving load as they load any spaCy textcat.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

import spacy
from spacy.language import Language

from genre_model import onnx_textcat, static_textcat
from genre_training.pipelines import COMPONENT, load_trained

BOW_COMPONENT = "textcat_bow"


class RecipeComponent(Protocol):
    """A component's config (its factory's arguments), a dataclass naming its factory."""

    FACTORY: ClassVar[str]
    __dataclass_fields__: ClassVar[dict[str, Any]]


@dataclass(frozen=True)
class ComponentConfig:
    """The ONNX component's config (genre_model.onnx_textcat's factory arguments)."""

    FACTORY: ClassVar[str] = onnx_textcat.FACTORY
    labels: list[str]
    max_tokens: int
    bow_weight: float
    threads: int


@dataclass(frozen=True)
class StaticComponentConfig:
    """The static component's config (genre_model.static_textcat's factory arguments)."""

    FACTORY: ClassVar[str] = static_textcat.FACTORY
    labels: list[str]
    bow_weight: float


def assemble_pipeline(
    component_dir: Path, config: RecipeComponent, bow_pipeline: Path | None = None
) -> Language:
    """The component from component_dir (its files); with bow_pipeline, a trained spaCy pipeline
    whose textcat runs first and is blended in at config.bow_weight."""
    nlp = spacy.blank("en")
    if bow_pipeline is not None:
        nlp.add_pipe(COMPONENT, name=BOW_COMPONENT, source=load_trained(bow_pipeline))
    component = nlp.add_pipe(config.FACTORY, name=COMPONENT, config=asdict(config))  # type: ignore[call-overload]
    component.from_disk(component_dir)  # type: ignore[attr-defined]
    return nlp
