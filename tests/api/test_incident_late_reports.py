"""A report of an open mass incident that comes through Open311 or is recorded by staff joins
the incident in the request that makes it and carries its message at once (not on the
detection worker's next pass); the Open311 client reads the message in ``status_notes``."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlmodel import select

from app.main import create_app
from app.models.incidents import IncidentTicket
from app.models.tickets import Ticket, TicketAnswer
from tests.support.builders import auth, make_key
from tests.support.incidents import run_detection, wave
from tests.support.intake import settling
from tests.support.webhooks import webhook_settings

URL = "/api/v1/incidents"
MESSAGE = "Авария на водоводе: вода будет к 18:00, справки +7 924 000-11-22"
SCRUBBED = "Авария на водоводе: вода будет к 18:00, справки [phone]"


@pytest.fixture
async def api(db):
    app = create_app(db=db, settings=webhook_settings())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", event_hooks=settling(db)
    ) as c:
        yield c


async def _with_message(api, db) -> int:
    """A confirmed water incident in the centre that has told its tickets ``MESSAGE``."""
    zhkh = auth(await make_key(db, "operator", "zhkh"))
    await wave(db, 9, now=datetime.now(UTC))
    [incident] = await run_detection(db, datetime.now(UTC))
    path = f"{URL}/{incident.id}"
    assert (await api.post(f"{path}/confirm", headers=zhkh, json={})).status_code == 200
    told = await api.post(
        f"{path}/messages", headers=zhkh, json={"kind": "interim", "text": MESSAGE}
    )
    assert told.status_code == 201, told.text
    return incident.id


async def _joined(db, ticket_id: int) -> tuple[int | None, list[str]]:
    async with db.sessionmaker() as session:
        link = (
            await session.exec(select(IncidentTicket).where(IncidentTicket.ticket_id == ticket_id))
        ).first()
        answers = await session.exec(
            select(TicketAnswer.text).where(TicketAnswer.ticket_id == ticket_id)
        )
        return (link.incident_id if link else None), list(answers.all())


async def test_an_open311_report_joins_at_once_and_reads_the_message(api, db):
    incident_id = await _with_message(api, db)
    key = await make_key(db, "integration", "press")
    posted = await api.post(
        "/open311/v2/requests.json",
        data={
            "api_key": key,
            "service_code": "water",
            "address_string": "ул. Ленина, 61",
            "description": "Нет воды с утра",
        },
    )
    assert posted.status_code == 200, posted.text
    number = posted.json()[0]["service_request_id"]
    async with db.sessionmaker() as session:
        ticket = (await session.exec(select(Ticket).where(Ticket.number == number))).one()
    assert await _joined(db, ticket.id) == (incident_id, [MESSAGE])
    [request] = (await api.get(f"/open311/v2/requests/{number}.json")).json()
    assert request["status_notes"].endswith(SCRUBBED)
    assert "000-11-22" not in request["status_notes"]


async def test_a_ticket_recorded_by_staff_joins_at_once(api, db):
    incident_id = await _with_message(api, db)
    operator = auth(await make_key(db, "operator", "zhkh"))
    made = await api.post(
        "/api/v1/tickets",
        headers=operator,
        json={
            "text": "Звонок: нет воды в доме",
            "category": "water",
            "district": "center",
            "address": "ул. Ленина, 63",
        },
    )
    assert made.status_code == 201, made.text
    assert await _joined(db, made.json()["id"]) == (incident_id, [MESSAGE])
