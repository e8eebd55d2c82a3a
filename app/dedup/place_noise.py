"""What in a text looks like an address but never is one (pure).

«по заявке SD-2026-000101», «Dec 2025», «30.11.2026», «в 20:00», «8 914 123-45-67» hold numbers
that must not become a house; «Автобус 105», «Маршрут № 12», «квартира 15» put a word before a
number that is not a street. ``scrub`` blanks the first kind out of a text before it is read;
``never_street`` names the words of the second kind (compared by lemma, so every form).
"""

from __future__ import annotations

import re
from functools import lru_cache

from app.routing.ru_text import STREET_TYPES, lemma

_MONTHS = (
    "январ[ьяюе]|феврал[ьяюе]|март[аеу]?|апрел[ьяюе]|ма[йяюе]|июн[ьяюе]|июл[ьяюе]|"
    "август[аеу]?|сентябр[ьяюе]|октябр[ьяюе]|ноябр[ьяюе]|декабр[ьяюе]"
)
_NOISE = re.compile(
    "|".join(
        (
            # identifiers: SD-2026-000101, INC_42, 2026-000-101, ABC123
            r"\b[A-Za-z][A-Za-z0-9]*(?:[-_/.][A-Za-z0-9]+)+\b",
            r"\b\d+(?:[-_]\d+){2,}\b",
            r"\b[A-Za-z]+\d[A-Za-z0-9]*\b|\b\d+[A-Za-z][A-Za-z0-9]*\b",
            # dates and times: 30.11.2026, 2026-11-30T10:00, 5 декабря, 2025 г., 20:00
            r"\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b",
            r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?",
            rf"\b\d{{1,2}}\s*(?:-?го\s+)?(?:{_MONTHS})\b(?:\s+\d{{4}})?",
            r"\b(?:19|20)\d{2}\s*(?:г\b\.?|год[аеу]?\b)",
            r"\b\d{1,2}:\d{2}(?::\d{2})?\b",
            # phone-like runs: seven digits or more, spaces, brackets and dashes between
            r"\+?\d[\d\s()\-–]{5,}\d",
        )
    ),
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_PHONE_DIGITS = 7

# A number after these is never a house, and they never name a street: vehicles and routes,
# flats and floors, the numbers of requests and accounts (landmarks have their own parser).
_NOT_STREET = (
    "автобус маршрут маршрутка троллейбус трамвай такси рейс электричка поезд вагон номер "
    "квартира подъезд этаж офис кабинет комната палата заявка обращение жалоба письмо "
    "телефон счет договор лицевой участок остановка"
)


_TYPED_BEFORE = re.compile(
    r"(?:^|\s)(?:" + "|".join(sorted(STREET_TYPES, key=len, reverse=True)) + r")\.?\s*$", re.I
)


def _blank(m: re.Match[str]) -> str:
    found = m.group(0)
    is_run = found[:1] in "+0123456789" and not re.search(r"[A-Za-zА-Яа-я:./]", found)
    if is_run and len(_DIGIT.findall(found)) < _PHONE_DIGITS:
        return found  # «Ленина 5 - 7», «д. 10–30»: a house or a stretch, read later
    if _TYPED_BEFORE.search(m.string[max(0, m.start() - 16) : m.start()]):
        return found  # «ул. 8 Марта»: a street named by a date
    return " ; "


def scrub(text: str) -> str:
    """The text with identifiers, dates, times and phone numbers replaced by a separator."""
    return _NOISE.sub(_blank, text)


@lru_cache(maxsize=1)
def _not_street() -> frozenset[str]:
    return frozenset(lemma(w) for w in _NOT_STREET.split())


def never_street(word: str) -> bool:
    """Whether the word can never be (part of) a street's name: a vehicle, route, flat, request
    word, or a word not written in Cyrillic («SD», «Dec»)."""
    if not re.fullmatch(r"[а-яё]+(?:-[а-яё]+)*", word.lower()):
        return True
    return lemma(word) in _not_street()
