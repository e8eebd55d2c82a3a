"""The longest text: 20 000 characters everywhere that refuses (the API, the ПОС and ИМ
webhooks), one bound; `APPEALS_MAX_TEXT_LENGTH` cannot raise it (a larger value stops the
service at start) and only sets how much the chat bot and Open311 keep of a longer text."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from pydantic import ValidationError
from sqlmodel import select

from app.config import Settings
from app.connectors.feedback_platform.inbound import PosMessage
from app.connectors.incident_management.inbound import ImIncident
from app.main import create_app
from app.models.schemas import TEXT_MAX, AnswerCreate, CommentCreate, TicketCreate
from app.models.tickets import Ticket
from tests.support.builders import auth, make_key
from tests.support.intake import processed
from tests.support.webhooks import IM_URL, POS_URL, encode, sample, signed, webhook_settings


def max_length(model: type, field: str) -> int | None:
    found = [getattr(m, "max_length", None) for m in model.model_fields[field].metadata]
    return next((m for m in found if m is not None), None)


def test_one_bound_for_every_text_that_is_refused():
    assert TEXT_MAX == 20_000
    for model, field in (
        (TicketCreate, "text"),
        (CommentCreate, "text"),
        (AnswerCreate, "text"),
        (PosMessage, "description"),
        (ImIncident, "text"),
    ):
        assert max_length(model, field) == TEXT_MAX, (model, field)


def test_the_setting_cannot_raise_the_bound(monkeypatch):
    monkeypatch.setenv("APPEALS_MAX_TEXT_LENGTH", "30000")
    with pytest.raises(ValidationError, match="max_text_length"):
        Settings()
    monkeypatch.setenv("APPEALS_MAX_TEXT_LENGTH", str(TEXT_MAX))
    assert Settings().max_text_length == TEXT_MAX


async def test_the_api_takes_the_bound_and_refuses_one_more(db, client):
    headers = auth(await make_key(db, "operator", "roads"))
    ok = await client.post("/api/v1/tickets", json={"text": "я" * TEXT_MAX}, headers=headers)
    assert ok.status_code == 201, ok.text
    r = await client.post("/api/v1/tickets", json={"text": "я" * (TEXT_MAX + 1)}, headers=headers)
    assert r.status_code == 422
    assert "text" in r.text and str(TEXT_MAX) in r.text


@pytest.mark.parametrize(
    ("url", "name", "field"),
    [(POS_URL, "pos_message.json", "description"), (IM_URL, "im_incident.json", "text")],
)
async def test_the_webhooks_take_the_bound_and_quarantine_one_more(db, url, name, field):
    app = create_app(db=db, settings=webhook_settings())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as hooks:
        longest = sample(name) | {field: "я" * TEXT_MAX}
        body = encode(longest)
        r = await hooks.post(url, content=body, headers=signed(body))
        assert r.status_code == 202, r.text
        # Taken means a ticket: the intake pipeline makes it with the whole text.
        made = await processed(db, r)
        assert made["status"] == "created", made
        async with db.sessionmaker() as session:
            ticket = await session.get(Ticket, made["ticket_id"])
        assert ticket is not None and len(ticket.text) == TEXT_MAX
        longer = sample(name) | {field: "я" * (TEXT_MAX + 1)}
        if "posId" in longer:
            longer["posId"] += 1
        else:
            longer["id"] = f"{longer['id']}-2"
            longer["post_url"] += "-2"
        body = encode(longer)
        r = await hooks.post(url, content=body, headers=signed(body))
        assert r.status_code == 422 and "delivery_id" in r.json(), r.text


async def test_open311_keeps_as_much_as_the_setting_says(db):
    app = create_app(db=db, settings=Settings(max_text_length=100))
    app.state.clock = lambda: datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    key = await make_key(db, "integration", "press")
    form = {
        "service_code": "roads",
        "address_string": "ул. Ленина, 5",
        "description": "Яма " * 100,
        "api_key": key,
    }
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        r = await client.post("/open311/v2/requests.json", data=form)
    assert r.status_code == 200, r.text
    number = r.json()[0]["service_request_id"]
    async with db.sessionmaker() as session:
        ticket = (await session.exec(select(Ticket).where(Ticket.number == number))).one()
    assert ticket.text == form["description"].strip()[:100]
