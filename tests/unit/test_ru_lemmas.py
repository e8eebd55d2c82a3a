"""Word forms that must reach one lemma (pymorphy3): the table docs/ROUTING.md shows too."""

from __future__ import annotations

import pytest

from app.routing.ru_text import lemma, lemma_set, lemmas
from app.routing.rules import keyword_hit
from app.tickets.search_text import search_document, search_query

# lemma → forms: cases, numbers, short and long adjectives, participles, ё/е.
WORD_FORMS: dict[str, str] = {
    "яма": "яма ямы яме яму ямой ямами ям ямах",
    "батарея": "батарея батареи батарее батарею батареей батарей батареям батареями батареях",
    "подъезд": "подъезд подъезда подъезде подъездом подъезды подъездов подъездах",
    "фонарь": "фонарь фонаря фонарю фонарём фонарем фонаре фонари фонарей фонарями",
    "мусор": "мусор мусора мусору мусором мусоре",
    "собака": "собака собаки собаке собаку собакой собак собаками",
    "двор": "двор двора двору двором дворе дворы дворов",
    "крыша": "крыша крыши крыше крышу крышей крыш",
    "светофор": "светофор светофора светофоре светофоры светофоров",
    "остановка": "остановка остановки остановке остановку остановкой остановок",
    "снег": "снег снега снегу снегом снеге",
    "вода": "вода воды воде воду водой",
    "дорога": "дорога дороги дороге дорогу дорогой дорог дорогам",
    "люк": "люк люка люки люков",
    "лужа": "лужа лужи луже лужу лужей луж",
    "труба": "труба трубы трубе трубу трубой труб",
    "отопление": "отопление отопления отоплении отоплением",
    "сосулька": "сосулька сосульки сосулек сосульками",
    "гололед": "гололёд гололед гололеда гололёдом",
    "елка": "ёлка елка ёлки елки",
    "горячий": "горячий горячая горячей горячую горячие горячих горячего",
    "холодный": "холодный холодная холодные холодных холоден холодна холодны",
    "грязный": "грязный грязная грязные грязен грязна",
    "разбить": "разбитый разбитая разбитые разбита разбиты",
    "сломать": "сломан сломана сломанная сломанные сломанный",
    "течь": "течь течёт течет",
}
CASES = [(expected, form) for expected, forms in WORD_FORMS.items() for form in forms.split()]


@pytest.mark.parametrize(("expected", "form"), CASES, ids=[f for _, f in CASES])
def test_every_form_reaches_its_lemma(expected: str, form: str) -> None:
    assert lemma(form) == expected
    assert lemma(form.upper()) == expected  # capitalised at the start of a sentence


# Keyword → texts it must match (routing), each with the keyword in another form.
PHRASES: list[tuple[str, str]] = [
    ("батарея", "Холодные батареи в квартире"),
    ("батарея", "Что-то с батареей"),
    ("батарея", "Нет тепла, восемь батарей ледяные"),
    ("горячая вода", "Третий день нет горячей воды"),
    ("горячая вода", "Дайте горячую воду!"),
    ("яма", "Ям на дороге всё больше"),
    ("яма", "Машина попала в яму"),
    ("фонарь", "Не горят фонари у школы"),
    ("течь в подъезде", "Течёт крыша, в подъездах сыро"),
    ("снег", "Не вывозят снег со двора"),
    ("собака", "Стая бездомных собак"),
    ("светофор", "На перекрёстке не работает светофор"),
]


@pytest.mark.parametrize(("keyword", "text"), PHRASES)
def test_keyword_matches_other_forms(keyword: str, text: str) -> None:
    assert keyword_hit(keyword, lemma_set(text))


def test_keyword_needs_every_word_of_a_phrase() -> None:
    assert not keyword_hit("горячая вода", lemma_set("Холодная вода из крана ржавая"))
    assert not keyword_hit("батарея", lemma_set("Яма на дороге"))


def test_numbers_latin_and_single_letters_pass_through() -> None:
    assert lemmas("дом 5а, кв. 12, WiFi, д 7") == ["дом", "5а", "кв", "12", "wifi", "д", "7"]


def test_the_search_document_and_query_use_the_same_lemmas() -> None:
    doc = search_document("Холодные батареи в подъезде", "ул. Ленина, д. 5")
    assert doc == "холодный батарея в подъезд ул ленин д 5"
    assert search_query("Батареей") == "батарея"
    assert search_query('"холодные батареи" -подъездах OR ямы') == (
        '"холодный батарея" -подъезд or яма'
    )
    assert search_query("яма на дороге") == "яма дорога"  # prepositions dropped outside quotes
    assert search_query('"яма на дороге"') == '"яма на дорога"'  # a phrase keeps its words
    assert search_query("на") == "на"  # nothing but stop words: left to PostgreSQL


def test_docs_show_the_same_table() -> None:
    from pathlib import Path

    routing = Path(__file__).resolve().parents[2] / "docs" / "ROUTING.md"
    section = routing.read_text(encoding="utf-8").split("## Word forms", 1)[1].split("\n## ")[0]
    rows = [line.split("|")[1:3] for line in section.splitlines() if line.startswith("| ")]
    shown = {k.strip(): " ".join(v.replace(",", " ").split()) for k, v in rows[1:]}
    assert shown == WORD_FORMS
