"""The incident row of the dashboard after the scripted day: at its end the control centre opens
one incident by hand over the API (two tickets linked by an operator) and detection has left one
suspected incident waiting for 12 minutes (one ticket linked by the rule). What the row and the
alert must show follows from the ``incidents`` and ``incident_tickets`` tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import select

from app.incidents import links
from app.models.incidents import Incident, IncidentStatus, LinkedBy
from app.models.tickets import Ticket
from tests.support.builders import auth
from tests.support.day_expected import COUNT, EXACT, approx

SUSPECTED_FOR = timedelta(minutes=12)  # under the alert's 30 minutes: it stays quiet
STATUSES = {
    "suspected": "предполагаемые (ждут решения)",
    "confirmed": "подтверждённые",
    "resolving": "устраняются (жителям написали)",
}
HOW = {"rule": "автоматически", "operator": "вручную"}


async def open_incidents(db: Any, api: str, admin: str) -> None:
    """One incident an operator opens with two of the day's tickets; one detection left suspected
    with a third (linked through ``links.link``, as detection links, so the counter moves)."""
    async with db.sessionmaker() as session:
        tickets = list(
            (await session.exec(select(Ticket).order_by(Ticket.id).limit(3))).all()  # type: ignore[arg-type]
        )
    assert len(tickets) == 3, "the day made tickets"
    first, second, third = tickets
    body = {
        "title": "Нет воды: ул. Ленина",
        "category_code": first.category_code,
        "ticket_ids": [first.id, second.id],
    }
    async with httpx.AsyncClient(base_url=api, headers=auth(admin), timeout=30) as c:
        r = await c.post("/api/v1/incidents", json=body)
    assert r.status_code == 201, r.text
    now = datetime.now(UTC)
    async with db.sessionmaker() as session:
        suspected = Incident(
            title="Подозрение: всплеск обращений",
            category_code=third.category_code,
            family=third.department_code,
            district_code=third.district_code,
            status=IncidentStatus.suspected.value,
            opened_by="rule",
            window_start_at=third.created_at,
            window_end_at=third.created_at,
            created_at=now - SUSPECTED_FOR,
            updated_at=now - SUSPECTED_FOR,
        )
        session.add(suspected)
        await session.flush()
        ticket = await session.get(Ticket, third.id)
        assert ticket is not None
        await links.link(session, suspected, [ticket], how=LinkedBy.rule, actor="rule", now=now)
        await session.commit()


async def incident_panels(db: Any, scraped: float) -> dict[tuple[str, str], Any]:
    """(panel title, query ref) -> what each incident panel shows; ``scraped``: when the age of
    the oldest suspected incident was scraped (the api counts it at its own now)."""
    async with db.sessionmaker() as session:

        async def rows(sql: str) -> list[Any]:
            return list((await session.exec(text(sql))).all())  # type: ignore[call-overload]

        by_status = dict(await rows("SELECT status, count(*) FROM incidents GROUP BY status"))
        oldest = await rows("SELECT min(created_at) FROM incidents WHERE status = 'suspected'")
        how = dict(await rows("SELECT linked_by, count(*) FROM incident_tickets GROUP BY 1"))
    age = scraped - oldest[0][0].timestamp() if oldest[0][0] else 0.0
    assert by_status == {"confirmed": 1, "suspected": 1}, by_status
    return {
        ("Открытые массовые инциденты по статусам", "A"): approx(
            {name: float(by_status.get(code, 0)) for code, name in STATUSES.items()}, EXACT
        ),
        ("Неподтверждённый инцидент ждёт", "A"): pytest.approx(
            {"старейший предполагаемый": age}, abs=1.5
        ),
        ("Обращения, привязанные к инцидентам, в час", "A"): approx(
            {name: float(how.get(code, 0)) for code, name in HOW.items()}, COUNT
        ),
    }
