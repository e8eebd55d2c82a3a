"""Place keys: one key for one place however its address is written (no database)."""

from __future__ import annotations

import pytest

from app.dedup.place import has_house, is_crossroads, street_of
from app.dedup.place_key import address_key, key_in_text
from app.directory.district_map import DistrictArea, DistrictMap

CITY = DistrictMap([DistrictArea("center", None, ("Ленина", "Советская", "Покуса"))])


@pytest.mark.parametrize(
    "address",
    [
        "ул. Ленина, д. 5",
        "Ленина 5",
        "улица Ленина, 5",
        "дом 5 по улице Ленина",
        "5, Ленина ул.",
        "Ленина ул., д.5",
        "г. Спасск-Дальний, ул. Ленина, д. 5, кв. 14",
        "Приморский край, г. Спасск-Дальний, Ленина, дом 5, подъезд 2",
        "Ленина, дом пять",
    ],
)
def test_street_type_words_in_any_order_and_position(address: str) -> None:
    assert address_key(address) == "ленин 5"


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("ул. Ленина, 12а", "ленин 12а"),
        ("Ленина 12 А", "ленин 12а"),
        ("Ленина, 12-а", "ленин 12а"),
        ("ул. Ленина, д. 12 «а»", "ленин 12а"),
        ("Ленина, д.12/1", "ленин 12/1"),
        ("Ленина, 12, корп. 1", "ленин 12/1"),
        ("Ленина 12к1", "ленин 12/1"),
        ("ул. Ленина, дом 12", "ленин 12"),
        ("Коммунаров двадцать четыре", "коммунар 24"),
    ],
)
def test_house_number_spellings(address: str, key: str) -> None:
    assert address_key(address) == key


def test_a_lower_case_letter_after_a_space_is_a_house_letter_only_at_the_end() -> None:
    assert key_in_text("Ленина 5 а также во дворе яма", CITY.streets) == "ленин 5"
    assert address_key("Ленина 5 а") == "ленин 5а"


@pytest.mark.parametrize(
    "address",
    [
        "перекрёсток Ленина и Советской",
        "перекресток улиц Советская и Ленина",
        "Ленина / Советская",
        "Советская/Ленина",
        "угол ул. Советской и ул. Ленина",
        "на углу Ленина с Советской",
        "пересечение ул. Ленина и ул. Советская",
        "ул. Советская - ул. Ленина",
    ],
)
def test_crossroads_are_an_unordered_pair_of_streets(address: str) -> None:
    key = address_key(address)
    assert key == "ленин / советский"
    assert is_crossroads(key) and not has_house(key) and street_of(key) is None


@pytest.mark.parametrize(
    "text",
    [
        "Огромная яма на перекрёстке Ленина и Советской, пробил колесо",
        "светофор Ленина / Советская не работает",
        "на углу Советской и Ленина не горит фонарь",
        "Перекресток ул. Ленина - ул. Советская, нет разметки",
        "Ленина-Советская: светофор мигает",
    ],
)
def test_crossroads_in_free_text(text: str) -> None:
    assert CITY.place_key(None, text) == "ленин / советский"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Яма у дома 5 на улице Ленина", "ленин 5"),
        ("На Ленина у пятого дома яма", "ленин 5"),
        ("на советской 12 нет горячей воды", "советский 12"),
        ("Лифт стоит. Парковая 3, второй подъезд", "парковый 3"),
        ("дом 12 А по ул. Нагорной течёт крыша", "нагорный 12а"),
        ("нет воды уже 3 дня на Покуса", "покус"),
        ("У второй школы бегает стая собак", "школа 2"),
        ("в 14 садике холодно в группах", "детсад 14"),
        ("прошло 5 дней, никто не пришёл", None),
    ],
)
def test_place_in_free_text(text: str, key: str | None) -> None:
    assert CITY.place_key(None, text) == key


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("школа №2", "школа 2"),
        ("МБОУ СОШ № 1", "школа 1"),
        ("ул. Садовая, детский сад №12", "детсад 12"),
        ("городской парк", "парк"),
        ("ост. Рынок", "рынок"),
        ("ул. Андреевская, д. 10–30", "андреевский"),
        ("ул. Андреевская от д. 10 до д. 30", "андреевский"),
    ],
)
def test_landmarks_and_stretches_of_street(address: str, key: str) -> None:
    assert address_key(address) == key


def test_an_address_field_wins_over_the_text() -> None:
    assert CITY.place_key("ул. Советская, 3", "яма на Ленина 5") == "советский 3"
    assert CITY.place_key(None, "") is None and address_key("  ") is None


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Павильон остановки на привокзальной площади разгромили", "привокзальный"),
        ("фонари не горят до конца улицы", None),
        ("на нашей улице темно", None),
        ("остановку на площади не чистят", None),
    ],
)
def test_a_street_type_word_takes_a_name_not_any_neighbour(text: str, key: str | None) -> None:
    assert CITY.place_key(None, text) == key


def test_a_street_name_ends_where_the_address_says_where_on_it() -> None:
    assert address_key("Кирова напротив магазина") == "киров"
    assert address_key("МБДОУ «Детский сад № 12»") == "детсад 12"
