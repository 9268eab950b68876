"""The minilm and static recipes' spaCy pipeline: blank English with the recipe's component (ONNX
or static embeddings), after a bag-of-words textcat when the two are blended (the component
blends their scores). The minilm recipe's three-way blend runs bag-of-words, then the static
component (blending in the bag-of-words), then the ONNX one (blending in the static's blend).

What evaluate, package and serving load as they load any spaCy textcat.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

import spacy
from spacy.language import Language

from genre_model import onnx_textcat, static_textcat
from genre_training.errors import StepError
from genre_training.pipelines import COMPONENT, load_trained, pipeline_dir

BOW_COMPONENT = "textcat_bow"
STATIC_COMPONENT = "textcat_static"  # the static component, where it runs before the ONNX one


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
    component_dir: Path,
    config: RecipeComponent,
    bow_pipeline: Path | None = None,
    static: tuple[Path, StaticComponentConfig] | None = None,
) -> Language:
    """The component from component_dir (its files); with bow_pipeline, a trained spaCy pipeline
    whose textcat runs first; with static (static_stage's), the static component next. Each
    component blends in the doc.cats of those before it at its config's bow_weight."""
    nlp = spacy.blank("en")
    if bow_pipeline is not None:
        nlp.add_pipe(COMPONENT, name=BOW_COMPONENT, source=load_trained(bow_pipeline))
    if static is not None:
        add_component(nlp, STATIC_COMPONENT, *static)
    add_component(nlp, COMPONENT, component_dir, config)
    return nlp


def add_component(nlp: Language, name: str, component_dir: Path, config: RecipeComponent) -> None:
    component = nlp.add_pipe(config.FACTORY, name=name, config=asdict(config))  # type: ignore[call-overload]
    component.from_disk(component_dir)  # type: ignore[attr-defined]


def static_stage(static_model: Path, bow_weight: float) -> tuple[Path, StaticComponentConfig]:
    """The static component of a packaged static model (or its pipeline), to run at bow_weight:
    its files and its labels in the head's order, whatever it was blended with when packaged."""
    found = pipeline_dir(static_model)
    nlp = load_trained(found)
    if nlp.get_pipe_meta(COMPONENT).factory != static_textcat.FACTORY:
        raise StepError(f"{static_model} is not a static model (make train RECIPE=static)")
    labels = list(nlp.get_pipe(COMPONENT).labels)  # type: ignore[attr-defined]
    return found / COMPONENT, StaticComponentConfig(labels=labels, bow_weight=bow_weight)
