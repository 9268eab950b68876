"""Which words drove a prediction: leave-one-word-out, every variant scored by the model.

A word's weight for a genre is how much that genre's score falls when every occurrence of the
word is removed from the title and the description: positive, the word pushes the genre up;
negative, it pushes it down. The text is the model's own input (compose_text), so calling the
model on the text without the word moves the score by exactly that amount. It asks nothing of the
model's architecture, so it serves the bag-of-words and the transformer recipes alike; the static
recipe's component computes the same scores in closed form, for every word at once
(genre_model.static_textcat), instead of scoring each variant text.

Words are the tokens of the model's own tokenizer, case as written, punctuation and spaces left
out; each distinct word is scored once, so the cost grows with the vocabulary of the text. A word
that first appears past what the model reads (a transformer truncates long texts) is not scored:
removing it changes nothing the model sees.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from spacy.tokens import Doc

# Re-exported (the API reads the limits here); defined apart so that the CLI needs no spaCy.
from genre_model.constants import DEFAULT_TOP, MAX_TOP
from genre_model.text import compose_text

if TYPE_CHECKING:
    from genre_model.classifier import GenreClassifier, Prediction

NEGLIGIBLE = 1e-7  # a removal that moves no score: not an explanation


@dataclass(frozen=True)
class WordWeight:
    word: str
    weight: float


@dataclass(frozen=True)
class Explanation:
    prediction: Prediction
    words: dict[str, list[WordWeight]]  # genre -> up to top words, by absolute weight


def variants_without(doc: Doc, words: Sequence[str]) -> Iterator[Doc]:
    """For each word, doc less every token equal to it, spacing kept. The tokens are reused, not
    tokenized again: tokenizing hundreds of variants of a long text cost far more."""
    texts = [token.text for token in doc]
    spaces = [bool(token.whitespace_) for token in doc]
    for word in words:
        kept = [i for i, text in enumerate(texts) if text != word]
        yield Doc(doc.vocab, words=[texts[i] for i in kept], spaces=[spaces[i] for i in kept])


def candidate_words(doc: Doc, fields: Sequence[tuple[int, int]], read_chars: int) -> list[str]:
    """Distinct words of the fields (character spans of doc), in order of first appearance: no
    punctuation or spaces, none that starts past read_chars (what the model reads), and none
    that spans a field's end (in "X.\nMurder" the tokenizer reads "X." as one token: no word
    the user wrote)."""
    seen: dict[str, None] = {}
    for token in doc:
        if token.idx >= read_chars:
            break
        end = token.idx + len(token.text)
        inside = any(start <= token.idx and end <= stop for start, stop in fields)
        if inside and not (token.is_punct or token.is_space):
            seen.setdefault(token.text)
    return list(seen)


def scores_without_each(
    classifier: GenreClassifier, doc: Doc, words: Sequence[str]
) -> list[dict[str, float]]:
    """The scores of doc, then of doc without each word. A last component that computes them
    itself (`cats_without`: the static recipe's, exactly and in closed form) does so; the
    components before it (a blended bag-of-words) score the variant texts as usual."""
    *earlier, (_name, last) = classifier.components()
    if not hasattr(last, "cats_without"):
        return classifier.score_texts([doc, *variants_without(doc, words)])
    docs = [doc, *variants_without(doc, words)] if earlier else [doc]
    for _earlier_name, component in earlier:
        batched = getattr(component, "pipe", None)  # a plain function component has none
        docs = list(batched(docs)) if batched else [component(each) for each in docs]
    return last.cats_without(docs[0], words, docs[1:])  # type: ignore[no-any-return]


def movie_words(classifier: GenreClassifier, title: str, description: str) -> tuple[Doc, list[str]]:
    """The model's input text for the movie as a Doc, and the words to explain it by
    (candidate_words). Call it in the classifier's memory zone: the Doc must not outlive it."""
    text = compose_text(title, description, classifier.manifest.text_fields)
    fields = [(len(text) - len(description.strip()), len(text))]  # the description ends the text
    if classifier.manifest.text_fields != "description":
        fields.insert(0, (0, len(title.strip())))
    doc = classifier.tokenize(text)
    return doc, candidate_words(doc, fields, classifier.read_chars(text))


def explain(
    classifier: GenreClassifier, title: str, description: str, top: int = DEFAULT_TOP
) -> Explanation:
    if not 1 <= top <= MAX_TOP:
        raise ValueError(f"top must be between 1 and {MAX_TOP}, not {top}")
    with classifier.memory_zone():  # the Docs and their new words are freed at its end
        doc, words = movie_words(classifier, title, description)
        base, *variants = scores_without_each(classifier, doc, words)
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
