"""The ticket ORM hook keeps the durable open-tickets gauge and duration histograms right on
every path: re-routing, changes flushed only by commit, expired attributes, rollbacks; the 0006
migration seeds the gauge from tickets that existed before it."""

from __future__ import annotations

import importlib.util
import itertools
from datetime import UTC, datetime, timedelta

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from app.metrics import store as metrics_store
from app.models.common import Status
from app.models.tickets import Ticket
from app.tickets.status import apply_status
from tests.support.builders import make_ticket
from tests.support.servers import ROOT

T0 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)


_texts = itertools.count()


def own_text() -> str:
    """A text with no address: automatic duplicate detection leaves the ticket alone."""
    return f"Холодные батареи, заявка {next(_texts)}"


async def series(db, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    async with db.sessionmaker() as session:
        rows = await metrics_store.read_all(session)
    return {tuple(sorted(lab.items())): v for n, lab, v in rows if n == name}


def open_key(department: str, status: str) -> tuple[tuple[str, str], ...]:
    return (("department", department), ("status", status))


async def test_rerouting_and_status_changes_flushed_by_commit(db):
    made = await make_ticket(db, text=own_text(), now=T0)
    async with db.sessionmaker() as session:
        ticket = await session.get(Ticket, made.id)
        assert ticket is not None
        ticket.department_code = "zhkh"  # no flush: commit's own flush must be counted
        await session.commit()
    got = await series(db, "appeals_tickets_open")
    assert got[open_key("roads", "routed")] == 0
    assert got[open_key("zhkh", "routed")] == 1

    def hold_without_reading(sync_session) -> None:
        ticket = sync_session.get(Ticket, made.id)
        sync_session.expire(ticket, ["status", "department_code"])
        ticket.status = Status.on_hold.value  # the old value is loaded for the hook

    async with db.sessionmaker() as session:
        await session.run_sync(hold_without_reading)
        await session.commit()
    got = await series(db, "appeals_tickets_open")
    assert got[open_key("zhkh", "routed")] == 0
    assert got[open_key("zhkh", "on_hold")] == 1

    async with db.sessionmaker() as session:
        ticket = await session.get(Ticket, made.id)
        assert ticket is not None
        apply_status(ticket, Status.answered, now=T0 + timedelta(hours=3))
        await session.commit()
        # Reopened and answered again: the first resolution stays the only one observed.
        apply_status(ticket, Status.in_progress, now=T0 + timedelta(hours=4), reason="оценка 1")
        apply_status(ticket, Status.answered, now=T0 + timedelta(hours=5))
        await session.commit()
    got = await series(db, "appeals_tickets_open")
    assert all(v == 0 for v in got.values())
    resolution = await series(db, "appeals_resolution_seconds_count")
    assert resolution == {(("kind", "direct_request"),): 1}
    total = await series(db, "appeals_resolution_seconds_sum")
    assert total == {(("kind", "direct_request"),): 3 * 3600}


async def test_rolled_back_changes_are_not_counted(db):
    made = await make_ticket(db, text=own_text(), now=T0)
    async with db.sessionmaker() as session:
        ticket = await session.get(Ticket, made.id)
        assert ticket is not None
        apply_status(ticket, Status.in_progress, now=T0)
        await session.flush()
        await session.rollback()
    got = await series(db, "appeals_tickets_open")
    assert got[open_key("roads", "routed")] == 1
    assert got.get(open_key("roads", "in_progress"), 0) == 0


def _migration():
    path = ROOT / "migrations" / "versions" / "0006_metrics.py"
    spec = importlib.util.spec_from_file_location("migration_0006", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_migration_seeds_the_gauge_from_existing_tickets(db):
    for _ in range(3):
        await make_ticket(db, text=own_text(), now=T0)
    await make_ticket(db, text=own_text(), now=T0, category_code="heating")
    before = await series(db, "appeals_tickets_open")
    async with db.engine.begin() as conn:
        await conn.execute(text("DELETE FROM metric_counters WHERE name = 'appeals_tickets_open'"))

        def run(sync_conn) -> None:
            with Operations.context(MigrationContext.configure(sync_conn)):
                _migration().upgrade()

        await conn.run_sync(run)
    after = await series(db, "appeals_tickets_open")
    assert after == {k: v for k, v in before.items() if v}
    assert sum(after.values()) == 4
