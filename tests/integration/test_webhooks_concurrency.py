"""Concurrent identical deliveries through a real uvicorn process: one ticket, all 2xx."""

import asyncio

import httpx
import pytest
from sqlmodel import func, select

from app.models.inbound import InboundDelivery
from app.models.tickets import Ticket
from tests.support.webhooks import IM_URL, POS_URL, encode, sample, signed, start_webhook_api


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    proc, base = start_webhook_api(database_url, tmp_path_factory.mktemp("api"))
    yield base
    proc.stop()


async def count(db, model):
    async with db.sessionmaker() as session:
        return (await session.exec(select(func.count()).select_from(model))).one()


async def burst(base, url, body, headers_for):
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        return await asyncio.gather(
            *(client.post(url, content=body, headers=headers_for(n)) for n in range(20))
        )


async def test_twenty_identical_deliveries_make_one_ticket(server, db):
    body = encode(sample("pos_message.json"))
    headers = signed(body, msg_id="msg_same")
    responses = await burst(server, POS_URL, body, lambda n: headers)
    assert [r.status_code for r in responses] == [202] * 20, [r.text for r in responses]
    outcomes = sorted(r.json()["outcome"] for r in responses)
    assert outcomes == ["created"] + ["duplicate"] * 19
    assert len({r.json()["ticket_id"] for r in responses}) == 1
    assert await count(db, Ticket) == 1
    assert await count(db, InboundDelivery) == 20


async def test_twenty_deliveries_of_one_item_under_different_ids(server, db):
    body = encode(sample("im_incident.json"))
    responses = await burst(server, IM_URL, body, lambda n: signed(body, msg_id=f"msg_{n}"))
    assert [r.status_code for r in responses] == [202] * 20, [r.text for r in responses]
    outcomes = sorted(r.json()["outcome"] for r in responses)
    assert outcomes == ["created"] + ["unchanged"] * 19
    assert await count(db, Ticket) == 1
