"""Every timeline event type the code can record has a Russian name in the console, and the
system's own reasons and actors read in Russian."""

from __future__ import annotations

import re
from pathlib import Path

from app.console import labels, timeline

APP = Path(__file__).resolve().parents[2] / "app"
# record_event(…, type="x" …) and TicketEvent(…, type="x" …), also `"x" if … else "y"`.
CALL = re.compile(r"(?:record_event|TicketEvent)\((?:[^()]|\([^()]*\))*?\btype=([^,)]+)", re.S)
# An event written as a row (an intake batch buffers them): {"ticket_id": …, "type": "x", …}.
ROW = re.compile(r'\{\s*"ticket_id":[^{}]*?"type": ("[a-z_]+")')


def recorded_types() -> set[str]:
    found: set[str] = set()
    for path in APP.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for argument in CALL.findall(text) + ROW.findall(text):
            found.update(re.findall(r'"([a-z_]+)"', argument))
    return found


def test_the_scan_finds_the_known_types() -> None:
    types = recorded_types()
    # a scan that found nothing would pass the next test vacuously
    assert {"created", "routed", "rerouted", "deadlines", "feedback", "source_updated"} <= types


def test_every_recorded_event_type_has_a_russian_name() -> None:
    missing = sorted(recorded_types() - labels.EVENT.keys())
    assert not missing, f"add these to app.console.labels.EVENT: {missing}"
    assert all(re.search("[а-яё]", name) for name in labels.EVENT.values())


def test_actors_read_as_words() -> None:
    users = {"demo-zhkh": "Анна Иванова"}
    assert timeline.actor_name("user:demo-zhkh", users) == "Анна Иванова"
    assert timeline.actor_name("user:gone", users) == "gone"
    assert timeline.actor_name("key:1", users) == "интеграция (ключ 1)"
    assert timeline.actor_name("connector:incident_management", users) == "Инцидент Менеджмент"
    assert timeline.actor_name("system:routing", users) == "маршрутизация"
    assert timeline.actor_name("system:outbox", users) == "отправка ответов"
    assert timeline.actor_name("system:something_new", users) == "система"


def test_routing_reasons_come_from_what_routing_recorded() -> None:
    why = timeline.routing_reason("rule", rule="Ямы", keywords=["яма", "дорога"])
    assert why == "правило «Ямы»: в тексте яма, дорога"
    category = timeline.routing_reason("category", category="Электро- и газоснабжение")
    assert (
        category == "правила не подошли; категория «Электро- и газоснабжение» закреплена за отделом"
    )
    assert timeline.routing_reason("triage", confidence=0.42) == (
        "правила не подошли, а у категории нет отдела; уверенность модели 42 % — ниже порога"
    )
    assert timeline.routing_reason("manual") is None  # a person's move keeps their words


def test_fixed_status_reasons_are_translated_and_a_persons_words_kept() -> None:
    assert timeline.status_reason("final answer sent") == "отправлен окончательный ответ"
    assert timeline.status_reason("citizen rating: 2") == (
        "оценка гражданина: 2 из 5 — обращение возобновлено"
    )
    assert timeline.status_reason("citizen rating: Автор недоволен") == (
        "оценка гражданина: «Автор недоволен» — обращение возобновлено"
    )
    assert timeline.status_reason("MODERATION_DECLINE") == "отклонено модератором ПОС"
    assert timeline.status_reason("жду ответа подрядчика") == "жду ответа подрядчика"


def test_the_sla_sweepers_marks_have_russian_names() -> None:
    """The sweeper writes its events in SQL («sla_» + level), out of the scan above."""
    from app.sla import sweeper

    assert "'sla_' || level" in str(sweeper._SWEEP)
    for level in sweeper.METRIC:
        assert f"sla_{level}" in labels.EVENT, level
    assert {"first_response", "resolution", "registration"} <= labels.SLA_TARGET.keys()
