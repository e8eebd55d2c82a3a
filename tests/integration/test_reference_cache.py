"""The per-process reference snapshot: used while unchanged, replaced by any committed change."""

import asyncpg
from sqlalchemy import event, text

from app.directory import reference
from tests.integration.test_ingestion import ingest, pos, pos_draft
from tests.support.database import asyncpg_dsn

REFERENCE_TABLES = (
    "departments",
    "categories",
    "category_mappings",
    "districts",
    "routing_rules",
    "sla_policies",
)


class Statements:
    """Every SQL statement the app's engine sends while recording."""

    def __init__(self, engine):
        self.seen: list[str] = []
        self.engine = engine.sync_engine

    def _record(self, conn, cursor, statement, *args):
        self.seen.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._record)

    def reading(self, table):
        return [s for s in self.seen if f"FROM {table}" in s]


def item(pos_id, street):
    """A ПОС message about its own place, so no two of them are duplicates."""
    return pos_draft(
        pos(
            posId=pos_id,
            description=f"Не вывозят мусор у дома {pos_id % 97} по улице {street}",
            location=f"г. Спасск-Дальний, ул. {street}, д. {pos_id % 97}",
        )
    )


async def outside(database_url, sql):
    """A change made by someone else: psql, another replica, `appeals load-config`."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def token(database_url):
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return await conn.fetchval("SELECT token FROM reference_version")
    finally:
        await conn.close()


async def test_a_warm_snapshot_reads_no_reference_table(db):
    await ingest(db, item(700001, "Ленина"))
    with Statements(db.engine) as sql:
        result = await ingest(db, item(700002, "Советская"))
    assert result.outcome == "created"
    assert result.ticket.department_code == "blago"
    for table in REFERENCE_TABLES:
        assert sql.reading(table) == [], table
    assert any("FROM reference_version" in s for s in sql.seen)


async def test_every_write_to_a_reference_table_replaces_the_token(db, database_url):
    seen = {await token(database_url)}
    writes = [
        "UPDATE departments SET name = name || ' ' WHERE code = 'zhkh'",
        "UPDATE categories SET name = name || ' ' WHERE code = 'waste'",
        "DELETE FROM category_mappings WHERE id = (SELECT min(id) FROM category_mappings)",
        "UPDATE districts SET streets = streets",
        "UPDATE routing_rules SET description = 'x'",
        "UPDATE sla_policies SET active = active",
    ]
    for sql in writes:
        await outside(database_url, sql)
        seen.add(await token(database_url))
    assert len(seen) == len(writes) + 1


async def test_a_category_moved_by_another_connection_routes_the_next_item(db, database_url):
    first = await ingest(db, item(700011, "Кирова"))
    assert first.ticket.department_code == "blago"
    await outside(
        database_url, "UPDATE categories SET department_code = 'zhkh' WHERE code = 'waste'"
    )
    with Statements(db.engine) as sql:
        second = await ingest(db, item(700012, "Парковая"))
    assert second.ticket.department_code == "zhkh"
    assert sql.reading("categories"), "the changed directory was read again"


async def test_a_policy_changed_by_another_connection_sets_the_next_deadline(db, database_url):
    first = await ingest(db, item(700021, "Военный городок"))
    assert first.ticket.sla_policy == "pos_message"
    await outside(
        database_url,
        "UPDATE sla_policies SET name = 'pos_three_days', use_source_due = false, "
        """resolution = '{"value": 3, "unit": "calendar_days"}' WHERE name = 'pos_message'""",
    )
    second = await ingest(db, item(700022, "Вокзальная"))
    assert second.ticket.sla_policy == "pos_three_days"
    assert second.ticket.resolution_due_at != first.ticket.resolution_due_at


async def test_a_change_inside_an_uncommitted_transaction_is_not_kept(db):
    async with db.sessionmaker() as session:
        await session.exec(  # type: ignore[call-overload]
            text("UPDATE categories SET department_code = 'zhkh' WHERE code = 'waste'")
        )
        inside = await reference.current(session)
        assert inside.categories["waste"].department_code == "zhkh"
        await session.rollback()
    result = await ingest(db, item(700031, "Приморская"))
    assert result.ticket.department_code == "blago"
