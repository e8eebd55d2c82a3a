"""The one recorded extension of a 59-ФЗ appeal, with a notice to the citizen through the source."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
from app.errors import Conflict, Forbidden, ValidationFailed
from app.models.common import Kind, Role, Status
from app.models.sla import ExtensionRequest
from app.models.tickets import Ticket
from app.outbox.answers_back import answer_target
from app.outbox.service import enqueue
from app.sla import deadlines as sla
from app.sla.rules import PolicyTerms, initial_deadlines
from app.tickets.service import check_version, get_visible_ticket
from app.tickets.status import touch

EXTENDABLE = frozenset({Status.new, Status.routed, Status.in_progress, Status.on_hold})


class TermExpired(Conflict):
    """59-ФЗ art. 12 p. 2 extends a term still running: after the legal due date it is late."""

    title, type_slug = "The term has run out", "term-expired"


async def extend_deadline(
    session: AsyncSession,
    ticket_id: int,
    data: ExtensionRequest,
    *,
    principal: Principal,
    if_match: str | None,
    now: datetime,
) -> Ticket:
    """Extend a 59-ФЗ appeal once by up to 30 days; the citizen is told through the source."""
    if principal.role not in (Role.operator, Role.manager, Role.admin):
        raise Forbidden(f"role '{principal.role}' cannot extend deadlines")
    ticket = await get_visible_ticket(session, ticket_id, principal=principal, for_update=True)
    if if_match is not None:
        check_version(ticket, if_match)
    terms = _extendable_terms(ticket, data, now=now)
    _apply_extension(ticket, terms, data, actor=principal.actor, now=now)
    await _notify_citizen(session, ticket, data)
    return ticket


def _extendable_terms(ticket: Ticket, data: ExtensionRequest, *, now: datetime) -> PolicyTerms:
    """The appeal's SLA terms, once it is sure they allow this extension now."""
    terms = sla.terms_of(ticket)
    if ticket.kind != Kind.fz59_appeal or terms is None or not terms.max_extension_days:
        raise Conflict("only a 59-ФЗ appeal can have its deadline extended", kind=ticket.kind)
    if ticket.extension_count >= 1:
        raise Conflict(
            "59-ФЗ allows one extension and this appeal has had it",
            legal_due_at=ticket.legal_due_at.isoformat() if ticket.legal_due_at else None,
        )
    if Status(ticket.status) not in EXTENDABLE:
        raise Conflict(f"a '{ticket.status}' ticket has no running deadline to extend")
    if ticket.legal_due_at is not None and now > ticket.legal_due_at:
        last_day = sla.calendar_of(ticket).local_date(ticket.legal_due_at)
        raise TermExpired(
            f"the 59-ФЗ term ran out at the end of {last_day:%d.%m.%Y}, the legal due date: "
            "an extension (art. 12 p. 2) is possible only while the term is running; the "
            "breach stays on the record",
            legal_due_at=ticket.legal_due_at.isoformat(),
        )
    if data.days > terms.max_extension_days:
        raise ValidationFailed(
            f"the extension is at most {terms.max_extension_days} days", field="days"
        )
    return terms


def _apply_extension(
    ticket: Ticket, terms: PolicyTerms, data: ExtensionRequest, *, actor: str, now: datetime
) -> None:
    """Push the deadlines out by ``data.days``, count the extension, record the new deadlines."""
    extended = initial_deadlines(
        sla.calendar_of(ticket), terms, start=ticket.created_at, extension_days=data.days
    )
    current = sla.current_deadlines(ticket)
    sla.set_deadlines(
        ticket,
        replace(
            current,
            resolution_due_at=extended.resolution_due_at,
            resolution_risk_at=extended.resolution_risk_at,
            legal_due_at=extended.legal_due_at,
            control_due_at=extended.control_due_at,
        ),
    )
    ticket.extension_count += 1
    ticket.sla_terms = {**(ticket.sla_terms or {}), "extension_days": data.days}
    touch(ticket, now)
    sla.record_deadlines(
        ticket,
        reason="extended",
        now=now,
        actor=actor,
        extension_days=data.days,
        extension_reason=data.reason,
    )


async def _notify_citizen(session: AsyncSession, ticket: Ticket, data: ExtensionRequest) -> None:
    """The extension notice, through the outbox to the ticket's source."""
    target = answer_target(ticket.source)
    if target is None:
        # Recorded by staff (phone, visit): no channel back; the operator tells the citizen.
        return
    await enqueue(
        session,
        target=target,
        kind="extension_notice",
        ticket=ticket,
        idempotency_id=f"extension-{ticket.id}-1",
        payload={
            "ticket_number": ticket.number,
            "source_id": ticket.source_id,
            "legal_due_at": ticket.legal_due_at.isoformat() if ticket.legal_due_at else None,
            "extension_days": data.days,
            "reason": data.reason,
        },
    )
