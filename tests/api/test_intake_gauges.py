"""``appeals_intake_backlog`` and ``appeals_intake_oldest_pending_age_seconds`` on the business
scrape: deliveries stored by a 202 and not yet made into tickets, by source; 0 once the pipeline
has finished them (no pipeline runs in an in-process app until the test settles the inbox)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.main import create_app
from tests.support.intake import settle
from tests.support.webhooks import IM_URL, POS_URL, encode, sample, signed, webhook_settings

BACKLOG = "appeals_intake_backlog"
AGE = "appeals_intake_oldest_pending_age_seconds"
SOURCES = ("feedback_platform", "incident_management")


def gauges(text: str) -> dict[tuple[str, str], float]:
    """(family, source) -> value of the two intake gauges."""
    out = {}
    for family in text_string_to_metric_families(text):
        if family.name in (BACKLOG, AGE):
            for s in family.samples:
                out[(family.name, s.labels["source"])] = s.value
    return out


@pytest.fixture
async def hub(db):
    app = create_app(db=db, settings=webhook_settings())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield app, client


async def deliver(client: httpx.AsyncClient, url: str, payload: dict, *, at: datetime, **kw):
    body = encode(payload)
    r = await client.post(url, content=body, headers=signed(body, at=at, **kw))
    return r


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, str], float]:
    r = await client.get("/metrics", params={"scope": "business"})
    assert r.status_code == 200, r.text
    return gauges(r.text)


async def test_nothing_waiting_is_zero_for_every_known_source(hub):
    _, client = hub
    got = await scrape(client)
    assert got == {(family, s): 0.0 for family in (BACKLOG, AGE) for s in SOURCES}


async def test_backlog_and_oldest_age_follow_the_inbox_until_the_pipeline_settles_it(hub, db):
    app, client = hub
    start = datetime.now(UTC).replace(microsecond=0)
    app.state.clock = lambda: start
    first = await deliver(client, IM_URL, sample("im_incident.json"), at=start, msg_id="msg_im")
    assert first.status_code == 202, first.text

    later = start + timedelta(seconds=10)
    app.state.clock = lambda: later
    pos = sample("pos_message.json")
    for n in range(2):
        pos["posId"] = 910_000 + n
        r = await deliver(client, POS_URL, pos, at=later, msg_id=f"msg_pos_{n}")
        assert r.status_code == 202, r.text
    # Neither a repeated webhook-id nor a refused body waits for the pipeline.
    again = await deliver(client, IM_URL, sample("im_incident.json"), at=later, msg_id="msg_im")
    assert again.status_code == 202 and again.json()["outcome"] == "duplicate", again.text
    broken = await deliver(client, IM_URL, {"id": "x"}, at=later, msg_id="msg_broken")
    assert broken.status_code == 422, broken.text

    app.state.clock = lambda: start + timedelta(seconds=90)
    assert await scrape(client) == {
        (BACKLOG, "incident_management"): 1,
        (AGE, "incident_management"): 90,
        (BACKLOG, "feedback_platform"): 2,
        (AGE, "feedback_platform"): 80,
    }

    assert await settle(db) == 3
    app.state.clock = lambda: start + timedelta(seconds=120)
    got = await scrape(client)
    assert got == {(family, s): 0.0 for family in (BACKLOG, AGE) for s in SOURCES}
    r = await client.get("/metrics", params={"scope": "business"})
    assert "# TYPE appeals_intake_backlog gauge" in r.text
