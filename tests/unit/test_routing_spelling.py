"""Routing forgives one slip in a long keyword word, lets a matter for its own body outrank
everyday words, and of two rules that say as much prefers the one named first (pure)."""

from __future__ import annotations

import pytest

from app.routing.precedence import TextView, find_hit
from app.routing.rules import RuleSpec, TicketFacts, evaluate
from app.routing.spelling import within_one_edit

SCHOOLS = RuleSpec(name="школы", department="education", id=1, keywords=("школа", "детский сад"))
LIGHTS = RuleSpec(name="светофоры", department="roads", id=2, keywords=("светофор",))
HEATING = RuleSpec(name="отопление", department="zhkh", id=3, keywords=("отопление", "труба"))
ROADS = RuleSpec(name="дороги", department="roads", id=4, keywords=("дорога", "яма", "кран"))
TRADE = RuleSpec(name="торговля", department="economy", id=5, keywords=("торговать",))
HOUSES = RuleSpec(name="дома", department="zhkh", id=6, keywords=("подъезд",))
POLICE = RuleSpec(name="полиция", department="press", id=7, keywords=("!наркотики", "!полиция"))


def winner(rules: list[RuleSpec], text: str) -> str | None:
    facts = TicketFacts("api", "direct_request", "phone", ("other",), text)
    match = evaluate(rules, facts).match
    return match.rule.name if match else None


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        ("светофор", "светафор", True),  # a letter changed
        ("отопления", "отопленя", True),  # a letter dropped
        ("батарея", "баттарея", True),  # a letter added
        ("батарея", "батраея", True),  # two neighbours swapped
        ("отопление", "отопленя", False),  # two edits
        ("светофор", "светофор", True),
    ],
)
def test_one_edit(a: str, b: str, near: bool) -> None:
    assert within_one_edit(a, b) is near
    assert within_one_edit(b, a) is near


def test_a_misspelt_problem_beats_a_landmark_named_in_passing() -> None:
    text = "светафор у детского сада моргает желтым уже неделю"
    assert winner([SCHOOLS, LIGHTS], text) == "светофоры"
    facts = TicketFacts("api", "direct_request", "phone", ("other",), text)
    reason = evaluate([SCHOOLS, LIGHTS], facts).reason()
    assert "«светофор» (written «светафор»)" in reason
    assert "the other only a place" in reason


def test_a_misspelt_problem_alone_routes() -> None:
    assert winner([ROADS, HEATING], "отопленя нет в квартире холодина") == "отопление"


@pytest.mark.parametrize(
    "text",
    [
        "кросс у школы перенесли",  # «кросс» is one letter from «кран», but too short to forgive
        "Светофор у школы моргает",  # spelt right: the exact match wins, nothing else read
    ],
)
def test_no_forgiveness_for_short_words_or_when_spelt_right(text: str) -> None:
    rules = [SCHOOLS, ROADS, LIGHTS]
    expected = "светофоры" if "Светофор" in text else "школы"
    assert winner(rules, text) == expected


def test_a_known_word_is_never_read_as_a_misspelling() -> None:
    # «отопитель» is a word of its own, one letter from no form of «отопление»; «трубка» is
    # a known word too (and «труба» is too short to forgive anyway).
    assert find_hit("отопление", TextView("сломался отопитель в машине"), fuzzy=True) is None
    assert find_hit("труба", TextView("трубка не берут"), fuzzy=True) is None
    assert find_hit("светофор", TextView("светафор сломан")) is None  # only when asked


def test_of_two_problems_the_one_named_first_wins_before_rule_order() -> None:
    text = "Прорвало трубу во дворе, вода хлещет на дорогу"
    assert winner([ROADS, HEATING], text) == "отопление"
    assert winner([HEATING, ROADS], text) == "отопление"
    assert winner([ROADS, HEATING], "Яма на дороге, из неё торчит труба") == "дороги"


@pytest.mark.parametrize(
    "text",
    [
        "Соседи торгуют наркотиками в подъезде",
        "Участковый не реагирует, соседи торгуют наркотиками",
        "В подъезде торгуют, полиция не приезжает",
    ],
)
def test_a_decisive_keyword_outranks_everyday_words(text: str) -> None:
    assert winner([TRADE, HOUSES, POLICE], text) == "полиция"


def test_the_decisive_mark_is_not_part_of_the_keyword() -> None:
    hit = find_hit("!наркотики", TextView("торгуют наркотиками"))
    assert hit is not None and hit.decisive and hit.keyword == "наркотики"
    facts = TicketFacts("api", "direct_request", "phone", ("other",), "торгуют наркотиками")
    result = evaluate([TRADE, POLICE], facts)
    assert "«наркотики»" in result.reason() and "a matter for its own body" in result.reason()
