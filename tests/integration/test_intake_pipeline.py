"""The intake pipeline on real PostgreSQL: batches, snapshot order, poison items, a database
that fails mid-batch, polled snapshots (issue 16)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import col, func, select

from app.connectors.incident_management.inbound import IncidentManagementConnector
from app.intake import batch, ingestion
from app.intake.pipeline import drain, run_batch
from app.intake.polling import store_polled
from app.main import create_app
from app.metrics import store as metrics_store
from app.models.inbound import InboundDelivery
from app.models.tickets import Ticket
from tests.support.builders import auth, make_key
from tests.support.webhooks import IM_URL, encode, sample, signed, webhook_settings


@pytest.fixture
async def hooks(db):
    """Receipt only: nothing runs the pipeline until a test does."""
    app = create_app(db=db, settings=webhook_settings())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


def im_post(n: int, **changes) -> dict:
    post = sample("im_incident.json")
    post |= {
        "id": f"im-batch-{n}",
        "post_url": f"https://vk.com/wall-100000000_{9000 + n}",
        "text": f"Яма на дороге у дома {n} по улице Ленина, колесо пробил",
    }
    return post | changes


async def deliver(hooks, payload) -> int:
    body = encode(payload)
    r = await hooks.post(IM_URL, content=body, headers=signed(body))
    assert r.status_code == 202, r.text
    assert r.json()["outcome"] == "received"
    return int(r.json()["delivery_id"])


async def rows(db) -> dict[int, InboundDelivery]:
    async with db.sessionmaker() as session:
        found = await session.exec(select(InboundDelivery).order_by(col(InboundDelivery.id)))
        return {r.id: r for r in found.all()}


async def ticket_count(db) -> int:
    async with db.sessionmaker() as session:
        return (await session.exec(select(func.count()).select_from(Ticket))).one()


async def series(db, name):
    async with db.sessionmaker() as session:
        return {
            tuple(sorted(labels.items())): v
            for n, labels, v in await metrics_store.read_all(session)
            if n == name
        }


async def test_one_batch_makes_every_ticket_in_one_transaction(hooks, db):
    ids = [await deliver(hooks, im_post(n)) for n in range(30)]
    assert await ticket_count(db) == 0
    assert await run_batch(db, limit=500) == 30
    assert await run_batch(db, limit=500) == 0
    stored = await rows(db)
    assert {stored[i].outcome for i in ids} == {"created"}
    assert len({stored[i].ticket_id for i in ids}) == 30
    assert all(stored[i].processed_at is not None for i in ids)
    assert await ticket_count(db) == 30
    sizes = await series(db, "appeals_intake_batch_size_count")
    assert sizes == {(): 1.0}  # one batch
    assert (await series(db, "appeals_intake_batch_size_sum")) == {(): 30.0}
    items = await series(db, "appeals_intake_items_total")
    key = (("kind", "webhook"), ("outcome", "created"), ("source", "incident_management"))
    assert items[key] == 30


async def test_batch_size_follows_what_waits(hooks, db):
    await deliver(hooks, im_post(1))
    assert await run_batch(db, limit=500) == 1  # quiet: one item, at once
    for n in range(2, 12):
        await deliver(hooks, im_post(n))
    assert await run_batch(db, limit=4) == 4  # the configured ceiling holds
    assert await drain(db, batch=500) == 6


class TestSnapshotOrder:
    OLD = {"updated_at": "2026-11-19T09:40:00+10:00", "status": "new"}
    NEW = {
        "updated_at": "2026-11-19T12:00:00+10:00",
        "status": "in_progress",
        "text": "Яма на дороге у дома 7 по улице Ленина — обновление: огородили",
    }

    async def test_an_older_snapshot_in_the_same_batch_is_stale(self, hooks, db):
        new = await deliver(hooks, im_post(7, **self.NEW))
        old = await deliver(hooks, im_post(7, **self.OLD))  # arrives later, is older
        assert await run_batch(db, limit=500) == 2
        stored = await rows(db)
        assert (stored[new].outcome, stored[old].outcome) == ("created", "stale")
        async with db.sessionmaker() as session:
            (ticket,) = (await session.exec(select(Ticket))).all()
        assert ticket.text.endswith("огородили")
        assert stored[old].ticket_id == ticket.id

    async def test_an_older_snapshot_in_a_later_batch_is_stale(self, hooks, db):
        new = await deliver(hooks, im_post(7, **self.NEW))
        await run_batch(db, limit=500)
        old = await deliver(hooks, im_post(7, **self.OLD))
        await run_batch(db, limit=500)
        stored = await rows(db)
        assert (stored[new].outcome, stored[old].outcome) == ("created", "stale")
        async with db.sessionmaker() as session:
            (ticket,) = (await session.exec(select(Ticket))).all()
        assert ticket.text.endswith("огородили")

    async def test_in_order_in_one_batch_the_newest_wins_once(self, hooks, db):
        old = await deliver(hooks, im_post(7, **self.OLD))
        new = await deliver(hooks, im_post(7, **self.NEW))
        await run_batch(db, limit=500)
        stored = await rows(db)
        assert (stored[old].outcome, stored[new].outcome) == ("stale", "created")
        assert await ticket_count(db) == 1


async def test_a_poison_item_fails_alone_and_the_batch_commits(hooks, db, monkeypatch):
    """An item PostgreSQL refuses (a source status longer than its column) is retried alone,
    then quarantined with the cause; the other 9 of its batch are made."""
    real = IncidentManagementConnector.parse

    def parse(self, body, *, now=None):
        draft = real(self, body, now=now)
        if draft.source_id.endswith("_9004"):
            draft.source_status = "S" * 100
        return draft

    ids = [await deliver(hooks, im_post(n)) for n in range(10)]
    monkeypatch.setattr(IncidentManagementConnector, "parse", parse)
    assert await drain(db, batch=500) == 10
    stored = await rows(db)
    poison = stored[ids[4]]
    assert poison.outcome == "invalid"
    assert poison.error_detail is not None and "longer than its field allows" in poison.error_detail
    assert poison.ticket_id is None
    assert [stored[i].outcome for i in ids if i != ids[4]] == ["created"] * 9
    assert await ticket_count(db) == 9
    # Kept for replay like any quarantined delivery; fixed, it makes its ticket.
    monkeypatch.setattr(IncidentManagementConnector, "parse", real)
    admin = auth(await make_key(db, "admin"))
    listed = (await hooks.get("/api/v1/quarantine", headers=admin)).json()["items"]
    assert [d["id"] for d in listed] == [ids[4]]
    replayed = await hooks.post(f"/api/v1/quarantine/{ids[4]}/replay", headers=admin)
    assert replayed.status_code == 200, replayed.text
    assert await ticket_count(db) == 10


async def test_a_failing_database_is_not_poison(hooks, db, monkeypatch):
    """A connection lost mid-batch leaves every delivery waiting for the next pass."""
    ids = [await deliver(hooks, im_post(n)) for n in range(3)]
    real = ingestion.create_items

    async def lost(*args, **kwargs):
        raise OperationalError("INSERT", {}, ConnectionResetError("connection lost"))

    monkeypatch.setattr(batch, "create_items", lost)
    with pytest.raises(OperationalError):
        await run_batch(db, limit=500)
    stored = await rows(db)
    assert {stored[i].outcome for i in ids} == {"received"}
    monkeypatch.setattr(batch, "create_items", real)
    assert await drain(db, batch=500) == 3
    assert await ticket_count(db) == 3


async def test_polled_snapshots_that_change_nothing_are_not_kept(hooks, db):
    connector = IncidentManagementConnector()
    await deliver(hooks, im_post(3))
    await drain(db, batch=500)

    async def poll(snapshot: dict) -> int:
        draft = connector.parse(encode(snapshot))
        async with db.sessionmaker() as session:
            await store_polled(
                session,
                source="incident_management",
                item=snapshot,
                draft=draft,
                now=draft.created_at,
            )
            await session.commit()
        return await drain(db, batch=500)

    assert await poll(im_post(3)) == 1
    assert await poll(im_post(3, updated_at="2026-11-19T13:00:00+10:00", status="in_progress")) == 1
    kinds = [(r.kind, r.outcome) for r in (await rows(db)).values()]
    # The poll that found nothing new is counted but not kept; the one that moved the ticket is.
    assert kinds == [("webhook", "created"), ("poll", "updated")]
    items = await series(db, "appeals_intake_items_total")
    polls = {k: v for k, v in items.items() if ("kind", "poll") in k}
    assert polls == {
        (("kind", "poll"), ("outcome", "unchanged"), ("source", "incident_management")): 1,
        (("kind", "poll"), ("outcome", "updated"), ("source", "incident_management")): 1,
    }
    async with db.sessionmaker() as session:
        (ticket,) = (await session.exec(select(Ticket))).all()
    assert ticket.status == "in_progress"


async def test_a_schema_that_fits_no_item_is_not_poison(hooks, db):
    """A migration half applied (a column missing) fails every item alike: nothing is
    quarantined, the deliveries wait, and once the schema is right they are made."""
    from sqlalchemy import text

    from app.intake.pipeline import is_transient

    ids = [await deliver(hooks, im_post(n)) for n in range(3)]
    async with db.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE tickets RENAME COLUMN source_category TO broken"))
    try:
        with pytest.raises(Exception) as failed:
            await run_batch(db, limit=500)
        assert is_transient(failed.value)
        stored = await rows(db)
        assert {stored[i].outcome for i in ids} == {"received"}
    finally:
        async with db.engine.begin() as conn:
            await conn.execute(text("ALTER TABLE tickets RENAME COLUMN broken TO source_category"))
        # Statements the pool's connections prepared against the renamed table would fail once
        # each ("cached plan must not change result type") in whichever test uses them next.
        await db.engine.dispose()
    assert await drain(db, batch=500) == 3
    stored = await rows(db)
    assert {stored[i].outcome for i in ids} == {"created"}


async def test_a_batch_finishes_at_one_moment(hooks, db):
    ids = [await deliver(hooks, im_post(n)) for n in range(5)]
    await run_batch(db, limit=500)
    stored = await rows(db)
    assert len({stored[i].processed_at for i in ids}) == 1


async def test_the_same_snapshot_twice_counts_the_first(hooks, db):
    first = await deliver(hooks, im_post(5))
    again = await deliver(hooks, im_post(5))
    await run_batch(db, limit=500)
    stored = await rows(db)
    assert (stored[first].outcome, stored[again].outcome) == ("created", "unchanged")


async def test_a_column_added_while_running_does_not_poison_stored_items(hooks, db):
    """A migration adds a column to tickets while this process runs: the statements it has
    prepared must not change result type (PostgreSQL refuses such a cached plan), or a stored
    item's next snapshot would be quarantined."""
    from sqlalchemy import text

    from app.db import Database

    one = Database(db.url, db.settings.model_copy(update={"db_pool_size": 1, "db_max_overflow": 0}))
    try:
        first = await deliver(hooks, im_post(1))
        assert await run_batch(one, limit=500) == 1  # the item's ticket; the statements prepared
        async with db.engine.begin() as conn:
            await conn.execute(text("ALTER TABLE tickets ADD COLUMN probe_added integer"))
        try:
            later = im_post(1, updated_at="2026-11-30T12:00:00+00:00", text="Яма стала больше")
            again = await deliver(hooks, later)
            assert await run_batch(one, limit=500) == 1
            stored = await rows(db)
            assert stored[first].outcome == "created"
            assert stored[again].outcome in ("updated", "unchanged"), stored[again].error_detail
        finally:
            await one.dispose()
            async with db.engine.begin() as conn:
                await conn.execute(text("ALTER TABLE tickets DROP COLUMN probe_added"))
            await db.engine.dispose()
    finally:
        await one.dispose()
