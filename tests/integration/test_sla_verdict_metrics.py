"""The two SLA verdicts as durable series: a target met counts once in ``appeals_sla_met_total``
(the ticket hook), a target missed once in ``appeals_sla_breaches_total`` (the sweeper); and
the worker's snapshot of open tickets past their first-response or registration deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.metrics import store as metrics_store
from app.metrics.snapshots import refresh_overdue
from app.models.common import Status
from app.models.tickets import Ticket
from app.sla.sweeper import sweep
from app.tickets.status import apply_status
from tests.support.builders import make_ticket

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


async def series(db, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    async with db.sessionmaker() as session:
        rows = await metrics_store.read_all(session)
    return {tuple(sorted(labels.items())): value for n, labels, value in rows if n == name}


def dt(department: str, target: str) -> tuple[tuple[str, str], ...]:
    return (("department", department), ("target", target))


async def _ticket_due(db, *, resolution_in: timedelta, first_response_in: timedelta | None = None):
    made = await make_ticket(db, now=T0)
    async with db.sessionmaker() as session:
        ticket = await session.get(Ticket, made.id)
        assert ticket is not None
        ticket.resolution_due_at = T0 + resolution_in
        ticket.first_response_due_at = T0 + first_response_in if first_response_in else None
        ticket.first_response_risk_at = ticket.resolution_risk_at = None
        ticket.sla_next_check_at = T0  # the sweeper looks at the deadlines set here
        await session.commit()
    return made.id


async def _answer(db, ticket_id: int, at: datetime, status: Status = Status.answered) -> None:
    async with db.sessionmaker() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        apply_status(ticket, status, now=at)
        await session.commit()


async def test_each_ticket_gets_one_verdict_per_target(db):
    on_time = await _ticket_due(
        db, resolution_in=timedelta(days=2), first_response_in=timedelta(hours=4)
    )
    late = await _ticket_due(
        db, resolution_in=timedelta(hours=1), first_response_in=timedelta(hours=2)
    )
    await _answer(db, on_time, T0 + timedelta(hours=3))
    await _answer(db, late, T0 + timedelta(hours=3))
    # Reopened and answered again: the first answer's verdict stays the only one.
    await _answer(db, on_time, T0 + timedelta(hours=5), Status.in_progress)
    await _answer(db, on_time, T0 + timedelta(hours=6))
    met = await series(db, "appeals_sla_met_total")
    assert met == {dt("roads", "resolution"): 1, dt("roads", "first_response"): 1}

    for _ in range(2):  # the late answer is marked once, however often the sweeper passes
        await sweep(db, T0 + timedelta(hours=7))
    breaches = await series(db, "appeals_sla_breaches_total")
    assert breaches == {dt("roads", "resolution"): 1, dt("roads", "first_response"): 1}


async def test_merged_and_rejected_tickets_meet_nothing(db):
    ticket_id = await _ticket_due(db, resolution_in=timedelta(days=2))
    async with db.sessionmaker() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        # What duplicate merging does to the merged ticket: status merged, the answer copied.
        ticket.status = Status.merged.value
        ticket.answered_at = T0 + timedelta(hours=1)
        ticket.first_responded_at = T0 + timedelta(hours=1)
        await session.commit()
    assert await series(db, "appeals_sla_met_total") == {}


async def test_overdue_snapshot_counts_first_responses_and_registrations(db):
    waiting = await _ticket_due(
        db, resolution_in=timedelta(days=10), first_response_in=timedelta(hours=4)
    )
    await _ticket_due(db, resolution_in=timedelta(days=10), first_response_in=timedelta(days=1))
    held = await _ticket_due(
        db, resolution_in=timedelta(days=10), first_response_in=timedelta(hours=1)
    )
    await _answer(db, held, T0 + timedelta(minutes=30), Status.on_hold)
    unregistered = await make_ticket(db, now=T0, kind="fz59_appeal")
    async with db.sessionmaker() as session:
        ticket = await session.get(Ticket, unregistered.id)
        assert ticket is not None
        ticket.registration_due_at, ticket.registered_at = T0 + timedelta(hours=2), None
        await session.commit()

    async with db.sessionmaker() as session:
        await refresh_overdue(session, now=T0 + timedelta(hours=5))
        await session.commit()
    overdue = await series(db, "appeals_tickets_overdue")
    # One running ticket past its first-response due (the held one's clock stands still).
    assert overdue == {dt("roads", "first_response"): 1, dt("roads", "registration"): 1}

    await _answer(db, waiting, T0 + timedelta(hours=6))
    async with db.sessionmaker() as session:
        await refresh_overdue(session, now=T0 + timedelta(hours=6))
        await session.commit()
    overdue = await series(db, "appeals_tickets_overdue")
    assert overdue == {dt("roads", "first_response"): 0, dt("roads", "registration"): 1}
