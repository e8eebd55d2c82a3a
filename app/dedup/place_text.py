"""The place a free text names («яма у дома 5 на Ленина», «на перекрёстке Ленина и Советской»).

A post or a call often carries no address field; its text does. Read conservatively: a
crossroads, a street with a street-type word, a street the city knows, or a name that reads as
a street right before a house number: a feminine adjective or a surname in the genitive
(«Октябрьская 5», «на Кирова 12»), any name before «дом»/«д.» («Октябрьская, дом 5»). A
vehicle, route, flat or request word before a number («Автобус 105», «по заявке 101») never
makes a street (``place_noise``). Pure; ``place_key`` puts it together.
"""

from __future__ import annotations

from app.dedup.place import (
    NOT_NAME,
    TYPES,
    Place,
    Token,
    crossroads,
    house_in,
    is_cross_mark,
    street_name,
)
from app.dedup.place_noise import never_street
from app.routing.ru_text import grammemes, is_known, lemma, part_of_speech

_SENTENCE = frozenset({".", "!", "?", ""})
_JOINERS = frozenset({"и", "с", "со", "/", "\\", "|", "-", "–", "—"})
_MAX_NAME = 3  # words in one street's name («50 лет Октября», «Красной Армии»)


def sentences(toks: list[Token]) -> list[list[Token]]:
    out: list[list[Token]] = [[]]
    for t in toks:
        if t.kind == "sep" and t.text in _SENTENCE:
            out.append([])
        else:
            out[-1].append(t)
    return [s for s in out if s]


def _is_name(t: Token) -> bool:
    word = t.kind == "word" and len(t.text) > 1 and t.text not in NOT_NAME
    return (word and not never_street(t.text)) or t.kind == "ord"


def _name_after(seq: list[Token], i: int) -> int:
    """How many tokens from ``i`` form a street name: one word, more while capitalised."""
    n = 0
    while i + n < len(seq) and n < _MAX_NAME:
        t = seq[i + n]
        if t.kind == "big" or (t.kind == "num" and i + n + 1 < len(seq)):
            if seq[min(i + n + 1, len(seq) - 1)].text != "лет":
                break
            n += 2  # «50 лет» …
            continue
        if not _is_name(t) or (n and not t.cap and seq[i + n - 1].text != "лет"):
            break
        n += 1
    return n


def _crossroads(sentence: list[Token]) -> Place | None:
    for i, t in enumerate(sentence):
        marked = t.kind == "word" and is_cross_mark(t.text)
        slash = t.kind == "sep" and t.text in ("/", "\\", "|")
        if not (marked or slash):
            continue
        if slash:
            start = i - 1 if i and _is_name(sentence[i - 1]) else i
            # a longer name only when written with capitals mid-sentence («Красной Армии»)
            while start > 1 and i - start < _MAX_NAME and _is_name(sentence[start - 1]):
                if not (sentence[start - 1].cap and sentence[start].cap):
                    break
                start -= 1
            window = sentence[start : i + 1 + _MAX_NAME + 1]
        else:
            window = sentence[i : i + 2 * _MAX_NAME + 4]
        place = _cut(window)
        if place is not None:
            return place
    return None


def _cut(window: list[Token]) -> Place | None:
    """The crossroads in a window starting at its marker: two names around a joiner."""
    for j, t in enumerate(window):
        if t.text not in _JOINERS or j == 0:
            continue
        right_start = j + 1
        while right_start < len(window) and window[right_start].text in TYPES:
            right_start += 1
        length = _name_after(window, right_start)
        if length:
            right = window[right_start : right_start + length]
            return crossroads([*window[:j], Token("sep", "/"), *right])
    return None


def _house_near(sentence: list[Token], end: int, start: int) -> str | None:
    """The house next to a street named in ``sentence[start:end]``: right after it
    («Ленина, д. 5», «Ленина 5»), else one marked by «дом» in the sentence («у дома 5 на …»)."""
    after = sentence[end : end + 3]
    unpunctuated = [t for t in after if t.text != ","][:2]
    house = house_in(after[:1]) or house_in(unpunctuated, marked_only=True)
    if house is None and after and after[0].text in (",",) and len(after) > 1:
        house = house_in(after[1:2])
    return house or house_in(sentence, marked_only=True)


def _adjective(t: Token) -> bool:
    return t.kind == "word" and part_of_speech(t.text) == "ADJF"


def _names_after_type(sentence: list[Token], i: int) -> bool:
    """Whether the word after a street-type word can start a name: a capitalised word, a noun
    or an adjective («улица Ленина», «ул. советская»), not a verb («площади разгромили»)."""
    if i >= len(sentence):
        return False
    t = sentence[i]
    return t.kind != "word" or t.cap or part_of_speech(t.text) in ("NOUN", "ADJF")


def _typed(sentence: list[Token]) -> Place | None:
    found: Place | None = None
    for i, t in enumerate(sentence):
        if t.kind != "word" or t.text not in TYPES:
            continue
        before = sentence[i - 1] if i else None
        length = _name_after(sentence, i + 1) if _names_after_type(sentence, i + 1) else 0
        if before is not None and _is_name(before) and (before.cap or _adjective(before)):
            start, end = i - 1, i + 1  # «Советская ул.», «на Привокзальной площади»
        elif length:
            start, end = i + 1, i + 1 + length
        else:
            continue
        name = street_name(sentence[start:end])
        if name:
            place = Place((name,), _house_near(sentence, end, start))
            if place.house:
                return place
            found = found or place
    return found


def _known(sentence: list[Token], streets: dict[tuple[str, ...], str]) -> Place | None:
    lemmas = [lemma(t.text) if t.kind == "word" else t.text for t in sentence]
    found: Place | None = None
    for name in sorted(streets, key=len, reverse=True):
        n = len(name)
        for i in range(len(lemmas) - n + 1):
            if tuple(lemmas[i : i + n]) == name:
                place = Place((" ".join(name),), _house_near(sentence, i + n, i))
                if place.house:
                    return place
                found = found or place
    return found


def _reads_as_street(t: Token, *, marked: bool) -> bool:
    """Whether a name the city does not list reads as a street's: a feminine adjective
    («Октябрьская», «на Садовой») or a surname in the genitive («Кирова»); before «дом»/«д.»
    also any genitive noun («Строителей, д. 5») or a word the dictionary does not know."""
    if t.kind == "ord":
        return True
    tags = grammemes(t.text)
    if {"ADJF", "femn"} <= tags or {"Surn", "gent"} <= tags:
        return True
    return marked and ({"NOUN", "gent"} <= tags or not is_known(t.text))


def _capitalised(sentence: list[Token]) -> Place | None:
    """«на Советской 12», «Кирова, 5», «Октябрьская, дом 5»: a name that reads as a street
    (capitalised, or after «на»/«по») just before a house number."""
    for i, t in enumerate(sentence):
        if not (_is_name(t) and (t.cap or (i and sentence[i - 1].text in ("на", "по")))):
            continue
        nxt = [x for x in sentence[i + 1 : i + 4] if x.text != ","][:2]
        house = house_in(nxt, marked_only=True)  # «, дом 5», «д. 5»
        marked = house is not None
        if house is None and nxt and nxt[0].kind == "num":
            bare = house_in(sentence[i + 1 : i + 4])
            house = bare if bare == nxt[0].text else None
        if house is None or not _reads_as_street(t, marked=marked):
            continue
        name = street_name([t])
        if name:
            return Place((name,), house)
    return None


def street_in_text(
    sentences: list[list[Token]], streets: dict[tuple[str, ...], str]
) -> tuple[Place | None, Place | None]:
    """(a crossroads or a house, a street alone) the sentences name, best evidence first:
    a crossroads, then a house on a typed, known or capitalised street."""
    for sentence in sentences:
        cross = _crossroads(sentence)
        if cross is not None:
            return cross, None
    street: Place | None = None
    for sentence in sentences:
        for place in (_typed(sentence), _known(sentence, streets), _capitalised(sentence)):
            if place is not None and place.house:
                return place, None
            street = street or place
    return None, street
