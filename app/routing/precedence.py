"""Which matching rule says what a text means (pure): a problem named beats a place named in
passing, a matter for its own body (a keyword written «!наркотики») beats everyday words, the
rule whose keywords cover more of the text beats a vaguer one, and of two that say as much the
one whose keyword comes first in the text («Прорвало трубу …, вода хлещет на дорогу») wins.

«Яма на дороге возле школы» mentions a pothole and a school, but the school only says where:
the word comes right after a place preposition («возле», «у», «около», «напротив», «рядом с» …),
perhaps with a modifier between («у нашей школы», «около 5 школы»). Such a keyword hit counts as
a *place* hit; a rule matched by place hits alone ranks below every rule that names the problem.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from app.routing.keywords import Keyword, keyword_index, read_keyword
from app.routing.ru_text import is_known, lemma, part_of_speech, words
from app.routing.spelling import MIN_LENGTH, misspelt_at

# Prepositions that introduce a landmark: the words after them say where, not what.
# Matched on the written words (not lemmas: «рядом» must not become «ряд»). Not «за» («плата за
# детский сад»), «в» or «на» («в школе холодно» is about the school).
PLACE_CUES: tuple[tuple[str, ...], ...] = (
    ("возле",),
    ("около",),
    ("у",),
    ("напротив",),
    ("вблизи",),
    ("близ",),
    ("вдоль",),
    ("мимо",),
    ("перед",),
    ("позади",),
    ("рядом", "с"),
    ("рядом", "со"),
    ("недалеко", "от"),
    ("неподалеку", "от"),
    ("поблизости", "от"),
)
_CUES_BY_FIRST: dict[str, tuple[tuple[str, ...], ...]] = {
    first: tuple(c for c in PLACE_CUES if c[0] == first) for first in {c[0] for c in PLACE_CUES}
}
# What may stand between the preposition and the landmark: a number or an adjective, ordinal,
# participle or possessive («у нашей школы», «около 5-й школы», «возле детского сада»).
_NUMBER = re.compile(r"^\d+[а-я-]*$")
_MODIFIERS = frozenset({"ADJF", "PRTF", "NUMR"})
_MAX_MODIFIERS = 2
_RUSSIAN_WORD = re.compile(r"^[а-я]+(?:-[а-я]+)*$")


def _modifier(word: str) -> bool:
    return bool(_NUMBER.match(word)) or part_of_speech(word) in _MODIFIERS


@dataclass(frozen=True)
class TextView:
    """A text as routing reads it: its words, their lemmas, and which words name a place."""

    text: str

    @cached_property
    def words(self) -> tuple[str, ...]:
        return tuple(words(self.text))

    @cached_property
    def lemmas(self) -> tuple[str, ...]:
        return tuple(lemma(w) for w in self.words)

    @cached_property
    def lemma_set(self) -> frozenset[str]:
        """Every word's lemma, and those of the parts of hyphenated words («инвалид-колясочник»
        mentions «инвалид»)."""
        parts = (lemma(p) for w in self.words if "-" in w for p in w.split("-") if p)
        return frozenset(self.lemmas).union(parts)

    @cached_property
    def positions(self) -> dict[str, tuple[int, ...]]:
        """Each word lemma → where it stands in the text, ascending."""
        found: dict[str, list[int]] = {}
        for i, lem in enumerate(self.lemmas):
            found.setdefault(lem, []).append(i)
        return {lem: tuple(at) for lem, at in found.items()}

    @cached_property
    def unknown(self) -> tuple[int, ...]:
        """Positions of the words the dictionary does not know: possible misspellings."""
        return tuple(
            i
            for i, w in enumerate(self.words)
            if len(w) >= MIN_LENGTH - 1 and _RUSSIAN_WORD.match(w) and not is_known(w)
        )

    @cached_property
    def places(self) -> dict[int, int]:
        """Index of each word named as a place → index where its place phrase begins."""
        found: dict[int, int] = {}
        ws = self.words
        for start, word in enumerate(ws):
            for cue in _CUES_BY_FIRST.get(word, ()):
                end = start + len(cue)
                if ws[start:end] != cue:
                    continue
                for i in range(end, min(end + _MAX_MODIFIERS + 1, len(ws))):
                    found.setdefault(i, start)
                    if not _modifier(ws[i]):
                        break
        return found

    @cached_property
    def _slips(self) -> dict[str, int | None]:
        return {}

    def misspelt_at(self, lemma_: str) -> int | None:
        """Where a word of the given lemma first stands misspelt by one letter, or None
        (``app.routing.spelling.misspelt_at``, remembered for this text)."""
        slips = self._slips
        if lemma_ not in slips:
            slips[lemma_] = misspelt_at(lemma_, self.words, self.unknown)
        return slips[lemma_]


@dataclass(frozen=True)
class KeywordHit:
    """A keyword found in a text; ``place`` holds the words naming it only as a place."""

    keyword: str  # as written in the rule, without the decisive mark
    lemmas: frozenset[str]
    place: str | None = None
    first: int = 0  # position in the text of its earliest word
    decisive: bool = False
    spelt: tuple[str, ...] = ()  # the text's words read as misspellings of its words

    def describe(self) -> str:
        text = f"«{self.keyword}»"
        if self.spelt:
            text += " (written «" + " ".join(self.spelt) + "»)"
        if self.place is not None:
            text += f" only as a place («{self.place}»)"
        return text


def find_hit(keyword: str, view: TextView, *, fuzzy: bool = False) -> KeywordHit | None:
    """The keyword when every word of it occurs in the text in any form (with ``fuzzy``, a
    word of it may also stand misspelt by one letter), marked as a place when every occurrence
    of its words stands in a place phrase."""
    return _hit(read_keyword(keyword), view, fuzzy)


def find_hits(
    keywords: Sequence[str], view: TextView, *, fuzzy: bool = False
) -> tuple[KeywordHit, ...]:
    """``find_hit`` of each keyword, in their order, for those found. Only the keywords that
    need a lemma of the text (with ``fuzzy``, or a lemma standing misspelt in it) are read."""
    index = keyword_index(tuple(keywords))
    present = view.lemma_set
    if fuzzy:
        slipped = [w for w in index.long_lemmas - present if view.misspelt_at(w) is not None]
        present = present.union(slipped)
    chosen = index.needing_any(present)
    if not chosen:
        return ()
    found = (_hit(index.keywords[i], view, fuzzy) for i in chosen)
    return tuple(h for h in found if h is not None)


def _hit(keyword: Keyword, view: TextView, fuzzy: bool) -> KeywordHit | None:
    wanted = keyword.lemmas
    if not wanted:
        return None
    missing = wanted - view.lemma_set
    spelt: dict[str, int] = {}
    if missing:
        if not fuzzy:
            return None
        for word in missing:
            where = view.misspelt_at(word)
            if where is None:
                return None
            spelt[word] = where
    positions = view.positions
    at = sorted([i for lem in wanted for i in positions.get(lem, ())] + list(spelt.values()))
    first = at[0] if at else 0
    spelt_words = tuple(view.words[i] for i in sorted(spelt.values()))
    place = None
    if at and all(i in view.places for i in at):
        phrase = view.places[first]
        last = max(i for i in at if view.places[i] == phrase)
        place = " ".join(view.words[phrase : last + 1])
    return KeywordHit(
        keyword.written, wanted, place, first=first, decisive=keyword.decisive, spelt=spelt_words
    )


@dataclass(frozen=True)
class Standing:
    """How strongly a rule's keyword hits say what the text is about."""

    names_problem: bool  # at least one keyword not named only as a place
    coverage: int  # distinct words of the text its (problem, else place) keywords account for
    decisive: bool = False  # a decisive keyword names the problem
    first: int = 0  # where the earliest of those keywords stands in the text

    @classmethod
    def of(cls, hits: Sequence[KeywordHit]) -> Standing:
        problem = [h for h in hits if h.place is None]
        counted = problem or list(hits)
        return cls(
            bool(problem),
            len(frozenset().union(*(h.lemmas for h in counted))),
            any(h.decisive for h in problem),
            min((h.first for h in counted), default=0),
        )

    def key(self) -> tuple[int, int, int, int]:
        """Smaller is stronger (for ``min`` / ``sorted``, with rule order breaking ties)."""
        return (
            0 if self.names_problem else 1,
            0 if self.decisive else 1,
            -self.coverage,
            self.first,
        )

    def why_better_than(self, other: Standing) -> str:
        if self.names_problem and not other.names_problem:
            return "it names the problem, the other only a place"
        if self.decisive and not other.decisive:
            return "it names a matter for its own body"
        if self.coverage != other.coverage:
            return f"its keywords cover {self.coverage} words of the text, not {other.coverage}"
        if self.first != other.first:
            return "its keyword comes earlier in the text"
        return "it comes first in order"
