"""What "the same problem" and "enough history" mean for detection and joining (issue 20):
an incident takes only tickets of its own category, never the rest of its department; one
back-dated ticket does not make a fresh hub look mature."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from app.access.api_keys import Principal
from app.incidents import service
from app.incidents.surge import join_new_tickets
from app.models.common import Role
from app.models.incidents import IncidentConfirm, IncidentMessageCreate, IncidentTicket
from app.models.tickets import TicketAnswer
from tests.support.builders import make_ticket
from tests.support.incidents import run_detection, wave, wave_ticket

OPERATOR = Principal(key_id=None, role=Role.operator, department_code="zhkh", name="test")
MESSAGE = "Тепло дадут к вечеру"


async def _answers(db, ticket_ids: list[int]) -> dict[int, list[str]]:
    async with db.sessionmaker() as session:
        rows = await session.exec(
            select(TicketAnswer).where(col(TicketAnswer.ticket_id).in_(ticket_ids))
        )
        got: dict[int, list[str]] = {i: [] for i in ticket_ids}
        for answer in rows.all():
            got[answer.ticket_id].append(answer.text)
        return got


async def test_an_incident_takes_its_own_category_only_and_tells_only_those(db):
    """A confirmed heating incident with a message: later tickets of the same department,
    district and street about other problems (water, power, the house itself) stay out and
    hear nothing; a heating one joins and hears the message at once."""
    now = datetime.now(UTC)
    await wave(db, 8, now=now, category_code="heating")
    [incident] = await run_detection(db, now)
    assert incident.family == "heating" and incident.category_code == "heating"
    async with db.sessionmaker() as session:
        await service.confirm_incident(
            session, incident.id, IncidentConfirm(), principal=OPERATOR, if_match=None, now=now
        )
        await service.publish_message(
            session,
            incident.id,
            IncidentMessageCreate(kind="interim", text=MESSAGE),
            principal=OPERATOR,
            if_match=None,
            now=now,
        )
        await session.commit()
    later = now + timedelta(minutes=5)
    others = [
        await wave_ticket(db, 30 + n, at=later, category_code=code, text=text)
        for n, (code, text) in enumerate(
            [
                ("water", "нет холодной воды"),
                ("power", "нет света в подъезде"),
                ("housing", "Лифт не работает"),
                ("housing", "Плата за ЖКУ завышена"),
            ]
        )
    ]
    heating = await wave_ticket(db, 40, at=later, category_code="heating")
    ids = [t.id for t in [*others, heating]]
    async with db.sessionmaker() as session:
        assert await join_new_tickets(session, ids) == 1
        await session.commit()
    # Nor does the next detection pass take them.
    await run_detection(db, later + timedelta(minutes=1))
    async with db.sessionmaker() as session:
        linked = {
            r.ticket_id
            for r in (
                await session.exec(
                    select(IncidentTicket).where(IncidentTicket.incident_id == incident.id)
                )
            ).all()
        }
    assert heating.id in linked and not linked & {t.id for t in others}
    answers = await _answers(db, ids)
    assert answers[heating.id] == [MESSAGE]
    assert all(answers[t.id] == [] for t in others)


async def test_one_department_different_problems_open_no_incident(db):
    """Eight tickets of the housing department in one district in an hour, four problems of
    two each: not a surge of one problem (by department it was one cell of eight)."""
    now = datetime.now(UTC)
    for n, code in enumerate(["heating", "water", "power", "housing"] * 2):
        await wave_ticket(db, n, at=now - timedelta(minutes=5 * n), category_code=code)
    assert await run_detection(db, now) == []


async def test_one_old_ticket_does_not_make_a_fresh_hub_mature(db):
    """A fresh hub with steady, even traffic in every district and one appeal written ten days
    ago (a ПОС item's createdAt): still young, so no cell is a surge against the others."""
    now = datetime.now(UTC)
    await make_ticket(
        db, category_code="roads", district_code="north", now=now - timedelta(days=10)
    )
    step = timedelta(minutes=50) / 8
    for district in ("center", "north", "south", "east", "west"):
        for code in ("water", "roads", "waste"):
            for n in range(8):
                at = now - timedelta(minutes=55) + step * n
                await make_ticket(db, category_code=code, district_code=district, now=at)
    assert await run_detection(db, now) == []


async def test_a_few_back_dated_days_do_not_make_a_fresh_hub_mature(db):
    """A source pushing updates of items written days ago (one a day for a week: seven days
    with tickets) on a hub's first day, while the city sends a hundred and twenty appeals in
    the hour: that history does not speak for the present, so the hub stays young."""
    now = datetime.now(UTC)
    for days in range(2, 10):
        await make_ticket(
            db, category_code="waste", district_code="west", now=now - timedelta(days=days, hours=3)
        )
    step = timedelta(minutes=50) / 8
    for district in ("center", "north", "south", "east", "west"):
        for code in ("water", "roads", "waste"):
            for n in range(8):
                at = now - timedelta(minutes=55) + step * n
                await make_ticket(db, category_code=code, district_code=district, now=at)
    assert await run_detection(db, now) == []
