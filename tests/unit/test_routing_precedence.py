"""Rule precedence: a problem named beats a place named in passing, a rule covering more of
the text beats a vaguer one, order breaks ties, a rule without keywords ends the reading."""

from __future__ import annotations

import pytest

from app.routing.precedence import TextView, find_hit
from app.routing.rules import RuleSpec, TicketFacts, decide, evaluate

SCHOOLS = RuleSpec(name="школы", department="education", id=1, keywords=("школа", "детский сад"))
ROADS = RuleSpec(name="дороги", department="roads", id=2, keywords=("яма", "дорога", "снег"))
LIGHTS = RuleSpec(name="фонари", department="blago", id=3, keywords=("фонарь",))
ROOFS = RuleSpec(name="крыши", department="zhkh", id=4, keywords=("снег на крыше", "сосулька"))
CHATBOT = RuleSpec(name="чат-бот", department="admcom", id=5, sources=frozenset({"chatbot"}))
EVERYTHING = RuleSpec(name="всё прочее", department="press", id=6)


def facts(text: str, source: str = "api") -> TicketFacts:
    return TicketFacts(source, "direct_request", "phone", ("other",), text)


def winner(rules: list[RuleSpec], text: str, source: str = "api") -> str | None:
    match = evaluate(rules, facts(text, source)).match
    return match.rule.name if match else None


@pytest.mark.parametrize(
    "text",
    [
        "Яма на дороге возле школы",
        "Огромная яма у школы, дети ходят по лужам",
        "Около нашей школы яма",
        "Рядом со школой яма на проезжей части",
        "Напротив школы № 5 яма",
        "Недалеко от 5-й школы глубокая яма",
        "У детского сада яма, машины объезжают по газону",
    ],
)
def test_a_problem_beats_a_landmark_named_in_passing(text: str) -> None:
    assert winner([SCHOOLS, ROADS], text) == "дороги"


def test_the_reason_names_the_place_and_why_the_other_rule_lost() -> None:
    result = evaluate([SCHOOLS, ROADS, LIGHTS], facts("У нашей школы не горит фонарь"))
    reason = result.reason()
    assert result.match is not None and result.match.rule is LIGHTS
    assert "«фонарь»" in reason
    assert "preferred to «школы»" in reason and "the other only a place" in reason
    assert [c.rule.name for c in result.outranked] == ["школы"]
    assert result.outranked[0].hits[0].place == "у нашей школы"


@pytest.mark.parametrize(
    "text",
    [
        "В школе не кормят детей горячим",
        "Ребёнка не берут в детский сад, очередь не движется",
        "Учительница в школе возле дороги кричит на детей",
    ],
)
def test_the_school_as_the_subject_stays_with_education(text: str) -> None:
    assert winner([ROADS, SCHOOLS], text) == "школы"


def test_a_landmark_alone_still_routes_when_nothing_names_a_problem() -> None:
    decision = decide(
        facts("Возле школы опять непонятно что творится"),
        [ROADS, SCHOOLS],
        category_department=None,
        triage_department="press",
    )
    assert (decision.department_code, decision.method) == ("education", "rule")
    assert "«школа» only as a place («возле школы»)" in decision.reason


def test_a_rule_covering_more_of_the_text_beats_an_earlier_vaguer_one() -> None:
    result = evaluate([ROADS, ROOFS], facts("С крыши свисает снег, того и гляди упадёт"))
    assert result.match is not None and result.match.rule is ROOFS
    assert "cover 2 words of the text, not 1" in result.reason()
    # The street's snow stays with the roads: «крыша» is not in the text.
    assert winner([ROADS, ROOFS], "Не чистят снег на улице") == "дороги"


def test_of_two_rules_saying_as_much_the_one_named_first_in_the_text_wins() -> None:
    text = "Снег завалил фонарь"
    assert winner([ROADS, LIGHTS], text) == "дороги"
    assert winner([LIGHTS, ROADS], text) == "дороги"
    assert (
        "its keyword comes earlier in the text" in evaluate([LIGHTS, ROADS], facts(text)).reason()
    )


def test_equal_standing_goes_by_order() -> None:
    also_lights = RuleSpec(name="освещение", department="roads", id=7, keywords=("фонарь",))
    text = "Снег завалил фонарь"
    assert winner([LIGHTS, also_lights], "Не горит фонарь") == "фонари"
    assert winner([also_lights, LIGHTS], "Не горит фонарь") == "освещение"
    reason = evaluate([also_lights, LIGHTS], facts(text)).reason()
    assert "preferred to «фонари» (it comes first in order)" in reason


def test_a_rule_without_keywords_that_matches_first_takes_the_ticket() -> None:
    assert winner([CHATBOT, ROADS], "Яма во дворе", source="chatbot") == "чат-бот"
    assert winner([CHATBOT, ROADS], "Яма во дворе") == "дороги"  # not from the chat-bot


def test_rules_after_a_matching_rule_without_keywords_are_not_read() -> None:
    # The keyword rules before the catch-all compete; the one after it is never reached.
    assert winner([SCHOOLS, EVERYTHING, ROADS], "Яма возле школы") == "школы"
    assert winner([EVERYTHING, ROADS], "Яма") == "всё прочее"


def test_the_routed_event_records_the_matched_keywords() -> None:
    decision = decide(
        facts("Яма на дороге возле школы"),
        [SCHOOLS, ROADS],
        category_department=None,
        triage_department="press",
    )
    data = decision.event_data()
    assert data["rule"] == {"id": 2, "name": "дороги"}
    assert data["keywords"] == ["яма", "дорога"]


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("мусор у подъезда", "у подъезда"),
        ("мусор возле детского сада", "возле детского сада"),
        ("мусор рядом с детским садом", "рядом с детским садом"),
    ],
)
def test_place_phrases(text: str, place: str) -> None:
    hit = find_hit("подъезд" if "подъезд" in text else "детский сад", TextView(text))
    assert hit is not None and hit.place == place


def test_a_word_named_once_as_a_place_and_once_as_the_subject_is_the_subject() -> None:
    hit = find_hit("школа", TextView("Возле школы стоит другая школа, в ней холодно"))
    assert hit is not None and hit.place is None


def test_plain_prepositions_do_not_make_a_place() -> None:
    for text in ("В школе холодно", "Плата за детский сад выросла", "На школе протекает крыша"):
        hit = find_hit("школа" if "школ" in text else "детский сад", TextView(text))
        assert hit is not None and hit.place is None, text
