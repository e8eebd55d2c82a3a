"""Russian text helpers for routing, duplicates and search: lemmas, street names (place keys:
``app.dedup.place_key``).

Pure functions over one lazily built pymorphy3 analyser (its dictionaries load once, ~0.2 s)."""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pymorphy3 import MorphAnalyzer
    from pymorphy3.analyzer import Parse

_WORD = re.compile(r"[0-9a-zа-я]+(?:[-/][0-9a-zа-я]+)*")
_HOUSE = re.compile(r"^\d{1,4}[а-я]?(?:/\d{1,4}[а-я]?)?$")
_RUSSIAN = re.compile(r"[а-я]{2,}(?:-[а-я]+)*")


def _set(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


# Street type words in their usual spellings and abbreviations («ул.», «улица», «пр-т» …).
STREET_TYPES = _set(
    "ул улица пр пр-т просп проспект пер переулок пл площадь б-р бульвар ш шоссе наб "
    "набережная проезд пр-д мкр микрорайон мкрн туп тупик аллея кв-л квартал "
    "улице улицы улицу улицей проспекте проспекта переулке переулка площади"
)
# Words that name a house or a spot near it rather than the street.
_HOUSE_WORDS = _set(
    "д дом дома домом доме кв квартира корп корпус к стр строение "
    "на у в по возле около напротив рядом с во дворе двор"
)
# The city itself, which every address of the city repeats and so never distinguishes one.
_CITY_WORDS = _set("г город гор спасск-дальний спасск дальний приморский край пк россия рф")


def normalise(text: str) -> str:
    """Lower case, «ё» as «е»."""
    return text.lower().replace("ё", "е")


def words(text: str) -> list[str]:
    return _WORD.findall(normalise(text))


_morph: MorphAnalyzer | None = None
_morph_lock = threading.Lock()


def _analyzer() -> MorphAnalyzer:
    """The one pymorphy3 analyser, built on first use (not at import: the CLI stays quick)."""
    global _morph
    if _morph is None:
        with _morph_lock:
            if _morph is None:
                from pymorphy3 import MorphAnalyzer

                _morph = MorphAnalyzer(lang="ru")
    return _morph


# Lemmas of rare words whose forms coincide with a common appeal word's: «ям» (a post station)
# against «яма», «вод» against «вода». Another reading of the word, when there is one, wins.
_RARE = frozenset({"ям", "вод"})
_ADJ = frozenset({"ADJF", "ADJS"})
_PARTICIPLE = frozenset({"PRTF", "PRTS"})
_NOUN_ENOUGH = 0.3  # a noun reading this likely wins over adjective/verb/adverb readings


def _add(found: list[str], lemma_: str) -> None:
    if lemma_ not in found:
        found.append(lemma_)


def _move(weight: dict[str, float], source: str, target: str) -> None:
    if source != target and source in weight:
        weight[target] = weight.get(target, 0.0) + weight.pop(source)


def _choose(parses: list[Parse]) -> str:
    """One normal form for a word: the likeliest lemma over all its parses (an indeclinable
    word's dozen case parses count once), where an adjective used as a noun («холодное»)
    counts as the adjective, an adjective that is also a participle («разбитый») as the verb
    (every other form of it is parsed as the participle), rare lemmas give way, and a
    reasonably likely noun («дорогой» → «дорога») beats other parts of speech."""
    weight: dict[str, float] = {}
    nouns: list[str] = []
    adjectives: list[str] = []
    participles: list[str] = []
    fixed: set[str] = set()
    for p in parses:
        nf = normalise(p.normal_form)
        if "Fixd" in p.tag:
            if nf in fixed:
                continue
            fixed.add(nf)
        weight[nf] = weight.get(nf, 0.0) + p.score
        pos = p.tag.POS
        if pos == "NOUN":
            _add(nouns, nf)
        elif pos in _ADJ:
            _add(adjectives, nf)
        elif pos in _PARTICIPLE:
            _add(participles, nf)
    for noun in nouns:
        adjective = next((a for a in adjectives if a != noun and a[:-2] == noun[:-2]), None)
        if adjective is not None:
            _move(weight, noun, adjective)
    if participles and adjectives:
        for adjective in adjectives:
            _move(weight, adjective, participles[0])
    if len(weight) > 1:
        for rare in _RARE.intersection(weight):
            del weight[rare]
    nouns = [n for n in nouns if n in weight]
    if nouns:
        noun = max(nouns, key=weight.__getitem__)
        if weight[noun] >= _NOUN_ENOUGH:
            return noun
    return max(weight, key=weight.__getitem__)


@lru_cache(maxsize=131072)
def lemma(word: str) -> str:
    """The normal form of one word, lower case, «ё» as «е»: «батареи», «батареей» → «батарея»;
    «холодные», «холоден» → «холодный». Numbers, latin words and single letters pass through."""
    w = normalise(word)
    if not _RUSSIAN.fullmatch(w):
        return w
    return _choose(_analyzer().parse(w))


def lemmas(text: str) -> list[str]:
    """Lemmas of every word of the text, in order."""
    return [lemma(w) for w in words(text)]


@lru_cache(maxsize=65536)
def part_of_speech(word: str) -> str | None:
    """The likeliest part of speech of one word (OpenCorpora: NOUN, ADJF, PRTF, PREP …);
    None for numbers, latin words and single letters."""
    w = normalise(word)
    if not _RUSSIAN.fullmatch(w):
        return None
    pos = _analyzer().parse(w)[0].tag.POS
    return str(pos) if pos else None


@lru_cache(maxsize=65536)
def grammemes(word: str) -> frozenset[str]:
    """The grammemes of the likeliest reading of one word (OpenCorpora: ``ADJF``, ``femn``,
    ``gent``, ``Surn`` …); empty for numbers, latin words and single letters."""
    w = normalise(word)
    if not _RUSSIAN.fullmatch(w):
        return frozenset()
    return frozenset(str(g) for g in _analyzer().parse(w)[0].tag.grammemes)


@lru_cache(maxsize=65536)
def is_known(word: str) -> bool:
    """Whether the dictionary knows the word (a misspelling it does not); numbers, latin words
    and single letters count as known (they are never read as misspelt Russian)."""
    w = normalise(word)
    return not _RUSSIAN.fullmatch(w) or bool(_analyzer().word_is_known(w))


@lru_cache(maxsize=8192)
def forms(lemma_: str) -> frozenset[str]:
    """Every form of a word given by its lemma («отопление» → «отопления», «отоплением» …)."""
    found = {lemma_}
    for p in _analyzer().parse(lemma_):
        if normalise(p.normal_form) == lemma_:
            found.update(normalise(f.word) for f in p.lexeme)
    return frozenset(found)


_STOP = _set(
    "и в во на не у к ко с со о об от до по за из под над при для что как это так же уже "
    "а но или ли бы мы вы я он она они оно их его ее нас вам нам вас мне меня все всё "
    "уже очень просто просим прошу пожалуйста здравствуйте добрый день уважаемые"
)
STOP_WORDS = _STOP  # for the search query, which drops them as the ``russian`` config did
WORD_PATTERN = _WORD  # what counts as one word (digits, latin, «5/2», «спасск-дальний»)


@lru_cache(maxsize=16384)  # an open ticket's text is compared with every new one nearby
def lemma_set(text: str) -> frozenset[str]:
    """Lemmas of the words that carry meaning (no prepositions, pronouns or greetings)."""
    return frozenset(lemma(w) for w in words(text) if w not in _STOP)


def street_lemmas(name: str) -> tuple[str, ...]:
    """A street name reduced to the lemmas of its own words: «ул. Ленина», «улица Ленина»,
    «Ленина ул» all give ``("ленин",)``."""
    return tuple(lemma(w) for w in words(name) if w not in STREET_TYPES and not _HOUSE.match(w))


# Former names, from the Snowball stemmer's days; callers move to the lemma names.
stem = lemma
stems = lemmas
stem_set = lemma_set
street_stems = street_lemmas


def _street_segment(address: str) -> tuple[list[str], str | None]:
    """The words of the street part of an address and the house number after it, if any."""
    segments = [words(part) for part in re.split(r"[,;]", address)]
    segments = [[w for w in seg if w not in _CITY_WORDS] for seg in segments]
    segments = [seg for seg in segments if seg]
    typed = [seg for seg in segments if any(w in STREET_TYPES for w in seg)]
    candidates = typed or [seg for seg in segments if any(not _HOUSE.match(w) for w in seg)]
    if not candidates:
        return [], None
    chosen = candidates[0]
    street: list[str] = []
    house: str | None = None
    for w in chosen:
        if _HOUSE.match(w):
            house = house or w
            if street:
                break
        elif w not in STREET_TYPES and w not in _HOUSE_WORDS:
            street.append(w)
    if house is None:  # «ул. Ленина, д. 5»: the number sits in the next segment
        rest = segments[segments.index(chosen) + 1 :]
        for seg in rest[:1]:
            house = next((w for w in seg if _HOUSE.match(w)), None)
    return street, house


def find_street(text: str, streets: dict[tuple[str, ...], str]) -> str | None:
    """The value of the first known street (by lemmas) named in the text, longest names first."""
    if not text:
        return None
    street, _ = _street_segment(text)
    if street:
        hit = streets.get(tuple(lemma(w) for w in street))
        if hit is not None:
            return hit
    seq = lemmas(text)
    for name in sorted(streets, key=len, reverse=True):
        n = len(name)
        if n and any(tuple(seq[i : i + n]) == name for i in range(len(seq) - n + 1)):
            return streets[name]
    return None


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """How alike two texts are by their lemmas (overlap over the smaller set, 0..1)."""
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return (inter / min(len(a), len(b)) + inter / len(a | b)) / 2
