"""Place keys from Russian addresses: a street and house, or a crossroads of two streets (pure).

One place gives one key however it is written: «ул. Ленина, д. 5» = «Ленина 5» = «дом 5 по
улице Ленина» = «5, Ленина ул.» → ``ленин 5``; «12а» = «12 А» = «12-а» → ``12а``; «д.12/1»
→ ``12/1``; «перекрёсток Ленина и Советской» = «Ленина / Советская» = «угол ул. Советской и
ул. Ленина» → ``ленин / советский`` (the two streets in a fixed order).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.dedup.place_noise import never_street, scrub
from app.routing.ru_text import STOP_WORDS, STREET_TYPES, lemma

CROSS = " / "  # between the two streets of a crossroads key

# «12 А», «12-а», «12 "а"» → «12а». A spaced lower-case letter counts only before punctuation
# or the end («дом 5 в подъезде» is not «5в»).
_LETTER = re.compile(r"(?<![\d/])(\d{1,4})(\s*-\s*|\s+)?[\"«]?([а-дА-Д])[\"»]?(?![а-яА-ЯёЁ\d])")
_BLOCK = re.compile(r"(\d{1,4}[а-д]?)(?:\s*,?\s*(?:корпус|корп\.?|к\.)\s*|к)(\d{1,2})(?!\d)", re.I)
_STRUCT = re.compile(r"(\d{1,4}[а-д]?)\s*,?\s*(?:строение|стр\.?)\s*(\d{1,2})(?!\d)", re.I)
_TOKEN = re.compile(
    r"(?P<ord>\d{1,3}-(?:ая|ой|ий|ый|я|й|го))(?![а-я])"
    r"|(?P<num>\d{1,4}[а-д]?(?:/\d{1,4}[а-д]?)?(?:[кс]\d{1,2})?)(?![\dа-я])"
    r"|(?P<big>\d+)"
    r"|(?P<word>[a-zа-я]+(?:-[a-zа-я]+)*)"
    r"|(?P<sep>[,;()!?\n\\/|]|\s[-–—]\s|[–—]|\.(?=\s+[A-ZА-ЯЁ]))",
    re.IGNORECASE,
)


def _set(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


TYPES = STREET_TYPES | _set("улиц ул-ца пр-кт пр-та проспекту пер-к площадью")
# Words that say «the house» (the number after them is the house).
HOUSE_MARKS = _set("д дом дома доме домом домов № н")
# Words that name a spot by the house or say where, never part of a street's name.
FILLER = _set(
    "на у в во по возле около напротив рядом с со к от до за при между вдоль из адрес "
    "адресу район районе двор дворе двора подъезд подъезда подъезде кв квартира квартиры "
    "корп корпус стр строение этаж г город гор города городе пгт село поселок п край "
    "приморский пк россия рф обл область области спасск-дальний спасск дальний и или "
    "около перед ост остановка остановке остановки"
)
NOT_NAME = (
    TYPES
    | HOUSE_MARKS
    | FILLER
    | STOP_WORDS
    | _set("нет ни нету наш наша нашей нашу ваш ваша вашей весь вся всей всю эта этой эту")
)
_ENDS_NAME = (FILLER | STOP_WORDS | HOUSE_MARKS) - _set("и")
_ABBREVIATED = TYPES | HOUSE_MARKS | _set("г гор п пос обл кв корп стр р-н ост")
CROSS_MARKS = ("перекрест", "пересечен", "угол", "углу", "угла", "развилк")
# A number before these is not a house: «5 дней», «кв. 12», «автобус 5».
_NOT_HOUSE_AFTER = _set(
    "день дня дней неделя недели недель месяц месяца месяцев год года лет раз раза час часа "
    "часов минут минуты метр метра метров м км см мм человек шт штук градус градуса градусов "
    "сутки суток этаж этаже этажа подъезд подъезде утра вечера ночи числа"
)
_NOT_HOUSE_BEFORE = _set(
    "кв квартира квартире квартиры подъезд подъезде подъезда этаж этаже офис комната маршрут "
    "маршрута автобус автобуса школа школы школе сад сада садик садика детсад лицей гимназия "
    "больница поликлиника уже более менее около почти всего примерно целых"
)


@dataclass(frozen=True)
class Token:
    kind: str  # ord | num | big | word | sep
    text: str  # lower case, «ё» as «е»
    cap: bool = False  # written with a capital letter (a street name in running text)


@dataclass(frozen=True)
class Place:
    """One street (and house), or a crossroads of two streets (no house)."""

    streets: tuple[str, ...]
    house: str | None = None

    @property
    def key(self) -> str:
        if len(self.streets) > 1:
            return CROSS.join(sorted(self.streets))
        return f"{self.streets[0]} {self.house}" if self.house else self.streets[0]


_RANGE = re.compile(
    r"(?:\bот\s+(?:д\.?|дома)\s*\d{1,4}[а-д]?\s+до\s+(?:д\.?|дома)\s*\d{1,4}[а-д]?)"
    r"|(?<![\d/])\d{1,4}\s*[–—-]\s*\d{1,4}(?![\d/])",
    re.I,
)
_UNIT_WORDS = [
    "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять", "десять",
    "одиннадцать", "двенадцать", "тринадцать", "четырнадцать", "пятнадцать", "шестнадцать",
    "семнадцать", "восемнадцать", "девятнадцать",
]  # fmt: skip
_TEN_WORDS = [
    "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят", "восемьдесят",
    "девяносто",
]  # fmt: skip
_TENS = re.compile(
    r"\b(" + "|".join(_TEN_WORDS) + r")(?:\s+(" + "|".join(_UNIT_WORDS[:9]) + r"))?\b", re.I
)
# A number in words right after «дом»/«д.»/«№» («дом пять»); tens anywhere («Коммунаров
# двадцать четыре»): a house spoken on the phone.
_UNITS = re.compile(r"\b(дом|д\.|№)\s*(" + "|".join(_UNIT_WORDS) + r")\b", re.I)


def _tens(m: re.Match[str]) -> str:
    tens = (_TEN_WORDS.index(m.group(1).lower()) + 2) * 10
    unit = _UNIT_WORDS.index(m.group(2).lower()) + 1 if m.group(2) else 0
    return str(tens + unit)


_ORDINALS = ["перв", "втор", "трет", "четверт", "пят", "шест", "седьм", "восьм", "девят", "десят"]
_ORDINAL_HOUSE = re.compile(
    r"\b(" + "|".join(_ORDINALS) + r")(?:ого|ому|ым|ом|ой|ый|ий|ая|ое|ье|ьего|ьем|ьему)\s+(дом\w*)",
    re.I,
)


def spell_houses(text: str) -> str:
    """House numbers in one spelling: «12 А», «12-а» → «12а», «12 корп. 1» → «12к1»,
    «у пятого дома» → «у дома 5»."""
    text = _ORDINAL_HOUSE.sub(
        lambda m: f"{m.group(2)} {_ORDINALS.index(m.group(1).lower()) + 1}", text
    )

    def letter(m: re.Match[str]) -> str:
        gap, char = m.group(2) or "", m.group(3)
        if gap and "-" not in gap and char.islower():
            rest = m.string[m.end() :].lstrip()
            if rest and rest[0] not in ",.;:)!?\n":
                return m.group(0)
        return m.group(1) + char.lower()

    text = _RANGE.sub(" ", text)  # «д. 10–30», «от д. 10 до д. 30»: a stretch, not a house
    text = _TENS.sub(_tens, text)
    text = _UNITS.sub(lambda m: f"{m.group(1)} {_UNIT_WORDS.index(m.group(2).lower()) + 1}", text)
    text = _LETTER.sub(letter, text)
    text = _BLOCK.sub(r"\1/\2", text)  # «12 корп. 1» is written «12/1» as often
    return _STRUCT.sub(r"\1с\2", text)


def tokens(text: str) -> list[Token]:
    """The address's words, numbers and separators, house numbers already in one spelling;
    identifiers, dates, times and phone numbers left out (``place_noise.scrub``)."""
    spelled = spell_houses(scrub(text.replace("ё", "е").replace("Ё", "Е")))
    found: list[Token] = []
    for m in _TOKEN.finditer(spelled):
        kind = m.lastgroup or "sep"
        raw = m.group(0)
        value = raw.strip().lower() if kind == "sep" else raw.lower()
        if value == "." and found and found[-1].text in _ABBREVIATED:
            continue  # «ул. Ленина»: an abbreviation's dot, not a sentence's end
        parts = raw.split("-")
        pair = kind == "word" and len(parts) == 2 and all(p[:1].isupper() for p in parts)
        if pair and value not in FILLER:  # «Ленина-Советская»: two names, a crossing
            a, b = value.split("-")
            found += [Token("word", a, True), Token("sep", "/"), Token("word", b, True)]
            continue
        found.append(Token(kind, value, raw[:1].isupper()))
    return found


def is_cross_mark(word: str) -> bool:
    return word.startswith(CROSS_MARKS)


def street_name(words: list[Token]) -> str | None:
    """The lemmas of a street's own words («улица Красной Армии» → ``красный армия``)."""
    name: list[str] = []
    for i, t in enumerate(words):
        if t.kind == "ord":
            name.append(t.text.replace("-", ""))
        elif t.kind in ("num", "big") and i + 1 < len(words) and words[i + 1].text == "лет":
            name.append(t.text)  # «50 лет Октября»
        elif t.kind == "word" and len(t.text) > 1 and t.text not in NOT_NAME:
            if never_street(t.text):  # «автобус», «квартира», «SD»: never a street's word
                if name:
                    break
                continue
            name.append(t.text if t.text == "лет" else lemma(t.text))
        elif name and t.kind == "word" and t.text in _ENDS_NAME:
            break  # «Кирова напротив магазина»: the name has ended
    return " ".join(name) or None


def _segments(toks: list[Token]) -> list[list[Token]]:
    out: list[list[Token]] = [[]]
    for t in toks:
        if t.kind == "sep":
            out.append([])
        else:
            out[-1].append(t)
    return [s for s in out if s]


def _numbers_other_thing(seg: list[Token], i: int) -> bool:
    """Whether the number at ``i`` numbers a vehicle, route, flat or request, not a house
    («автобус 105», «маршрут № 12», «заявка номер 7»)."""
    j = i - 1
    if j >= 0 and seg[j].text in ("№", "н", "номер", "номером"):
        j -= 1
    return (
        j >= 0
        and seg[j].kind == "word"
        and seg[j].text not in HOUSE_MARKS
        and (never_street(seg[j].text))
    )


def house_in(seg: list[Token], *, marked_only: bool = False) -> str | None:
    """The house number of a run of tokens: after «д.»/«дом», else a bare number."""
    for i, t in enumerate(seg):
        marked = t.kind == "num" and i and seg[i - 1].text in HOUSE_MARKS
        if marked and not _numbers_other_thing(seg, i):
            return t.text
    if marked_only:
        return None
    for i, t in enumerate(seg):
        if t.kind != "num" or _numbers_other_thing(seg, i):
            continue
        before = seg[i - 1].text if i else ""
        after = seg[i + 1].text if i + 1 < len(seg) else ""
        if before not in _NOT_HOUSE_BEFORE and after not in _NOT_HOUSE_AFTER and after != "лет":
            return t.text
    return None


def crossroads(toks: list[Token]) -> Place | None:
    """Two streets named as a crossing: «перекрёсток Ленина и Советской», «Ленина / Советская»,
    «угол ул. Советской и ул. Ленина» (any order, with or without street-type words)."""
    words = [t for t in toks if not (t.kind == "word" and is_cross_mark(t.text))]
    marked = len(words) < len(toks)
    for i, t in enumerate(words):
        joiner = t.text in ("/", "\\", "|", "-", "–", "—", "x", "х") and t.kind in ("sep", "word")
        joiner = joiner or (marked and t.kind == "word" and t.text in ("и", "с", "со"))
        if not joiner:
            continue
        left, right = words[:i], words[i + 1 :]
        if house_in(left) or house_in(right):
            return None  # «Ленина 5 - Советская 7» names houses
        a, b = street_name(left), street_name(right)
        if a and b and a != b:
            return Place((a, b))
    return None


def street_address(toks: list[Token]) -> Place | None:
    """The street (and house) or crossroads an address field's tokens name, or None."""
    cross = crossroads([t for t in toks if t.text not in (",", ";")])
    if cross is not None:
        return cross
    segments = _segments(toks)
    named = [s for s in segments if street_name(s)]
    if not named:
        return None
    typed = [s for s in named if any(t.text in TYPES for t in s)]
    chosen = (typed or named)[0]
    street = street_name(chosen)
    if street is None:
        return None
    house = next((h for s in segments if (h := house_in(s, marked_only=True))), None)
    if house is None:
        at = segments.index(chosen)
        order = [chosen, *segments[at + 1 : at + 2], *segments[max(at - 1, 0) : at]]
        house = next((h for s in order if (h := house_in(s))), None)
    return Place((street,), house)


def has_house(key: str | None) -> bool:
    """Whether the key names one house (``ленин 5``), not only a street."""
    if not key or CROSS in key or " " not in key:
        return False
    return key.rsplit(" ", 1)[1][:1].isdigit()


def is_crossroads(key: str | None) -> bool:
    """Whether the key names a crossroads (``ленин / советский``)."""
    return key is not None and CROSS in key


def street_of(key: str | None) -> str | None:
    """The street part of a house key (``ленин 5`` → ``ленин``); crossroads have none."""
    if not key or is_crossroads(key):
        return None
    return key.rsplit(" ", 1)[0] if has_house(key) else key
