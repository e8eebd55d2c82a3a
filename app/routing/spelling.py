"""One slip of the keyboard forgiven: «светафор» is «светофор», «отопленя» is «отопления» (pure).

Only a word the dictionary does not know can be a misspelling, and only of a keyword word of at
least six letters, at most one edit away (a letter added, dropped, changed, or two neighbours
swapped) from one of that word's forms. Routing asks for it only when no rule names the
problem with words written correctly (``app.routing.rules.evaluate``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from app.routing.ru_text import forms

MIN_LENGTH = 6  # shorter words are one letter from too many others («кран» / «крон» / «кросс»)


def within_one_edit(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with at most one letter added, dropped, changed, or two
    neighbouring letters swapped (Damerau-Levenshtein distance ≤ 1)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diff) == 1:
            return True
        i = diff[0]
        return len(diff) == 2 and diff[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k, (x, y) in enumerate(zip(short, long_, strict=False)) if x != y), len(short))
    return short[i:] == long_[i + 1 :]


def misspelt_at(lemma: str, words: Sequence[str], unknown: Sequence[int]) -> int | None:
    """The position of the first unknown word that is a form of ``lemma`` with one slip, or
    None (also for a lemma shorter than ``MIN_LENGTH``)."""
    if len(lemma) < MIN_LENGTH or not unknown:
        return None
    shortest, longest = _lengths(lemma)
    for i in unknown:
        word = words[i]
        # A form more than one letter longer or shorter than the word is never one slip away.
        if shortest - 1 <= len(word) <= longest + 1 and slip_of(word, lemma):
            return i
    return None


@lru_cache(maxsize=65536)
def slip_of(word: str, lemma: str) -> bool:
    """Whether ``word`` is a form of ``lemma`` with one slip. Remembered: routing asks it of
    every unknown word of a text for every keyword word missing from it (hundreds of pairs
    per text, the same pairs again and again across a city's appeals)."""
    return any(within_one_edit(word, f) for f in _candidates(lemma) if abs(len(f) - len(word)) <= 1)


@lru_cache(maxsize=4096)
def _candidates(lemma: str) -> tuple[str, ...]:
    return tuple(f for f in forms(lemma) if len(f) >= MIN_LENGTH - 1)


@lru_cache(maxsize=4096)
def _lengths(lemma: str) -> tuple[int, int]:
    """The shortest and longest candidate form of the lemma ((1, -2) when there is none: no
    word length fits)."""
    lengths = [len(f) for f in _candidates(lemma)]
    return (min(lengths), max(lengths)) if lengths else (1, -2)
