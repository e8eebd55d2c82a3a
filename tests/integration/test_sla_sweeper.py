"""The SLA sweeper on real PostgreSQL: marks once per ticket and target, however it is run."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import select

from app.metrics import store as metrics_store
from app.models.common import Status
from app.models.outbox import OutboxMessage
from app.models.sla import SlaMark
from app.models.tickets import Ticket, TicketEvent
from app.sla.sweeper import sweep
from app.tickets.status import apply_status
from tests.support.builders import make_ticket

VLAT = ZoneInfo("Asia/Vladivostok")
MONDAY_10 = datetime(2026, 2, 2, 10, 0, tzinfo=VLAT)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=VLAT)


async def im_high(db, when: datetime = MONDAY_10) -> Ticket:
    # 4 working hours: at risk at 13:00, breached after 14:00 on Monday 2 Feb 2026.
    return await make_ticket(
        db,
        source="incident_management",
        kind="social_post",
        channel="vk",
        priority="high",
        created_at=when,
        now=when,
        applicant=None,
        text=f"Просим разобраться, обращение {uuid.uuid4().hex}",  # no place: never a duplicate
    )


async def marks(db) -> list[tuple[int, str, str]]:
    async with db.sessionmaker() as session:
        rows = (await session.exec(select(SlaMark))).all()
    return sorted((m.ticket_id, m.target, m.level) for m in rows)


async def sla_event_types(db) -> Counter[str]:
    async with db.sessionmaker() as session:
        rows = (
            await session.exec(select(TicketEvent).where(TicketEvent.type.startswith("sla_")))  # type: ignore[attr-defined]
        ).all()
    return Counter(e.type for e in rows)


async def counters(db) -> dict[tuple[str, str, str], float]:
    async with db.sessionmaker() as session:
        series = await metrics_store.read_all(session)
    return {
        (name, labels["department"], labels["target"]): value
        for name, labels, value in series
        if name.startswith("appeals_sla_")
    }


async def test_marks_at_risk_then_breached_once_each(db) -> None:
    ticket = await im_high(db)
    before_risk = await sweep(db, local(2026, 2, 2, 12, 59))
    assert not before_risk.marks

    first = await sweep(db, local(2026, 2, 2, 13, 30))
    assert first.marks == Counter({"first_response:at_risk": 1})
    assert not (await sweep(db, local(2026, 2, 2, 13, 31))).marks

    breached = await sweep(db, local(2026, 2, 2, 14, 30))
    assert breached.marks == Counter({"first_response:breached": 1})
    twice = await asyncio.gather(*(sweep(db, local(2026, 2, 2, 15, 0)) for _ in range(3)))
    assert all(not r.marks for r in twice)

    assert await marks(db) == [
        (ticket.id, "first_response", "at_risk"),
        (ticket.id, "first_response", "breached"),
    ]
    assert await sla_event_types(db) == Counter({"sla_at_risk": 1, "sla_breached": 1})
    assert await counters(db) == {
        ("appeals_sla_at_risk_total", "roads", "first_response"): 1.0,
        ("appeals_sla_breaches_total", "roads", "first_response"): 1.0,
    }


async def test_concurrent_sweepers_mark_every_ticket_exactly_once(db) -> None:
    async with db.sessionmaker() as session:
        await session.exec(  # type: ignore[call-overload]
            text(
                "UPDATE departments SET webhook_url = 'http://127.0.0.1:9/hook' WHERE code='roads'"
            )
        )
        await session.commit()
    tickets = [await im_high(db) for _ in range(25)]
    results = await asyncio.gather(
        *(sweep(db, local(2026, 2, 2, 15, 0), batch=4) for _ in range(4))
    )
    total: Counter[str] = Counter()
    for r in results:
        total.update(r.marks)
    assert total == Counter({"first_response:at_risk": 25, "first_response:breached": 25})
    assert len(await marks(db)) == 50
    assert await sla_event_types(db) == Counter({"sla_at_risk": 25, "sla_breached": 25})
    assert await counters(db) == {
        ("appeals_sla_at_risk_total", "roads", "first_response"): 25.0,
        ("appeals_sla_breaches_total", "roads", "first_response"): 25.0,
    }
    async with db.sessionmaker() as session:
        notes = (
            await session.exec(
                select(OutboxMessage).where(OutboxMessage.target == "department_webhook")
            )
        ).all()
    assert len(notes) == 50
    assert {n.kind for n in notes} == {"sla_notification"}
    assert {n.payload["ticket_id"] for n in notes} == {t.id for t in tickets}
    assert {n.department_code for n in notes} == {"roads"}


async def _move(db, ticket_id: int, status: Status, when: datetime) -> None:
    async with db.sessionmaker() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        apply_status(ticket, status, now=when, reason="проверка")
        await session.commit()


async def test_held_ticket_is_not_marked_until_resumed(db) -> None:
    ticket = await im_high(db)
    await _move(db, ticket.id, Status.on_hold, local(2026, 2, 2, 11, 0))
    assert not (await sweep(db, local(2026, 2, 2, 16, 0))).marks
    # Resumed Tuesday 10:00 with 3 working hours left: at risk after 12:00, due 13:00.
    await _move(db, ticket.id, Status.in_progress, local(2026, 2, 3, 10, 0))
    assert not (await sweep(db, local(2026, 2, 3, 11, 59))).marks
    assert (await sweep(db, local(2026, 2, 3, 12, 30))).marks == Counter(
        {"first_response:at_risk": 1}
    )


async def test_answer_after_the_deadline_is_a_breach_counted_once(db) -> None:
    ticket = await im_high(db)
    # Answered (final) at 15:00, after the 14:00 deadline, before any sweep ran.
    await _move(db, ticket.id, Status.answered, local(2026, 2, 2, 15, 0))
    result = await sweep(db, local(2026, 2, 2, 15, 1))
    assert result.marks == Counter({"first_response:at_risk": 1, "first_response:breached": 1})
    assert not (await sweep(db, local(2026, 3, 1, 12, 0))).marks
    async with db.sessionmaker() as session:
        stored = await session.get(Ticket, ticket.id)
        assert stored is not None and stored.sla_next_check_at is None


async def test_answer_in_time_is_never_marked(db) -> None:
    ticket = await im_high(db)
    await _move(db, ticket.id, Status.answered, local(2026, 2, 2, 11, 0))
    assert not (await sweep(db, local(2026, 3, 1, 12, 0))).marks
    async with db.sessionmaker() as session:
        stored = await session.get(Ticket, ticket.id)
        assert stored is not None and stored.sla_next_check_at is None


async def test_resolution_targets_are_swept_too(db) -> None:
    ticket = await im_high(db)
    # Provisional final answer: 7 working days after 14:00 Monday → Wednesday 11 Feb 14:00.
    assert (await sweep(db, local(2026, 2, 12, 9, 0))).marks == Counter(
        {
            "first_response:at_risk": 1,
            "first_response:breached": 1,
            "resolution:at_risk": 1,
            "resolution:breached": 1,
        }
    )
    assert (ticket.id, "resolution", "breached") in await marks(db)
