"""Deadlines on the ticket: set at creation, recomputed on the transitions that move them.

The arithmetic is pure (``sla_rules``, ``working_time``); this module reads and writes the
ticket's columns and leaves a ``deadlines`` event on the timeline whenever they change.
"""

from __future__ import annotations

from datetime import datetime, time
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import object_session

from app.config import Settings, settings_of
from app.models.common import Status
from app.models.tickets import Ticket, TicketEvent
from app.sla.policies import FALLBACK_TERMS
from app.sla.rules import (
    Deadlines,
    PolicyRule,
    PolicyTerms,
    TicketFacts,
    after_interim_answer,
    initial_deadlines,
    match_policy,
    next_check,
    reopened,
    resumed,
)
from app.sla.working_time import WorkCalendar
from app.tickets.events import buffered

ACTOR = "system:sla"


def work_calendar(s: Settings) -> WorkCalendar:
    """The city's working calendar from settings (time zone, office hours, corrections)."""
    return _calendar(
        s.timezone, s.office_hours, tuple(s.extra_days_off), tuple(s.extra_working_days)
    )


def calendar_of(ticket: Ticket) -> WorkCalendar:
    """The working calendar of the settings the ticket's session was made with."""
    session = object_session(ticket)
    if session is None:
        raise RuntimeError("the ticket is not in a session: pass its calendar explicitly")
    return work_calendar(settings_of(session))


@lru_cache(maxsize=8)
def _calendar(
    tz: str, hours: str, days_off: tuple[Any, ...], workdays: tuple[Any, ...]
) -> WorkCalendar:
    start, end = (time.fromisoformat(part) for part in hours.split("-"))
    return WorkCalendar(
        timezone=tz,
        office_start=start,
        office_end=end,
        extra_days_off=frozenset(days_off),
        extra_working_days=frozenset(workdays),
    )


def facts_of(ticket: Ticket, *, fast_track: bool = False) -> TicketFacts:
    """What policies match on; ``fast_track`` is the source's mark (``TicketDraft.fast_track``)."""
    return TicketFacts(
        source=ticket.source,
        kind=ticket.kind,
        category=ticket.category_code,
        priority=ticket.priority,
        fast_track=fast_track,
    )


def current_deadlines(ticket: Ticket) -> Deadlines:
    return Deadlines(
        first_response_due_at=ticket.first_response_due_at,
        resolution_due_at=ticket.resolution_due_at,
        legal_due_at=ticket.legal_due_at,
        control_due_at=ticket.control_due_at,
        first_response_risk_at=ticket.first_response_risk_at,
        resolution_risk_at=ticket.resolution_risk_at,
        registration_due_at=ticket.registration_due_at,
    )


def terms_of(ticket: Ticket) -> PolicyTerms | None:
    return PolicyTerms.from_json(ticket.sla_terms) if ticket.sla_terms else None


def set_deadlines(ticket: Ticket, deadlines: Deadlines) -> bool:
    changed = False
    for name, value in deadlines.as_dict().items():
        if getattr(ticket, name) != value:
            setattr(ticket, name, value)
            changed = True
    ticket.sla_next_check_at = next_check(
        deadlines, first_responded_at=ticket.first_responded_at, registered_at=ticket.registered_at
    )
    return changed


def apply_initial_deadlines(
    ticket: Ticket,
    *,
    now: datetime,
    cal: WorkCalendar,
    rules: list[PolicyRule] | None = None,
    fast_track: bool = False,
    source_due: datetime | None = None,
) -> None:
    """Set the deadlines a new ticket starts with, under the first matching policy.

    ``fast_track`` and ``source_due`` are what the source decided (``TicketDraft.fast_track``,
    ``TicketDraft.source_due_at``): the connector read them, this module never reads a source.
    """
    rule = match_policy(rules or [], facts_of(ticket, fast_track=fast_track))
    terms = rule.terms if rule else FALLBACK_TERMS
    ticket.sla_policy = terms.name
    ticket.sla_terms = terms.to_json()
    start = ticket.created_at or now
    # The hub registers the appeal as it makes the ticket, unless the city registers by hand.
    registers_now = terms.registration is not None and not terms.registration_by_hand
    ticket.registered_at = now if registers_now else None
    set_deadlines(
        ticket,
        initial_deadlines(cal, terms, start=start, source_due=source_due),
    )


def record_deadlines(ticket: Ticket, *, reason: str, now: datetime, **extra: Any) -> None:
    """Append a ``deadlines`` event with the ticket's current deadlines."""
    session = object_session(ticket)
    if session is None or ticket.id is None:
        return
    data: dict[str, Any] = {
        "reason": reason,
        "policy": ticket.sla_policy,
        "effective_at": now,
        **current_deadlines(ticket).as_dict(),
        **extra,
    }
    plain = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}
    row: dict[str, Any] = {
        "ticket_id": ticket.id,
        "actor": ACTOR,
        "type": "deadlines",
        "data": plain,
    }
    if not buffered(session.info, row):
        session.add(TicketEvent(**row))


def on_first_response(ticket: Ticket, *, now: datetime, interim: bool) -> None:
    """An interim answer opens the IM final-answer window; the first-response clock stops."""
    terms = terms_of(ticket)
    if terms is None:
        return
    deadlines = current_deadlines(ticket)
    if interim and terms.after_interim is not None:
        deadlines = after_interim_answer(calendar_of(ticket), terms, deadlines, answered_at=now)
    if set_deadlines(ticket, deadlines):
        record_deadlines(ticket, reason="interim_answer", now=now)


def on_transition(ticket: Ticket, *, before: str, after: str, now: datetime) -> None:
    """Keep the clock right across a status change: ``on_hold`` pauses it, reopen restarts it."""
    terms = terms_of(ticket)
    if after == Status.on_hold and before != Status.on_hold:
        ticket.on_hold_since = now
    elif before == Status.on_hold and after != Status.on_hold and ticket.on_hold_since is not None:
        held_from = ticket.on_hold_since
        ticket.paused_seconds += int((now - held_from).total_seconds())
        ticket.on_hold_since = None
        if terms is None:
            _legacy_shift(ticket, now - held_from)
        elif set_deadlines(
            ticket,
            resumed(
                calendar_of(ticket), terms, current_deadlines(ticket), held_from=held_from, now=now
            ),
        ):
            record_deadlines(ticket, reason="resumed", now=now, held_from=held_from)
        return
    elif before in (Status.answered, Status.closed) and after == Status.in_progress and terms:
        if set_deadlines(
            ticket, reopened(calendar_of(ticket), terms, current_deadlines(ticket), now=now)
        ):
            record_deadlines(ticket, reason="reopened", now=now)
        return
    if terms is not None:
        # The sweeper looks once more at any threshold already passed, then stops.
        set_deadlines(ticket, current_deadlines(ticket))


def _legacy_shift(ticket: Ticket, paused: Any) -> None:
    for name in ("first_response_due_at", "resolution_due_at"):
        due = getattr(ticket, name)
        if due is not None:
            setattr(ticket, name, due + paused)
