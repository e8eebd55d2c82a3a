"""The fan-out (app.incidents.fanout): every linked ticket once, through its own source, in
the message's transaction; merged duplicates through their main ticket."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime

from app.access.api_keys import Principal
from app.dedup import detection as dedup
from app.incidents import fanout, service
from app.incidents.links import linked_tickets
from app.models.common import Role
from app.models.incidents import Incident, IncidentConfirm, IncidentMessage, IncidentMessageCreate
from app.models.tickets import Ticket
from tests.support.incidents import outbox_of, run_detection, wave

OPERATOR = Principal(key_id=None, role=Role.operator, department_code="zhkh", name="test")


async def test_sixty_tickets_get_one_answer_each_in_one_transaction(db):
    now = datetime.now(UTC)
    tickets = await wave(db, 60, now=now, minutes=50)
    [incident] = await run_detection(db, now)
    assert incident.ticket_count == 60
    async with db.sessionmaker() as session:
        await service.confirm_incident(
            session, incident.id, IncidentConfirm(), principal=OPERATOR, if_match=None, now=now
        )
        started = time.perf_counter()
        _, summary = await service.publish_message(
            session,
            incident.id,
            IncidentMessageCreate(kind="final", text="Водоснабжение восстановлено"),
            principal=OPERATOR,
            if_match=None,
            now=now,
        )
        await session.commit()
        elapsed = time.perf_counter() - started
    print(f"\nfan-out of one message to 60 tickets: {elapsed * 1000:.0f} ms, {summary.outcomes}")
    assert summary.outcomes == {"answered": 60}
    rows = await outbox_of(db, [t.id for t in tickets])
    assert Counter(r.ticket_id for r in rows) == {t.id: 1 for t in tickets}
    assert Counter(r.target for r in rows) == {
        "incident_management": 20,
        "feedback_platform": 20,
        "telegram": 20,
    }


async def test_a_merged_duplicate_hears_the_message_once_through_its_main_ticket(db):
    now = datetime.now(UTC)
    tickets = await wave(db, 8, now=now)
    [incident] = await run_detection(db, now)
    main, duplicate = tickets[0], tickets[3]  # both from the same source (three in turn)
    async with db.sessionmaker() as session:
        dup = await session.get(Ticket, duplicate.id)
        primary = await session.get(Ticket, main.id)
        await dedup.merge(session, dup, primary, actor="test", reason="same house", now=now)
        inc = await session.get(Incident, incident.id)
        inc.status = "confirmed"
        message = IncidentMessage(
            incident_id=incident.id,
            kind="interim",
            text="бригада на месте",
            author="t",
            created_at=now,
        )
        session.add(message)
        await session.flush()
        counts = await fanout.deliver(
            session, inc, message, await linked_tickets(session, inc), actor="t", now=now
        )
        await session.commit()
    assert counts == {"answered": 7, "via_main": 1, "skipped": 0}
    rows = await outbox_of(db, [duplicate.id])
    assert [r.payload["text"] for r in rows] == ["бригада на месте"]
