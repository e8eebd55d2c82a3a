"""Webhook bodies get the Excel import's date window: nothing before 2000, nothing more than a
day ahead of the hub's clock (a planned answer date: up to a year). Outside it → 422, the
delivery quarantined, no ticket."""

from datetime import UTC, datetime

import httpx
import pytest
from sqlmodel import func, select

from app.main import create_app
from app.models.inbound import InboundDelivery
from app.models.tickets import Ticket
from tests.support.builders import auth, make_key
from tests.support.intake import settling
from tests.support.webhooks import (
    IM_URL,
    POS_URL,
    PROBLEM,
    encode,
    sample,
    signed,
    webhook_settings,
)

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


@pytest.fixture
async def hooks(db):
    app = create_app(db=db, settings=webhook_settings())
    app.state.clock = lambda: NOW
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        event_hooks=settling(db),  # the intake pipeline runs after each 202
    ) as client:
        yield client


async def post(client, url, payload):
    body = encode(payload)
    return await client.post(url, content=body, headers=signed(body, at=NOW))


async def stored(db):
    async with db.sessionmaker() as session:
        tickets = (await session.exec(select(func.count()).select_from(Ticket))).one()
        rows = (await session.exec(select(InboundDelivery))).all()
    return tickets, [(d.outcome, [e["field"] for e in d.errors or []]) for d in rows]


def pos(**changes):
    return sample("pos_message.json") | changes


def im(**changes):
    return sample("im_incident.json") | changes


@pytest.mark.parametrize(
    ("url", "payload", "field"),
    [
        (POS_URL, pos(createdAt="2027-06-01T09:00:00Z"), "createdAt"),
        (POS_URL, pos(createdAt="1999-12-31T09:00:00Z"), "createdAt"),
        (POS_URL, pos(createdAt="2026-12-01T04:00:00Z"), "createdAt"),  # a day and an hour ahead
        (POS_URL, pos(answerAt="2028-01-01T00:00:00Z"), "answerAt"),  # over a year ahead
        (POS_URL, pos(answerAt="2026-11-01T00:00:00Z"), "answerAt"),  # before it was received
        # The edges of what a datetime holds: a day's arithmetic on them overflows.
        (POS_URL, pos(createdAt="0001-01-01T00:00:00+00:00", history=[]), "createdAt"),
        (POS_URL, pos(createdAt="9999-12-31T23:59:59+00:00", history=[]), "createdAt"),
        (IM_URL, im(created_at="0001-01-01T00:00:00+00:00"), "created_at"),
        (IM_URL, im(created_at="2027-06-01T09:00:00+10:00"), "created_at"),
        (IM_URL, im(created_at="1999-12-31T09:00:00+10:00"), "created_at"),
        (IM_URL, im(updated_at="2030-01-01T00:00:00+10:00"), "updated_at"),
    ],
)
async def test_a_date_outside_the_window_is_quarantined(hooks, db, url, payload, field):
    r = await post(hooks, url, payload)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == PROBLEM
    problem = r.json()
    assert field in {e["field"] for e in problem["errors"]}
    assert problem["delivery_id"]
    tickets, deliveries = await stored(db)
    assert tickets == 0
    ((outcome, fields),) = deliveries
    assert outcome == "invalid" and field in fields


@pytest.mark.parametrize(
    ("url", "payload"),
    [
        # A few hours ahead of the hub's clock (time zones, a drifting source clock) is fine.
        (POS_URL, pos(createdAt="2026-11-30T20:00:00Z", answerAt="2026-12-30T20:00:00Z")),
        (POS_URL, pos(createdAt="2000-01-01T00:00:00Z", answerAt=None, history=[])),
        (POS_URL, pos(answerAt="2027-11-01T00:00:00Z")),  # a planned date within the year
        (IM_URL, im(created_at="2026-11-30T20:00:00+10:00", updated_at=None)),
    ],
)
async def test_dates_inside_the_window_are_accepted(hooks, db, url, payload):
    r = await post(hooks, url, payload)
    assert r.status_code == 202, r.text
    assert await stored(db) == (1, [("created", [])])


async def test_the_window_moves_with_the_clock_on_replay(hooks, db):
    """A quarantined delivery replayed unchanged is judged by the same window again."""
    r = await post(hooks, POS_URL, pos(createdAt="2027-06-01T09:00:00Z"))
    delivery = r.json()["delivery_id"]
    admin = auth(await make_key(db, "admin"))
    again = await hooks.post(f"/api/v1/quarantine/{delivery}/replay", headers=admin)
    assert again.status_code == 422
    fixed = pos(createdAt="2026-11-29T09:00:00Z")
    replayed = await hooks.post(
        f"/api/v1/quarantine/{delivery}/replay", headers=admin, json={"body": fixed}
    )
    assert replayed.status_code == 200, replayed.text
    assert (await stored(db))[0] == 1
