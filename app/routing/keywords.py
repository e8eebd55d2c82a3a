"""Rule keywords read once (pure): each keyword's lemmas and decisive mark, and for a rule's
keyword list an index from lemma to the keywords that need it, so a text is matched against a
rule by the few lemmas they share instead of keyword by keyword.

Remembered by the keyword strings themselves: a rule edited in the reference brings new strings
and so a new entry, and the old one ages out."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from app.routing.ru_text import lemma, part_of_speech, words
from app.routing.spelling import MIN_LENGTH

# A keyword written with this mark is decisive: a matter for its own body that outranks the
# everyday words around it («!наркотики» in «соседи торгуют наркотиками в подъезде»).
DECISIVE = "!"
_FUNCTION_WORDS = frozenset({"PREP", "CONJ", "PRCL"})


@lru_cache(maxsize=4096)
def keyword_lemmas(keyword: str) -> frozenset[str]:
    """The lemmas a keyword needs: its words in any form, without prepositions, conjunctions
    and particles («течь в подъезде», «собака без поводка», «не горит»)."""
    return frozenset(
        lemma(w) for w in words(keyword) if len(w) > 1 and part_of_speech(w) not in _FUNCTION_WORDS
    )


@dataclass(frozen=True)
class Keyword:
    """One keyword of a rule as matching reads it."""

    written: str  # as written in the rule, without the decisive mark
    lemmas: frozenset[str]  # empty: the keyword never matches
    decisive: bool


@lru_cache(maxsize=4096)
def read_keyword(keyword: str) -> Keyword:
    stripped = keyword.strip()
    return Keyword(
        written=stripped.removeprefix(DECISIVE).strip(),
        lemmas=keyword_lemmas(keyword),
        decisive=stripped.startswith(DECISIVE),
    )


@dataclass(frozen=True)
class KeywordIndex:
    """A rule's keywords in their order, and which of them need each lemma."""

    keywords: tuple[Keyword, ...]
    lemmas: frozenset[str]  # every lemma any keyword needs
    by_lemma: dict[str, tuple[int, ...]]  # lemma → positions in ``keywords``, ascending
    long_lemmas: frozenset[str]  # those long enough to be forgiven a slip

    def needing_any(self, present: frozenset[str]) -> list[int]:
        """Positions, in order, of the keywords that need at least one of the ``present``
        lemmas (a keyword needing none of them cannot be wholly present)."""
        shared = present & self.lemmas
        if not shared:
            return []
        if len(shared) == 1:
            return list(self.by_lemma[next(iter(shared))])
        return sorted({i for lem in shared for i in self.by_lemma[lem]})


@lru_cache(maxsize=1024)
def keyword_index(keywords: tuple[str, ...]) -> KeywordIndex:
    read = tuple(read_keyword(k) for k in keywords)
    by_lemma: dict[str, list[int]] = {}
    for i, k in enumerate(read):
        for lem in k.lemmas:
            by_lemma.setdefault(lem, []).append(i)
    return KeywordIndex(
        read,
        frozenset(by_lemma),
        {lem: tuple(ids) for lem, ids in by_lemma.items()},
        frozenset(lem for lem in by_lemma if len(lem) >= MIN_LENGTH),
    )
