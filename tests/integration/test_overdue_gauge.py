"""``appeals_tickets_overdue{target="resolution"}`` is a durable gauge: the SLA sweeper adds a
running ticket once its resolution deadline has passed, and every change that ends that takes it
off in the same transaction — answered, closed, on hold, rejected, merged, a new deadline — or
moves it with the ticket to another department. After any sequence it equals the running tickets
the sweeper has seen overdue, whatever a session had loaded; the migration counts those that
were overdue before it."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from app.metrics import store as metrics_store
from app.metrics.snapshots import refresh_overdue
from app.models.common import Status
from app.models.tickets import Ticket
from app.sla.sweeper import sweep
from app.tickets.status import apply_status
from tests.support.builders import make_ticket
from tests.support.servers import ROOT

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
LATER = T0 + timedelta(days=60)  # every test ticket's resolution deadline has passed


async def gauge(db) -> dict[str, float]:
    """The resolution series by department, as the scrape reads them (zeros left out)."""
    async with db.sessionmaker() as session:
        rows = await metrics_store.read_all(session)
    return {
        labels["department"]: value
        for name, labels, value in rows
        if name == "appeals_tickets_overdue" and labels["target"] == "resolution" and value
    }


async def truth(db, now: datetime) -> dict[str, float]:
    """Running tickets past their resolution deadline, counted from the tickets."""
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT department_code, count(*) FROM tickets "
                "WHERE status IN ('new', 'routed', 'in_progress') "
                "AND resolution_due_at < :now GROUP BY department_code"
            ).bindparams(now=now)
        )
        return {d: float(n) for d, n in rows.all()}


async def change(db, ticket_id: int, **values) -> None:
    async with db.sessionmaker() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        status = values.pop("status", None)
        if status is not None:
            apply_status(ticket, status, now=LATER, reason="тест")
        for name, value in values.items():
            setattr(ticket, name, value)
        await session.commit()


async def made(db, **overrides) -> int:
    return (await make_ticket(db, now=T0, **overrides)).id


async def test_the_sweeper_counts_once_and_every_ending_takes_it_off(db):
    ids = [await made(db) for _ in range(7)]
    other = await made(db, category_code="water")  # zhkh
    assert await gauge(db) == {}  # nothing is counted before the sweeper has seen it
    await sweep(db, LATER)
    await sweep(db, LATER + timedelta(minutes=1))  # a second pass counts nothing again
    assert await gauge(db) == await truth(db, LATER) == {"roads": 7, "zhkh": 1}

    await change(db, ids[0], status=Status.answered)
    await change(db, ids[1], status=Status.rejected)
    await change(db, ids[2], status=Status.on_hold)
    await change(db, ids[3], resolution_due_at=LATER + timedelta(days=30))  # extended
    await change(db, ids[4], department_code="zhkh")  # re-routed, still overdue
    await change(db, ids[5], status=Status.in_progress)  # still running: still counted
    assert await gauge(db) == await truth(db, LATER) == {"roads": 2, "zhkh": 2}

    await change(db, other, status=Status.merged, duplicate_of_id=ids[6])
    await change(db, ids[6], status=Status.answered)
    await change(db, ids[6], status=Status.closed)
    assert await gauge(db) == await truth(db, LATER) == {"roads": 1, "zhkh": 1}


async def test_a_ticket_off_hold_past_its_deadline_is_counted_again_by_the_next_sweep(db):
    ticket = await made(db)
    await sweep(db, LATER)
    await change(db, ticket, status=Status.on_hold)
    await sweep(db, LATER + timedelta(minutes=1))
    assert await gauge(db) == {}
    await change(db, ticket, status=Status.in_progress)  # the deadline moves, still passed
    assert await gauge(db) == {}
    await sweep(db, LATER + timedelta(minutes=2))
    assert await gauge(db) == await truth(db, LATER + timedelta(minutes=2)) == {"roads": 1}


async def test_a_session_that_loaded_the_ticket_before_the_sweep_takes_it_off(db):
    ticket = await made(db)
    async with db.sessionmaker() as session:
        loaded = await session.get(Ticket, ticket)  # loaded: not yet marked
        assert loaded is not None and not loaded.resolution_overdue
        await sweep(db, LATER)  # another process marks and counts it meanwhile
        assert await gauge(db) == {"roads": 1}
        apply_status(loaded, Status.answered, now=LATER)
        await session.commit()
    assert await gauge(db) == {}


async def test_a_rolled_back_ending_keeps_the_count(db):
    ticket = await made(db)
    await sweep(db, LATER)
    async with db.sessionmaker() as session:
        loaded = await session.get(Ticket, ticket)
        assert loaded is not None
        apply_status(loaded, Status.answered, now=LATER)
        await session.flush()
        await session.rollback()
    assert await gauge(db) == {"roads": 1}
    async with db.engine.connect() as conn:
        marked = await conn.scalar(
            text("SELECT resolution_overdue FROM tickets WHERE id = :id"), {"id": ticket}
        )
    assert marked is True


async def test_the_workers_snapshot_leaves_the_resolution_series_alone(db):
    await made(db)
    await sweep(db, LATER)
    async with db.sessionmaker() as session:
        await refresh_overdue(session, now=LATER)
        await session.commit()
    assert await gauge(db) == {"roads": 1}


def _migration():
    path = ROOT / "migrations" / "versions" / "0019_key_cache.py"
    spec = importlib.util.spec_from_file_location("migration_0019", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_migration_counts_the_tickets_overdue_before_it(db):
    old = datetime.now(UTC) - timedelta(days=60)  # the migration counts at the database's now
    for _ in range(2):
        await make_ticket(db, now=old)
    await make_ticket(db, now=old, category_code="water")
    await make_ticket(db)  # not overdue
    closed = await make_ticket(db, now=old)
    await change(db, closed.id, status=Status.answered)
    async with db.engine.begin() as conn:

        def run(sync_conn) -> None:
            with Operations.context(MigrationContext.configure(sync_conn)):
                _migration().count_overdue(sync_conn)

        await conn.run_sync(run)
    assert await gauge(db) == await truth(db, datetime.now(UTC)) == {"roads": 2, "zhkh": 1}
    await sweep(db, datetime.now(UTC))  # already marked: the sweeper adds nothing
    assert await gauge(db) == {"roads": 2, "zhkh": 1}
