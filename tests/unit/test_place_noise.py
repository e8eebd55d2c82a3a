"""Numbers in a free text that are no address, and streets the city does not list (pure)."""

from __future__ import annotations

import pytest

from app.dedup.place_key import address_key, key_in_text
from app.dedup.place_noise import scrub
from app.directory.district_map import DistrictArea, DistrictMap

CITY = DistrictMap(
    [DistrictArea("center", None, ("ул. Ленина", "ул. Советская", "ул. Коммунаров"))]
)


def key(text: str) -> str | None:
    return key_in_text(text, CITY.streets)


@pytest.mark.parametrize(
    "text",
    [
        "Автобус 105 утром не пришёл на остановку",
        "Автобус 105 — водитель нагрубил пассажирке",
        "Маршрут 12 не ходит после 20:00",
        "Маршрутка 7 переполнена",
        "Троллейбус № 3 сломался",
        "рейс 101 отменили без объяснений",
        "Номер 15 не отвечает",
        "Квартира 15 затоплена соседями",
        "Подъезд 3 не убирают",
        "Повторно обращаюсь по заявке SD-2026-000101: яма так и не заделана",
        "Обращение № 4521 от 12.11.2026 осталось без ответа",
        "Dec 2025 -> яма на дороге",
        "Звоните 8 914 123-45-67, покажу",
        "+7 (914) 123 45 67 — перезвоните",
        "С 5 декабря 2025 года нет ответа",
        "Отключили воду в 20:30",
        "INC42 Яма на дороге",
    ],
)
def test_a_number_after_a_word_that_is_no_street_is_no_house(text: str) -> None:
    assert key(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a street the city knows, or one written with a street-type word: as before
        ("на Ленина 5 яма", "ленин 5"),
        ("яма у дома 5 по улице Ленина", "ленин 5"),
        ("Маршрут 12 сломался на улице Ленина, 7", "ленин 7"),
        ("Автобус № 12 стоит на ул. Советской", "советский"),  # the route is not the house
        # a street the city does not list: a feminine adjective or a surname before a number
        ("Октябрьская 5 в подвале канализация стоит", "октябрьский 5"),
        ("На Садовой 3 прорвало трубу", "садовый 3"),
        ("У Кирова 8 яма", "киров 8"),
        # any name before «дом»/«д.»: one house however the number is written
        ("Октябрьская, дом пять — подвал затоплен канализацией", "октябрьский 5"),
        ("Октябрьская, д. 9", "октябрьский 9"),
        ("ул. Октябрьская, д. 9", "октябрьский 9"),
        ("Строителей, д. 4 — нет света", "строитель 4"),
        # a phone number beside the address is left out, the house stays
        ("ул. Ленина, д. 5, тел. 8 914 123-45-67", "ленин 5"),
    ],
)
def test_streets_and_houses_still_read(text: str, expected: str) -> None:
    assert key(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Соседи, дом 5 — это безобразие",  # a common noun in the nominative is no street
        "Иванову 5 раз звонили",
        "Большая 2 недели стоит лужа",
    ],
)
def test_a_bare_number_after_an_ordinary_word_is_no_house(text: str) -> None:
    assert key(text) is None


def test_address_fields_refuse_vehicle_and_latin_words_too() -> None:
    assert address_key("Автобус 105") is None
    assert address_key("SD-2026-000101") is None
    assert address_key("Октябрьская, д. 9") == "октябрьский 9"


def test_scrub_keeps_houses_and_stretches() -> None:
    assert scrub("Ленина 5-7, д. 10–30") == "Ленина 5-7, д. 10–30"
    assert scrub("ул. 8 Марта, д. 5") == "ул. 8 Марта, д. 5"  # a street named by a date
    assert "2026" not in scrub("по заявке SD-2026-000101 от 30.11.2026 в 10:15")
