"""Scoring that leaves the pipeline as it found it, however many new words it meets.

spaCy adds every new string and lexeme to the pipeline's vocabulary for good: a warm function
grew with each never-seen word. Inside spaCy's `nlp.memory_zone()` they are transient and
removed when the zone ends. But the two hash maps that index them (the string store's and the
vocabulary's lexemes) remove an entry by leaving a tombstone that only a resize sweeps, and a
resize doubles the map: a map of a thousand live entries still doubled every few hundred
thousand new words, the growth in steps that was left. After each zone, scored_zone rebuilds
a map whose tombstones passed a bound.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.vocab import Vocab

# The string store's map is rebuilt once it is this many times larger than its live strings
# need (preshed's maps hold at most 60% of their cells), and at least this large.
STRING_MAP_SLACK = 8
STRING_MAP_FLOOR = 1 << 15
# The lexeme index is emptied once this many lexemes were added to it since it last was.
LEXEMES_ADDED_BOUND = 1 << 16
# A serialized vocabulary with nothing in it (msgpack's empty map).
_NOTHING = b"\x80"


@contextmanager
def scored_zone(nlp: Language) -> Iterator[None]:
    """Score inside nlp.memory_zone(): what the block adds to the vocabulary is freed when it
    ends, and the vocabulary's maps are kept small. Docs made inside must not be used after.
    Re-entrant: inside another zone, it adds nothing."""
    if _untyped(nlp.vocab).in_memory_zone:
        yield
        return
    with nlp.memory_zone():
        yield
    sweep(nlp.vocab)


def _untyped(vocab: Vocab) -> Any:
    """vocab, for what spaCy's type stubs leave out (in_memory_zone, lex_attr_getters)."""
    return vocab


def sweep(vocab: Vocab) -> None:
    """Rebuild the string map and empty the lexeme index, each once past its bound.

    Neither changes what the pipeline computes: the strings keep their hashes and storage, and a
    lexeme missing from the index is made again from its string, with the same attributes (the
    tokenizer's special cases keep their own lexemes).
    """
    strings: Any = vocab.strings  # _map: public in strings.pxd, absent from the stubs
    if strings._map.capacity > max(STRING_MAP_FLOOR, STRING_MAP_SLACK * len(strings)):
        from preshed.maps import PreshMap

        rebuilt = PreshMap(initial_size=2 * len(strings))
        for key, value in strings._map.items():
            rebuilt[key] = value
        strings._map = rebuilt
    if len(vocab) > LEXEMES_ADDED_BOUND:
        # spaCy has no call that only empties the index: loading nothing into the vocabulary
        # does, and re-wraps its norm getter, which is put back as it was.
        getters = dict(_untyped(vocab).lex_attr_getters)
        vocab.from_bytes(_NOTHING)
        _untyped(vocab).lex_attr_getters = getters
