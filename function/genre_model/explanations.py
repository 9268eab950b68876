"""Which words drove a prediction: leave-one-word-out, scored in one nlp.pipe batch.

A word's weight for a genre is how much that genre's score falls when every occurrence of the
word is removed from the title and the description: positive, the word pushes the genre up;
negative, it pushes it down. The text is the model's own input (compose_text), so calling the
model on the text without the word moves the score by exactly that amount. It asks nothing of the
model's architecture, so it serves the bag-of-words and the transformer recipes alike.

Words are the tokens of the model's own tokenizer, case as written, punctuation and spaces left
out; each distinct word is scored once, so the cost grows with the vocabulary of the text. A word
that first appears past what the model reads (a transformer truncates long texts) is not scored:
removing it changes nothing the model sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from genre_model.text import compose_text

if TYPE_CHECKING:
    from spacy.tokens import Doc

    from genre_model.classifier import GenreClassifier, Prediction

DEFAULT_TOP = 8
MAX_TOP = 20
NEGLIGIBLE = 1e-7  # a removal that moves no score: not an explanation


@dataclass(frozen=True)
class WordWeight:
    word: str
    weight: float


@dataclass(frozen=True)
class Explanation:
    prediction: Prediction
    words: dict[str, list[WordWeight]]  # genre -> up to top words, by absolute weight


def without(doc: Doc, word: str) -> str:
    """The doc's text with every token equal to word removed, spacing kept."""
    return "".join(token.text_with_ws for token in doc if token.text != word).strip()


def candidate_words(docs: Sequence[tuple[Doc, int]], read_chars: int) -> list[str]:
    """Distinct words the model reads, in order of first appearance; no punctuation, no spaces.

    docs: each with the offset of its text in the model's input; read_chars: how much of that
    input the model reads.
    """
    seen: dict[str, None] = {}
    for doc, offset in docs:
        for token in doc:
            if offset + token.idx >= read_chars:
                break
            if not (token.is_punct or token.is_space) and token.text not in seen:
                seen[token.text] = None
    return list(seen)


def explain(
    classifier: GenreClassifier, title: str, description: str, top: int = DEFAULT_TOP
) -> Explanation:
    if not 1 <= top <= MAX_TOP:
        raise ValueError(f"top must be between 1 and {MAX_TOP}, not {top}")
    fields = classifier.manifest.text_fields
    title_doc = classifier.tokenize(title.strip())
    description_doc = classifier.tokenize(description.strip())
    text = compose_text(title, description, fields)
    # The description ends the model's input, after the title in "title+description".
    description_offset = len(text) - len(description_doc.text)
    docs = [(description_doc, description_offset)]
    if fields != "description":
        docs.insert(0, (title_doc, 0))
    words = candidate_words(docs, classifier.read_chars(text))
    texts = [text] + [
        compose_text(without(title_doc, word), without(description_doc, word), fields)
        for word in words
    ]
    base, *variants = classifier.score_texts(texts, batch_size=max(len(texts), 1))
    explained = {}
    for label in classifier.labels:
        weights = [
            WordWeight(word, base[label] - scores[label])
            for word, scores in zip(words, variants, strict=True)
        ]
        ranked = sorted(
            (w for w in weights if abs(w.weight) > NEGLIGIBLE),
            key=lambda w: abs(w.weight),
            reverse=True,
        )
        explained[label] = ranked[:top]
    return Explanation(classifier.decide(base), explained)
