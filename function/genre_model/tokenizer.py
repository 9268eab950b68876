"""A tokenizer that starts empty, for pipelines whose tokenizer is loaded from disk."""

from __future__ import annotations

from collections.abc import Callable

from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.util import registry

SERIALIZED_TOKENIZER = "movie_genre.serialized_tokenizer.v1"


def serialized_tokenizer() -> Callable[[Language], Tokenizer]:
    """No rules at all until from_disk restores the trained pipeline's own (all of them:
    special cases, prefix/suffix/infix patterns, token and URL matches)."""

    def create(nlp: Language) -> Tokenizer:
        return Tokenizer(nlp.vocab)

    return create


registry.tokenizers.register(SERIALIZED_TOKENIZER, func=serialized_tokenizer)
