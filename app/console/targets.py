"""Every deadline of a ticket in words: first answer, 59-ФЗ registration, resolution, legal date.

Each target has its own state (running and on time, at risk, late, paused, met), so a first
answer an hour late is red even when the resolution is weeks away. Why a deadline moved is read
from the ``deadlines`` events the SLA engine records (``app.sla.deadlines.record_deadlines``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.console.timefmt import duration_ru
from app.models.common import OPEN_STATUSES, Status
from app.models.tickets import Ticket, TicketEvent

PRIORITY = {"low": "низкий", "normal": "обычный", "high": "высокий", "critical": "критический"}
UNIT_FORMS = {
    "working_hours": ("рабочий час", "рабочих часа", "рабочих часов"),
    "working_days": ("рабочий день", "рабочих дня", "рабочих дней"),
    "calendar_hours": ("час", "часа", "часов"),
    "calendar_days": ("календарный день", "календарных дня", "календарных дней"),
}
DAYS = ("день", "дня", "дней")


@dataclass(frozen=True)
class Target:
    key: str  # first_response, registration, resolution, legal, control
    label: str
    due: datetime
    state: str  # breached, risk, ok, paused, met, late (met after the due time)
    text: str
    running: bool


def plural(n: int, forms: tuple[str, str, str]) -> str:
    """«1 рабочий день», «3 рабочих дня», «7 рабочих дней»."""
    tail = n % 100
    if 11 <= tail <= 14:
        return f"{n} {forms[2]}"
    last = n % 10
    return f"{n} {forms[0] if last == 1 else forms[1] if 2 <= last <= 4 else forms[2]}"


def term_ru(term: Mapping[str, Any] | None) -> str | None:
    """A policy term as stored in ``sla_terms``: «7 рабочих дней», «4 рабочих часа»."""
    if not term or term.get("unit") not in UNIT_FORMS:
        return None
    value = float(term.get("value") or 0)
    if value != int(value):
        return f"{value:g} {UNIT_FORMS[term['unit']][1]}"
    return plural(int(value), UNIT_FORMS[term["unit"]])


def _running(
    key: str, label: str, due: datetime, risk: datetime | None, now: datetime, *, paused: bool
) -> Target:
    left = (due - now).total_seconds()
    if left < 0:
        return Target(key, label, due, "breached", f"просрочено на {duration_ru(left)}", True)
    if paused:
        return Target(key, label, due, "paused", f"на паузе, осталось {duration_ru(left)}", True)
    state = "risk" if risk is not None and now >= risk else "ok"
    return Target(key, label, due, state, f"осталось {duration_ru(left)}", True)


def _met(key: str, label: str, due: datetime, at: datetime, done: str) -> Target:
    if at > due:
        late = duration_ru((at - due).total_seconds())
        return Target(key, label, due, "late", f"{done} с опозданием на {late}", False)
    return Target(key, label, due, "met", f"{done} в срок", False)


def targets(ticket: Ticket, now: datetime) -> list[Target]:
    """The ticket's deadlines, nearest first; running ones and the ones already met."""
    is_open = Status(ticket.status) in OPEN_STATUSES
    paused = Status(ticket.status) == Status.on_hold
    found: list[Target] = []
    fr = ticket.first_response_due_at
    if fr is not None:
        if ticket.first_responded_at is not None:
            answered = ticket.first_responded_at
            found.append(_met("first_response", "первый ответ", fr, answered, "дан"))
        elif is_open:
            risk = ticket.first_response_risk_at
            found.append(_running("first_response", "первый ответ", fr, risk, now, paused=paused))
    reg = ticket.registration_due_at
    if reg is not None:
        label = "регистрация по 59-ФЗ"
        if ticket.registered_at is not None:
            found.append(_met("registration", label, reg, ticket.registered_at, "проведена"))
        elif is_open:
            found.append(_running("registration", label, reg, None, now, paused=False))
    legal = ticket.legal_due_at
    res = ticket.resolution_due_at
    finished = ticket.answered_at or ticket.closed_at
    # One line when the resolution date is the legal one; on hold they part: the resolution
    # stands still (moved on resuming) while the legal date never pauses.
    together = res == legal and not (paused and is_open)
    for key, label, due, risk, pausable in (
        ("resolution", "решение (срок по 59-ФЗ)" if together else "решение", res,
         ticket.resolution_risk_at, True),
        ("legal", "срок по 59-ФЗ", None if together else legal, None, False),
        ("control", "контрольный срок", ticket.control_due_at, None, False),
    ):  # fmt: skip
        if due is None:
            continue
        if is_open:
            found.append(_running(key, label, due, risk, now, paused=paused and pausable))
        elif finished is not None and Status(ticket.status) in (Status.answered, Status.closed):
            found.append(_met(key, label, due, finished, "ответ дан"))
    return sorted(found, key=lambda t: (not t.running, t.due))


def row_targets(ticket: Ticket, now: datetime) -> list[Target]:
    """What an inbox row shows: the running deadlines (the internal control date aside)."""
    return [t for t in targets(ticket, now) if t.running and t.key != "control"]


def _moved(data: Mapping[str, Any], terms: Mapping[str, Any]) -> str:
    reason = str(data.get("reason", ""))
    if reason == "interim_answer":
        term = term_ru(terms.get("after_interim"))
        return "после промежуточного ответа" + (
            f" — окончательный ответ в течение {term}" if term else ""
        )
    if reason == "reopened":
        term = term_ru(terms.get("after_interim") or terms.get("resolution"))
        return "после возобновления обращения" + (f" — новый срок решения: {term}" if term else "")
    if reason == "resumed":
        text = "после паузы — сроки сдвинуты на время приостановки"
        held, back = data.get("held_from"), data.get("effective_at")
        if isinstance(held, str) and isinstance(back, str):
            spent = datetime.fromisoformat(back) - datetime.fromisoformat(held)
            text += f" ({duration_ru(spent.total_seconds())})"
        return text
    if reason == "extended":
        days = data.get("extension_days")
        text = "продлён по 59-ФЗ (ст. 12 ч. 2)"
        text += f" на {plural(int(days), DAYS)}" if isinstance(days, int) else ""
        why = data.get("extension_reason")
        return text + (f": «{why}»" if why else "")
    if reason == "created":
        return "установлены при поступлении"
    return "изменены"


def deadline_reason(data: Mapping[str, Any], ticket: Ticket) -> str:
    """Why the deadlines of a ``deadlines`` event are what they are, in words."""
    return _moved(data, ticket.sla_terms or {})


@dataclass(frozen=True)
class Move:
    at: datetime
    why: str


def moves(events: Iterable[TicketEvent], ticket: Ticket) -> list[Move]:
    """Every time the deadlines moved after they were set, with why (oldest first)."""
    return [
        Move(e.at, deadline_reason(e.data or {}, ticket))
        for e in events
        if e.type == "deadlines" and (e.data or {}).get("reason") != "created"
    ]
