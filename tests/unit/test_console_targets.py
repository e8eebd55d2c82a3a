"""Every deadline of a ticket in words (app/console/targets.py), on tickets built in memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.console.targets import plural, row_targets, targets, term_ru
from app.models.tickets import Ticket
from app.tickets.nearest import nearest_due

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
H = timedelta(hours=1)


def ticket(**fields) -> Ticket:
    base = dict(
        number="SD-2026-000001", source="api", source_id="1", kind="fz59_appeal",
        channel="mail", category_code="roads", text="—", department_code="roads",
        status="routed", created_at=NOW - 10 * H,
    )  # fmt: skip
    return Ticket(**{**base, **fields})


def states(t: Ticket) -> dict[str, tuple[str, str]]:
    return {g.label: (g.state, g.text) for g in targets(t, NOW)}


def test_an_unregistered_appeal_runs_its_registration_term_and_it_can_be_late():
    due = NOW - 2 * H
    t = ticket(registration_due_at=due, resolution_due_at=NOW + 600 * H, legal_due_at=NOW + 600 * H)
    got = states(t)
    assert got["регистрация по 59-ФЗ"] == ("breached", "просрочено на 2 ч")
    assert got["решение (срок по 59-ФЗ)"][0] == "ok"
    assert "срок по 59-ФЗ" not in got  # the same date is one line
    assert nearest_due(t) == due
    t.registered_at = NOW - H
    assert states(t)["регистрация по 59-ФЗ"] == ("late", "проведена с опозданием на 1 ч")
    assert [g.key for g in row_targets(t, NOW)] == ["resolution"]
    assert nearest_due(t) == NOW + 600 * H


def test_on_hold_pauses_the_resolution_but_never_the_legal_date():
    t = ticket(
        status="on_hold", resolution_due_at=NOW + 50 * H, legal_due_at=NOW + 40 * H,
        control_due_at=NOW + 30 * H, first_response_due_at=NOW - 3 * H,
    )  # fmt: skip
    got = states(t)
    assert got["решение"] == ("paused", "на паузе, осталось 2 дн 2 ч")
    assert got["срок по 59-ФЗ"] == ("ok", "осталось 1 дн 16 ч")
    assert got["контрольный срок"][0] == "ok"
    assert got["первый ответ"] == ("breached", "просрочено на 3 ч")  # late stays late
    assert "контрольный срок" not in [g.label for g in row_targets(t, NOW)]
    assert targets(t, NOW)[0].key == "first_response"  # nearest first


def test_met_targets_of_an_answered_ticket_and_the_risk_point():
    t = ticket(
        kind="direct_request", status="answered", first_response_due_at=NOW - 5 * H,
        first_responded_at=NOW - 6 * H, resolution_due_at=NOW - 2 * H, answered_at=NOW - H,
    )  # fmt: skip
    got = states(t)
    assert got["первый ответ"] == ("met", "дан в срок")
    assert got["решение"] == ("late", "ответ дан с опозданием на 1 ч")
    assert row_targets(t, NOW) == []
    risky = ticket(kind="direct_request", resolution_due_at=NOW + H, resolution_risk_at=NOW - H)
    assert states(risky)["решение"] == ("risk", "осталось 1 ч")


def test_terms_in_russian_words():
    assert term_ru({"value": 7, "unit": "working_days"}) == "7 рабочих дней"
    assert term_ru({"value": 4, "unit": "working_hours"}) == "4 рабочих часа"
    assert term_ru({"value": 1, "unit": "working_days"}) == "1 рабочий день"
    assert term_ru({"value": 21, "unit": "calendar_days"}) == "21 календарный день"
    assert term_ru({"value": 12, "unit": "calendar_hours"}) == "12 часов"
    assert term_ru(None) is None and term_ru({"value": 1, "unit": "years"}) is None
    assert plural(11, ("день", "дня", "дней")) == "11 дней"
