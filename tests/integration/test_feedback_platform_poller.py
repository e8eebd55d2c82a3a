"""The ПОС poller against the bundled ПОС simulator (in-process) and real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlmodel import col, select

from app.config import Settings
from app.connectors.feedback_platform.inbound import FeedbackPlatformConnector
from app.intake.ingestion import ingest_draft
from app.models.connector_health import ConnectorHealth
from app.models.tickets import Ticket, TicketEvent
from app.tools.simulators.feedback_platform import build_app
from app.workers.feedback_platform_poller import HEALTH_NAME, FeedbackPlatformPoller, make_client
from tests.support.intake import settle


def poller_for(db, sim_app) -> FeedbackPlatformPoller:  # type: ignore[no-untyped-def]
    settings = Settings(  # type: ignore[call-arg]
        feedback_platform_url="http://pos.sim",
        feedback_platform_username="demo-client",
        feedback_platform_password="demo-password",
        feedback_platform_client_id="appeals-hub",
        feedback_platform_client_secret="demo-client-secret",
    )
    client = make_client(settings, transport=httpx.ASGITransport(app=sim_app))
    assert client is not None
    return FeedbackPlatformPoller(db, client, batch=50)


async def pushed(db, message: dict) -> Ticket:  # type: ignore[no-untyped-def]
    """The item as a webhook would have brought it in."""
    draft = FeedbackPlatformConnector().parse_object(message)
    async with db.sessionmaker() as session:
        result = await ingest_draft(session, draft, actor="test:webhook", now=datetime.now(UTC))
        await session.commit()
    return result.ticket


async def events(db, ticket_id: int) -> list[TicketEvent]:  # type: ignore[no-untyped-def]
    async with db.sessionmaker() as session:
        rows = await session.exec(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(col(TicketEvent.id))
        )
        return list(rows.all())


async def test_moderator_decline_in_pos_reaches_the_ticket(db):
    sim_app, sim, _ = build_app(target=None, secret=None, outbound_secret=None, rate=0, seed=7)
    message = sim.new_message(datetime.now(UTC))
    pos_id = str(message["posId"])
    sim.state.items[pos_id] = message
    ticket = await pushed(db, message)
    assert ticket.status in ("new", "routed")
    poller = poller_for(db, sim_app)

    # Nothing changed in ПОС: a poll reads the item and changes nothing.
    before = len(await events(db, ticket.id))
    report = await poller.run_once(datetime.now(UTC))
    assert report.read == 1 and report.failed == 0
    # What it read waits in the intake inbox; the pipeline finds nothing new in it.
    assert await settle(db) == 1
    assert len(await events(db, ticket.id)) == before

    sim.decline(pos_id, "Не относится к компетенции")
    await poller.run_once(datetime.now(UTC))
    assert await settle(db) == 1
    async with db.sessionmaker() as session:
        stored = await session.get(Ticket, ticket.id)
        health = await session.get(ConnectorHealth, HEALTH_NAME)
    assert stored is not None and stored.status == "rejected"
    assert stored.status_reason == "Не относится к компетенции"
    assert stored.source_status == "MODERATION_DECLINE"
    assert health is not None and health.last_success_at is not None
    # One login served every read; the rejected ticket is no longer polled.
    assert sim.state.logins == 1 and sim.state.reads == 2
    report = await poller.run_once(datetime.now(UTC))
    assert report.read == 0 and sim.state.reads == 2


async def test_revoked_token_logs_in_again(db):
    sim_app, sim, _ = build_app(target=None, secret=None, outbound_secret=None, rate=0, seed=8)
    message = sim.new_message(datetime.now(UTC))
    sim.state.items[str(message["posId"])] = message
    await pushed(db, message)
    poller = poller_for(db, sim_app)
    await poller.run_once(datetime.now(UTC))
    sim.state.tokens.clear()  # ПОС dropped our session
    report = await poller.run_once(datetime.now(UTC))
    assert report.read == 1 and sim.state.logins == 2


async def test_unreachable_pos_is_recorded_as_a_connector_failure(db):
    _, sim, _ = build_app(target=None, secret=None, outbound_secret=None, rate=0, seed=9)
    message = sim.new_message(datetime.now(UTC))
    await pushed(db, message)

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("down", request=request)

    settings = Settings(  # type: ignore[call-arg]
        feedback_platform_url="http://pos.sim",
        feedback_platform_username="u",
        feedback_platform_password="p",
        feedback_platform_client_id="c",
        feedback_platform_client_secret="s",
    )
    client = make_client(settings, transport=httpx.MockTransport(down))
    assert client is not None
    report = await FeedbackPlatformPoller(db, client, batch=50).run_once(datetime.now(UTC))
    assert report.failed == 1
    async with db.sessionmaker() as session:
        health = await session.get(ConnectorHealth, HEALTH_NAME)
    assert health is not None and health.failures == {"network": 1}
