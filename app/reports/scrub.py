"""Scrubbing a citizen's words before anyone quotes them (the digest for «Глава в ответе»).

Removed: phones and e-mails (``app.access.personal_data.scrub_text``, marked «[телефон]» and
«[эл. почта]»), the applicant's own name parts, every person name natasha's Russian NER finds
(its models ship inside the wheels: no download) — but not a street named after someone
(«ул. Карла Маркса», «Матросова 3»: a word followed by a house number) —, name-shaped
phrases it may miss («Иванова А. П.»), flat numbers («кв. 12», «квартира 12», «в 45-й
квартире») and health details (diagnoses, injuries, hospitals, disability). The figures on
the hand-labelled corpus are in docs/CHANNELS.md (tests/unit/test_digest_scrub_corpus.py prints
them).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from app.access.personal_data import scrub_text

NAME, FLAT, HEALTH = "[имя]", "[кв.]", "[о здоровье]"
PHONE, EMAIL = "[телефон]", "[эл. почта]"
# ``scrub_text`` marks in English (logs, the quarantine); a quote is read in Russian.
_RUSSIAN_MARKS = {"[phone]": PHONE, "[email]": EMAIL}

# «Иванов Иван Иванович», «Иванова А. П.», «А.П. Иванова» (natasha's backstop).
_NAME_SHAPES = re.compile(
    r"\b[А-ЯЁ][а-яё]+\s+[А-ЯЁ][а-яё]+\s+[А-ЯЁ][а-яё]+(?:ович|евич|ич|овна|евна|ична|инична)\b"
    r"|\b[А-ЯЁ][а-яё]+\s+[А-ЯЁ]\.\s?[А-ЯЁ]\."
    r"|\b[А-ЯЁ]\.\s?[А-ЯЁ]\.\s?[А-ЯЁ][а-яё]+"
)
# A PER span right after these words is a street, a school or a square named after someone.
_NAMED_PLACE = re.compile(
    r"(?:\b(?:ул|улиц[аеуы]|пр|просп|проспект[аеу]?|пер|переул[оку]+|б-р|бульвар[аеу]?|пл"
    r"|площад[иья]|наб|набережн[аяойу]+|им|имени|шоссе|сквер[аеу]?|парк[аеу]?|мкр"
    r"|микрорайон[аеу]?|школ[аеыу]|памятник[аеу]?|район[аеу]?)\.?\s+(?:[А-ЯЁ][а-яё]+\s+)?"
    r"|\b(?:д\.|дом[ау]?)\s*\d+[а-я]?,?\s+по\s+)$",
    re.IGNORECASE,
)
# A house number right after a PER span: «Матросова 3», «Гагарина 12а», «Ленина 5/2» is a street
# and its house, not a person (but «Петров 70 лет», «Сидорова 3 раза» stay people).
_HOUSE_AFTER = re.compile(
    r"\s*,?\s*(?:д\.|дом)?\s*\d+(?:\s?[а-яё](?![а-яё]))?(?:\s?/\s?\d+[а-яё]?)?(?!\d)"
    r"(?!\s*(?:лет|год|раз|дн|дня|час|мин|сут|недел|месяц|руб|человек|семей|%|°"
    r"|-?(?:й|я|го|ой|ый|ая)\b))",
    re.IGNORECASE,
)
_FLAT = re.compile(
    r"(?:\b(?:кв|ком|комн)\.?\s*№?\s*\d+[а-я]?\b"
    r"|\bкв-?р[аеуы]?\s*№?\s*\d+[а-я]?\b"
    r"|\b(?:квартир[аеуыо][йм]?|комнат[аеуы])\s*(?:№\s*)?\d+[а-я]?\b(?!\s*(?:°|%|град|час|дн|дня"
    r"|мин|лет|год|раз|сут|недел|месяц|метр|м\b|см|руб|человек|семей))"
    r"|\b\d+(?:-?(?:й|я|ю|ой|ей|ем|ом|го|ая|ую))?\s+(?:квартир[аеуыо][йм]?|комнат[аеуы])\b"
    r"(?!\s*№?\s*\d))",
    re.IGNORECASE,
)
_W = r"[а-яё-]+"
_BODY = (
    r"(?:рук[уиае]|ног[уиае]|шейку\s+бедра|бедр[оа]|ребр[оа]|рёбра|позвоночник|ключиц[уы]"
    r"|запясть[ея]|лодыжк[уи]|колен[оа]|голов[уы]|плеч[оа]|таз|пал[ьецыц]+|нос|челюсть)"
)
_HEALTH = re.compile(
    "|".join(
        (
            # injuries: «сломала руку», «повредил ногу», «получила перелом шейки бедра»
            rf"\b(?:сломал[аи]?|поломал[аи]?|повредил[аи]?|вывихнул[аи]?|вывернул[аи]?|ушиб[лаи]*"
            rf"|разбил[аи]?|подвернул[аи]?)\s+(?:себе\s+)?(?:{_BODY}|{_W}\s+{_BODY})",
            rf"\b(?:получил[аи]?\s+)?(?:открыт\w+\s+|закрыт\w+\s+)?(?:перелом|сотрясени|травм|ушиб"
            rf"|вывих|ожог|ранени|порез)\w*(?:\s+(?:{_BODY}|мозга|позвоночника|шейки\s+бедра|головы"
            rf"|руки|ноги|\w+ой\s+степени))?",
            # hospitals and emergencies
            r"\b(?:лежит|лежала?|лежали|попал[аи]?|положили|увезли|забрали|находится|сейчас)?"
            r"\s*(?:в\s+|во\s+)?(?:больниц\w*|реанимаци\w*|травмпункт\w*|стационар\w*|хирурги[ия]"
            r"|кардиологи[ия]|онкодиспансер\w*|психбольниц\w*|хоспис\w*)",
            r"\b(?:госпитализир\w+|прооперир\w+|после\s+операции|на\s+операци\w+|на\s+скорой"
            r"|скорая\s+(?:увезла|забрала|приезжала)|вызвал[аи]?\s+скорую|вызывали\s+скорую)",
            # diagnoses and conditions
            r"\b(?:перенес(?:ла|ли|ший|шая)?\s+)?(?:инсульт|инфаркт|онкологи|рак\s+\w+|диабет"
            r"|астм|эпилепси|деменци|альцгеймер|паркинсон|туберкул[её]з|гипертони|пневмони"
            r"|бронхит|ковид|covid|коронавирус|ВИЧ|гепатит|шизофрени|аллерги|сахарн\w+\s+диабет"
            r"|химиотерапи|цирроз|катаракт|глаукома|варикоз|артроз|артрит|остеопороз)\w*",
            r"\b(?:инвалид\w*(?:\s+(?:[1-3I]+|перв\w+|втор\w+|трет\w+)(?:-?й)?\s+группы)?"
            r"|колясочни\w+|на\s+коляске|на\s+костылях|лежач\w+|незряч\w+|слепо\w*|глух\w+"
            r"|астматик\w*|диабетик\w*|беременн\w+|на\s+гемодиализе|диализ\w*)",
            r"\b(?:с\s+)?(?:высок\w+\s+)?(?:температур\w+\s+(?:под\s+)?(?:3[89]|40)|давлением\s+\d+)",
        )
    ),
    re.IGNORECASE,
)


class _Ner:
    """natasha's segmenter and NER tagger, loaded once per process on first use (~0.5 s)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parts: tuple[Any, Any] | None = None

    def persons(self, text: str) -> list[tuple[int, int]]:
        from natasha import Doc  # imported late: the models load only where quotes are wanted

        segmenter, tagger = self._load()
        doc = Doc(text)
        doc.segment(segmenter)
        doc.tag_ner(tagger)
        return [(s.start, s.stop) for s in doc.spans if s.type == "PER"]

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._parts is None:
                from natasha import NewsEmbedding, NewsNERTagger, Segmenter

                self._parts = (Segmenter(), NewsNERTagger(NewsEmbedding()))
            return self._parts


_NER = _Ner()


def _replace_spans(text: str, spans: Iterable[tuple[int, int]], mark: str) -> str:
    out, last = [], 0
    for start, stop in sorted(spans):
        if start < last:
            continue
        out += [text[last:start], mark]
        last = stop
    return "".join(out) + text[last:]


def _person_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for start, stop in _NER.persons(text):
        if _NAMED_PLACE.search(text[max(0, start - 40) : start]):
            continue  # «ул. Карла Маркса», «школа имени Пушкина»: a place, not a person
        if _HOUSE_AFTER.match(text, stop):
            continue  # «к остановке, Матросова 3»: a street and its house number
        spans.append((start, stop))
    return spans


def scrub_quote(text: str, known: Iterable[str | None] = ()) -> str:
    """``text`` fit to quote: no phones, e-mails, names, flat numbers or health details.

    The same text is scrubbed once per process (``_scrubbed``, a bounded LRU): the digest page
    is reloaded and downloaded with the same quotes, and the NER is the slow part (~20–60 ms a
    text on this hardware)."""
    return _scrubbed(text, tuple(sorted({k for k in known if k and len(k) >= 3})))


@lru_cache(maxsize=4096)
def _scrubbed(text: str, known: tuple[str, ...]) -> str:
    out = scrub_text(text)
    for english, russian in _RUSSIAN_MARKS.items():
        out = out.replace(english, russian)
    for value in sorted(known, key=len, reverse=True):
        out = re.sub(rf"\b{re.escape(value)}\b", NAME, out, flags=re.IGNORECASE)
    out = _FLAT.sub(FLAT, out)
    out = _HEALTH.sub(lambda m: (" " if m.group(0)[:1].isspace() else "") + HEALTH, out)
    out = _replace_spans(out, _person_spans(out), NAME)
    out = _NAME_SHAPES.sub(NAME, out)
    return re.sub(r"(?:\[имя\][\s,]*){2,}", NAME + " ", out).strip()


def scrub_address(address: str | None) -> str | None:
    """A place fit to print: the street and the house, never the flat («…, кв. 12» goes)."""
    if not address:
        return address
    return re.sub(r"[,\s]*\[кв\.\]", "", _FLAT.sub(FLAT, address)).strip(" ,")


def applicant_parts(applicant: object | None) -> list[str]:
    """The applicant's own name parts, e-mail and phone (removed even where NER misses them)."""
    if applicant is None:
        return []
    known: list[str] = []
    for name in ("full_name", "surname", "name", "patronymic", "email", "phone"):
        value = getattr(applicant, name, None)
        if value:
            known += [value, *value.split()] if name == "full_name" else [value]
    return known
