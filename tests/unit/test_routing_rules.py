"""Rule evaluation, districts and place keys as pure functions: no database."""

from __future__ import annotations

import pytest

from app.dedup.place_key import address_key
from app.directory.district_map import DistrictArea, DistrictMap
from app.routing.ru_text import street_lemmas
from app.routing.rules import RuleSpec, Suggestion, TicketFacts, decide, evaluate

POTHOLES = RuleSpec(name="ямы", department="roads", id=1, keywords=("яма",))
CHATBOT = RuleSpec(name="чат-бот", department="admcom", id=2, sources=frozenset({"chatbot"}))
SOUTH_HEATING = RuleSpec(
    name="юг, отопление",
    department="zhkh",
    id=3,
    categories=frozenset({"housing"}),
    districts=frozenset({"south"}),
    priorities=frozenset({"critical"}),
)


def facts(text: str = "Просьба разобраться", **kw: object) -> TicketFacts:
    base: dict[str, object] = {
        "source": "feedback_platform",
        "kind": "pos_message",
        "channel": "gosuslugi",
        "category_path": ("other",),
        "text": text,
    }
    base.update(kw)
    return TicketFacts(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "Огромная яма у дома",
        "Кругом ямы, не проехать",
        "Прошу заделать яму на дороге",
        "Машина попала колесом под ямой",
        "Ямами усеяна вся улица",
        "ЯМА на перекрёстке",
    ],
)
def test_keyword_matches_every_word_form(text: str) -> None:
    result = evaluate([POTHOLES], facts(text))
    assert result.match is not None and result.match.rule is POTHOLES
    assert "«яма»" in result.match.reason()


def test_keyword_does_not_match_other_words() -> None:
    assert evaluate([POTHOLES], facts("Ямщик и ямб не про дороги")).match is None


def test_phrase_needs_all_its_words_in_any_form() -> None:
    rule = RuleSpec(name="горячая вода", department="zhkh", keywords=("горячая вода",))
    assert evaluate([rule], facts("Нет горячей воды третий день")).match is not None
    assert evaluate([rule], facts("Горячий чай, холодная вода")).match is not None
    assert evaluate([rule], facts("Нет воды")).match is None


def test_first_match_wins_in_order() -> None:
    # Two rules that say as much, with their keyword at one place in the text: order decides.
    also_potholes = RuleSpec(name="дороги", department="blago", keywords=("ямы",))
    f = facts("Яма на дороге")
    assert evaluate([POTHOLES, also_potholes], f).match.rule is POTHOLES  # type: ignore[union-attr]
    assert evaluate([also_potholes, POTHOLES], f).match.rule is also_potholes  # type: ignore[union-attr]


def test_all_conditions_must_hold_and_near_misses_name_the_failed_one() -> None:
    hit = facts(category_path=("heating", "housing"), district="south", priority="critical")
    result = evaluate([SOUTH_HEATING], hit)
    assert result.match is not None and "under housing" in result.match.reason()

    miss = facts(category_path=("heating", "housing"), district="north", priority="critical")
    result = evaluate([SOUTH_HEATING, CHATBOT], miss)
    assert result.match is None
    assert [(c.rule.name, c.failed) for c in result.near_misses] == [
        ("юг, отопление", ("district",))
    ]


def test_source_kind_channel_conditions() -> None:
    rule = RuleSpec(
        name="ВК посты",
        department="press",
        sources=frozenset({"incident_management"}),
        kinds=frozenset({"social_post"}),
        channels=frozenset({"vk"}),
    )
    post = facts(source="incident_management", kind="social_post", channel="vk")
    assert evaluate([rule], post).match is not None
    assert evaluate([rule], facts(source="incident_management", kind="social_post")).match is None
    assert evaluate([CHATBOT], facts(source="chatbot")).match is not None


def decide_for(f: TicketFacts, rules: list[RuleSpec], **kw: object):  # type: ignore[no-untyped-def]
    options: dict[str, object] = {
        "category_department": None,
        "triage_department": "press",
        "min_confidence": 0.6,
    }
    options.update(kw)
    return decide(f, rules, **options)  # type: ignore[arg-type]


def test_order_rule_then_category_then_model_then_triage() -> None:
    model = lambda _f: Suggestion("education", 0.9)  # noqa: E731
    pothole = facts("Яма у школы")
    assert decide_for(pothole, [POTHOLES], suggest=model).method == "rule"
    plain = facts("Что-то непонятное")
    by_category = decide_for(plain, [POTHOLES], category_department="zhkh", suggest=model)
    assert (by_category.method, by_category.department_code) == ("category", "zhkh")
    by_model = decide_for(plain, [POTHOLES], suggest=model)
    assert (by_model.method, by_model.department_code) == ("model", "education")
    assert by_model.confidence == 0.9 and "0.90" in by_model.reason
    triage = decide_for(plain, [POTHOLES], suggest=lambda _f: Suggestion("education", 0.4))
    assert (triage.method, triage.department_code, triage.is_triage) == ("triage", "press", True)
    assert "below" in triage.reason


def test_the_model_is_not_even_asked_when_a_rule_matches() -> None:
    asked: list[TicketFacts] = []

    def model(f: TicketFacts) -> Suggestion:
        asked.append(f)
        return Suggestion("education", 1.0)

    decision = decide_for(facts("Яма"), [POTHOLES], suggest=model, min_confidence=0.0)
    assert (decision.department_code, decision.method, decision.rule_name) == (
        "roads",
        "rule",
        "ямы",
    )
    assert asked == []


def test_a_rule_to_an_inactive_department_is_skipped() -> None:
    decision = decide_for(facts("Яма"), [POTHOLES], active_departments=frozenset({"press"}))
    assert decision.method == "triage"


def test_event_data_names_the_rule() -> None:
    data = decide_for(facts("Яма", district="center"), [POTHOLES]).event_data()
    assert data["rule"] == {"id": 1, "name": "ямы"} and data["method"] == "rule"
    assert data["district"] == "center"


@pytest.mark.parametrize(
    "address",
    [
        "ул. Ленина, д. 5",
        "улица Ленина, 5",
        "Ленина ул., 5",
        "г. Спасск-Дальний, ул. Ленина, д.5",
        "возле дома 5 по улице Ленина",
    ],
)
def test_address_forms_give_one_key(address: str) -> None:
    assert address_key(address) == "ленин 5"


def test_street_names_normalise() -> None:
    assert (
        street_lemmas("ул. Ленина") == street_lemmas("улица Ленина") == street_lemmas("Ленина ул")
    )
    assert street_lemmas("Краснознамённая") == street_lemmas("краснознаменная улица")


RING = [[132.805, 44.59], [132.83, 44.59], [132.83, 44.605], [132.805, 44.605], [132.805, 44.59]]
CITY = DistrictMap(
    [
        DistrictArea("center", {"type": "Polygon", "coordinates": [RING]}, ("Ленина", "Советская")),
        DistrictArea("south", None, ("Краснознамённая", "Матросова")),
    ]
)


def test_district_by_point_wins_over_address() -> None:
    assert CITY.locate(lat=44.595, lon=132.81, address="ул. Матросова, 1") == ("center", "point")


def test_district_by_address_forms() -> None:
    for address in ("ул. Ленина, 3", "улица Ленина 3", "Ленина ул, 3", "на Советской улице"):
        assert CITY.locate(lat=None, lon=None, address=address) == ("center", "address")
    assert CITY.locate(lat=None, lon=None, address="Краснознаменная, 7") == ("south", "address")
    assert CITY.locate(lat=10.0, lon=10.0, address="Где-то") == (None, "unknown")


def test_place_key_from_text_when_there_is_no_address() -> None:
    assert CITY.place_key(None, "Яма у дома 5 на улице Ленина") == "ленин 5"
    assert CITY.place_key(None, "Яма на Советской 12") == "советский 12"
