"""Russian text helpers for routing and duplicates: stems, street names, address keys (pure)."""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[0-9a-zа-я]+(?:[-/][0-9a-zа-я]+)*")
_HOUSE = re.compile(r"^\d{1,4}[а-я]?(?:/\d{1,4}[а-я]?)?$")
_stemmer = snowballstemmer.stemmer("russian")


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


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball (Russian) stem of one lower-case word: «ямы», «яму», «ямой» → «ям»."""
    return str(_stemmer.stemWord(word))


def stems(text: str) -> list[str]:
    """Stems of every word of the text, in order."""
    return [stem(w) for w in words(text)]


_STOP = _set(
    "и в во на не у к ко с со о об от до по за из под над при для что как это так же уже "
    "а но или ли бы мы вы я он она они оно их его ее нас вам нам вас мне меня все всё "
    "уже очень просто просим прошу пожалуйста здравствуйте добрый день уважаемые"
)


@lru_cache(maxsize=16384)  # an open ticket's text is compared with every new one nearby
def stem_set(text: str) -> frozenset[str]:
    """Stems of the words that carry meaning (no prepositions, pronouns or greetings)."""
    return frozenset(stem(w) for w in words(text) if w not in _STOP)


def street_stems(name: str) -> tuple[str, ...]:
    """A street name reduced to the stems of its own words: «ул. Ленина», «улица Ленина»,
    «Ленина ул» all give ``("ленин",)``."""
    return tuple(stem(w) for w in words(name) if w not in STREET_TYPES and not _HOUSE.match(w))


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


def address_key(address: str | None) -> str | None:
    """A normalised place key, street stems and house: «ул. Ленина, д. 5» → ``ленин 5``."""
    if not address or not address.strip():
        return None
    street, house = _street_segment(address)
    if not street:
        return None
    key = " ".join(stem(w) for w in street)
    return f"{key} {house}" if house else key


def find_street(text: str, streets: dict[tuple[str, ...], str]) -> str | None:
    """The value of the first known street (by stems) named in the text, longest names first."""
    if not text:
        return None
    street, _ = _street_segment(text)
    if street:
        hit = streets.get(tuple(stem(w) for w in street))
        if hit is not None:
            return hit
    seq = stems(text)
    for name in sorted(streets, key=len, reverse=True):
        n = len(name)
        if n and any(tuple(seq[i : i + n]) == name for i in range(len(seq) - n + 1)):
            return streets[name]
    return None


_HOUSE_AFTER = re.compile(r"^(?:д|дом|дома|доме|домом|№)$")


def address_key_in_text(text: str, streets: dict[tuple[str, ...], str]) -> str | None:
    """A place key from free text that names a known street, e.g. «яма у дома 5 на Ленина»:
    the street's stems and the house number next to it or after «дом»."""
    seq = words(text)
    seq_stems = [stem(w) for w in seq]
    for name in sorted(streets, key=len, reverse=True):
        n = len(name)
        for i in range(len(seq_stems) - n + 1):
            if tuple(seq_stems[i : i + n]) != name:
                continue
            house = None
            after = seq[i + n : i + n + 2]
            if after and _HOUSE.match(after[0]):
                house = after[0]
            else:
                for j, w in enumerate(seq):
                    if _HOUSE_AFTER.match(w) and j + 1 < len(seq) and _HOUSE.match(seq[j + 1]):
                        house = seq[j + 1]
                        break
            key = " ".join(name)
            return f"{key} {house}" if house else key
    return None


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """How alike two texts are by their stems (overlap over the smaller set, 0..1)."""
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return (inter / min(len(a), len(b)) + inter / len(a | b)) / 2
