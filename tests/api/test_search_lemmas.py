"""Full-text search on lemmas through PostgreSQL and HTTP: other word forms, websearch syntax,
every place that writes a ticket's text or address, and the migration's backfill."""

from __future__ import annotations

import importlib.util
import uuid

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from app.tickets.search_text import search_document, search_query
from tests.support.builders import auth, make_key, make_ticket
from tests.support.servers import ROOT


def _mark() -> str:
    """A latin word unique to this test: searches are confined to its own tickets."""
    return "t" + uuid.uuid4().hex[:10]


async def found(client, token: str, q: str) -> list[int]:
    r = await client.get("/api/v1/tickets", params={"q": q, "limit": 200}, headers=auth(token))
    assert r.status_code == 200, r.text
    return sorted(t["id"] for t in r.json()["items"])


async def test_other_forms_find_the_ticket(client, db):
    token = await make_key(db, "admin")
    mark = _mark()
    cold = await make_ticket(db, text=f"{mark} Холодные батареи в квартире")
    hall = await make_ticket(db, text=f"{mark} В подъезде сломана батарея")
    pit = await make_ticket(db, text=f"{mark} Яма на дороге")
    for q in ("батарея", "батареей", "батарей", "БАТАРЕЯМИ"):
        assert await found(client, token, f"{mark} {q}") == sorted([cold.id, hall.id]), q
    assert await found(client, token, f"{mark} батарея -подъезд") == [cold.id]
    assert await found(client, token, f"{mark} батареи -подъездах") == [cold.id]
    assert await found(client, token, f'{mark} "холодная батарея"') == [cold.id]
    assert await found(client, token, f'{mark} "батарея холодная"') == []  # a phrase keeps order
    assert await found(client, token, f"{mark} ямы or холодных") == sorted([cold.id, pit.id])
    assert await found(client, token, f"{mark} яма на дорогах") == [pit.id]
    assert await found(client, token, f"{mark} сломанную") == [hall.id]  # participle forms


async def test_address_is_searched_and_edits_refresh_it(client, db):
    token = await make_key(db, "admin")
    mark = _mark()
    ticket = await make_ticket(db, text=f"{mark} Не горит фонарь", address="ул. Советская, 12")
    assert await found(client, token, f"{mark} советской") == [ticket.id]
    etag = (await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(token))).headers["etag"]
    r = await client.patch(
        f"/api/v1/tickets/{ticket.id}",
        json={"address": "Краснознамённая улица, 3"},
        headers={**auth(token), "If-Match": etag},
    )
    assert r.status_code == 200, r.text
    assert await found(client, token, f"{mark} советской") == []
    assert await found(client, token, f"{mark} краснознаменной") == [ticket.id]


async def test_a_ticket_recorded_by_hand_is_found_by_another_form(client, db):
    token = await make_key(db, "admin")
    mark = _mark()
    r = await client.post(
        "/api/v1/tickets",
        json={"text": f"{mark} Бездомные собаки во дворе", "category": "roads"},
        headers=auth(token),
    )
    assert r.status_code == 201, r.text
    assert await found(client, token, f"{mark} собака двор") == [r.json()["id"]]


def _migration():
    path = ROOT / "migrations" / "versions" / "0014_lemma_search.py"
    spec = importlib.util.spec_from_file_location("migration_0014", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_migration_lemmatises_existing_tickets(db):
    mark = _mark()
    texts = [f"{mark} Холодные батареи", f"{mark} Ямы во дворах", f"{mark} Нет горячей воды"]
    made = [await make_ticket(db, text=t, address="ул. Ленина, 5") for t in texts]
    ids = [t.id for t in made]
    migration = _migration()
    migration.BATCH = 2  # several batches even on a small database
    hits = text(
        "SELECT id FROM tickets WHERE id = ANY(:ids) "
        "AND search @@ websearch_to_tsquery('simple', :q) ORDER BY id"
    )
    async with db.engine.connect() as conn:
        trans = await conn.begin()

        def migrate(step: str):
            def run(sync_conn) -> None:
                with Operations.context(MigrationContext.configure(sync_conn)):
                    getattr(migration, step)()

            return run

        await conn.run_sync(migrate("downgrade"))  # back to Snowball: no search_text column
        columns = await conn.execute(
            text("SELECT 1 FROM information_schema.columns WHERE column_name = 'search_text'")
        )
        assert columns.first() is None
        await conn.run_sync(migrate("upgrade"))
        rows = await conn.execute(
            text("SELECT id, search_text FROM tickets WHERE id = ANY(:ids) ORDER BY id"),
            {"ids": ids},
        )
        assert [r.search_text for r in rows] == [search_document(t, "ул. Ленина, 5") for t in texts]
        for q, want in (("батареей", ids[:1]), ("яма двор", ids[1:2]), ("ленину", ids)):
            result = await conn.execute(hits, {"ids": ids, "q": search_query(q)})
            assert [r.id for r in result] == want, q
        indexes = await conn.execute(
            text(
                "SELECT indexname FROM pg_indexes "
                "WHERE tablename = 'tickets' AND indexname LIKE '%search'"
            )
        )
        assert sorted(r.indexname for r in indexes) == [
            "ix_tickets_department_search",
            "ix_tickets_search",
        ]
        await trans.rollback()
