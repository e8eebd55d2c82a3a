"""API keys come from each app instance's cache, confirmed by the statement that reads the page:
a key revoked by anyone — another instance, the CLI, psql — is refused by every instance on its
next request, and a cached key costs no statement of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy import event, text
from sqlmodel import select

from app.access.api_keys import hash_key, revoke_api_key
from app.config import get_settings
from app.db import Database
from app.main import create_app
from app.models.auth import ApiKey
from tests.support.builders import auth, make_key, make_ticket

# A list, a ticket page (one statement each) and an endpoint on the session path.
READS = ["/api/v1/tickets", "/api/v1/tickets/{id}", "/api/v1/tickets/{id}/events"]


class Statements:
    """Statements sent on the engine's connections (asyncpg's own query logger: the page
    reads bypass SQLAlchemy), BEGIN/COMMIT/ROLLBACK left out."""

    def __init__(self, db: Database) -> None:
        self.sent: list[str] = []
        self.logged: list[object] = []
        event.listen(db.engine.sync_engine, "checkout", self._checkout)
        self.db = db

    def _checkout(self, _dbapi: object, record: object, _proxy: object) -> None:
        driver = record.driver_connection  # type: ignore[attr-defined]
        if driver not in self.logged:
            driver.add_query_logger(self._log)
            self.logged.append(driver)

    def _log(self, record: object) -> None:
        query = record.query  # type: ignore[attr-defined]
        if query.split(None, 1)[0].rstrip(";").upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            self.sent.append(query)

    def close(self) -> None:
        event.remove(self.db.engine.sync_engine, "checkout", self._checkout)
        for driver in self.logged:
            driver.remove_query_logger(self._log)


@asynccontextmanager
async def instance(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Another app instance with its own engine and key cache, on the same database."""
    db = Database(database_url, get_settings())
    transport = httpx.ASGITransport(app=create_app(db=db))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://other") as client:
            yield client
    finally:
        await db.dispose()


async def revoke(db: Database, token: str) -> None:
    """What `appeals api-keys revoke` does, from its own process."""
    async with db.sessionmaker() as session:
        key = (await session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(token)))).one()
        assert key.id is not None
        await revoke_api_key(session, key_id=key.id)
        await session.commit()


@pytest.mark.parametrize("path", READS)
async def test_a_revoked_key_is_refused_by_both_instances_on_the_next_request(
    client, db, database_url, path
):
    ticket = await make_ticket(db)
    token = await make_key(db, "operator", "roads")
    url = path.format(id=ticket.id)
    async with instance(database_url) as other:
        for c in (client, other, client, other):  # both caches hold the key
            assert (await c.get(url, headers=auth(token))).status_code == 200
        await revoke(db, token)
        for c in (other, client):
            r = await c.get(url, headers=auth(token))
            assert r.status_code == 401, r.text
            assert r.headers["content-type"] == "application/problem+json"


async def test_a_key_revoked_in_psql_is_refused_and_an_empty_page_too(client, db):
    token = await make_key(db, "operator", "press")  # a department without tickets
    assert (await client.get("/api/v1/tickets", headers=auth(token))).json()["items"] == []
    async with db.engine.begin() as conn:
        await conn.execute(
            text("UPDATE api_keys SET revoked_at = now() WHERE key_hash = :h"),
            {"h": hash_key(token)},
        )
    assert (await client.get("/api/v1/tickets", headers=auth(token))).status_code == 401


async def test_a_cached_key_costs_no_statement_of_its_own(client, db):
    ticket = await make_ticket(db)
    token = await make_key(db, "admin")
    statements = Statements(db)
    try:
        await client.get("/api/v1/tickets", headers=auth(token))  # reads the key, then the page
        assert len(statements.sent) == 2
        for url in ("/api/v1/tickets", f"/api/v1/tickets/{ticket.id}"):
            statements.sent.clear()
            r = await client.get(url, headers=auth(token))
            assert r.status_code == 200
            assert len(statements.sent) == 1, statements.sent
            assert "api_key_version" in statements.sent[0]
    finally:
        statements.close()


async def test_keys_made_or_revoked_meanwhile_do_not_disturb_a_cached_key(client, db):
    token = await make_key(db, "operator", "roads")
    assert (await client.get("/api/v1/tickets", headers=auth(token))).status_code == 200
    other = await make_key(db, "operator", "zhkh")  # replaces the token: every cache reloads
    await revoke(db, other)
    assert (await client.get("/api/v1/tickets", headers=auth(token))).status_code == 200
    assert (await client.get("/api/v1/tickets", headers=auth(other))).status_code == 401
