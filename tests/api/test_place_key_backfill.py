"""Migration 0018 recomputes stored place keys of tickets dedup still compares (open, or
closed within the repeat window) in the new format, and leaves older closed tickets alone."""

from __future__ import annotations

import importlib.util

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from tests.support.builders import make_ticket
from tests.support.servers import ROOT


def _migration():
    path = ROOT / "migrations" / "versions" / "0018_place_keys.py"
    spec = importlib.util.spec_from_file_location("migration_0018", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_old_keys_are_recomputed_for_tickets_dedup_still_compares(db):
    open_house = await make_ticket(db, text="Яма у подъезда", address="ул. Советская, д. 12-а")
    open_cross = await make_ticket(db, text="Не работает светофор", address="Ленина / Советская")
    no_address = await make_ticket(db, text="Не горит фонарь у дома 5 по улице Ленина")
    old_closed = await make_ticket(db, text="Яма", address="ул. Советская, д. 3")
    recent_closed = await make_ticket(db, text="Яма", address="Советская 7")
    ids = [open_house.id, open_cross.id, no_address.id, old_closed.id, recent_closed.id]
    migration = _migration()
    migration.BATCH = 2  # several batches even on a small database
    async with db.engine.connect() as conn:
        trans = await conn.begin()
        # Keys as the Snowball-era code stored them.
        await conn.execute(
            text("UPDATE tickets SET address_key = 'старый ключ' WHERE id = ANY(:ids)"),
            {"ids": ids},
        )
        await conn.execute(
            text(
                "UPDATE tickets SET status = 'closed', closed_at = now() - "
                "CASE WHEN id = :old THEN interval '200 days' ELSE interval '10 days' END "
                "WHERE id = ANY(:closed)"
            ),
            {"old": old_closed.id, "closed": [old_closed.id, recent_closed.id]},
        )

        def upgrade(sync_conn) -> None:
            with Operations.context(MigrationContext.configure(sync_conn)):
                migration.upgrade()

        await conn.run_sync(upgrade)
        rows = await conn.execute(
            text("SELECT id, address_key FROM tickets WHERE id = ANY(:ids)"), {"ids": ids}
        )
        keys = {r.id: r.address_key for r in rows}
        await trans.rollback()
    assert keys[open_house.id] == "советский 12а"
    assert keys[open_cross.id] == "ленин / советский"
    assert keys[no_address.id] == "ленин 5"
    assert keys[recent_closed.id] == "советский 7"
    assert keys[old_closed.id] == "старый ключ"
