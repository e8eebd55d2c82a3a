"""Test databases: created per test session on a real PostgreSQL, migrated, dropped after."""

from __future__ import annotations

import os
import socket
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def server_url() -> str:
    """APPEALS_TEST_DATABASE_URL, else the local PostgreSQL on :5432, else the embedded one."""
    url = os.environ.get("APPEALS_TEST_DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+asyncpg://", 1)
    if _port_open("127.0.0.1", 5432):
        return "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    from pathlib import Path

    from app.db import start_embedded_postgres

    data_dir = Path(os.environ.get("APPEALS_TEST_DATA_DIR", "var/test-pg"))
    return start_embedded_postgres(data_dir)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def create_database(base_url: str, prefix: str = "appeals_test") -> str:
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(asyncpg_dsn(base_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(base_url, name)


async def drop_database(base_url: str, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    conn = await asyncpg.connect(asyncpg_dsn(base_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


class DatabaseReset:
    """Puts the test database back to "migrated + example city" before each test, fast.

    After the seed data is applied once, a copy of every non-empty table is kept in schema
    ``seed``; a reset deletes all rows (foreign-key triggers off), copies the seed back and
    restarts the sequences, in one round trip.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: asyncpg.Connection | None = None
        self.script = ""

    async def snapshot(self) -> None:
        self.conn = await asyncpg.connect(asyncpg_dsn(self.url))
        tables = [
            r["tablename"]
            for r in await self.conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname='public' "
                "AND tablename <> 'alembic_version' ORDER BY tablename"
            )
        ]
        await self.conn.execute("DROP SCHEMA IF EXISTS seed CASCADE; CREATE SCHEMA seed")
        seeded = []
        for table in tables:
            if await self.conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM public."{table}")'):
                await self.conn.execute(
                    f'CREATE TABLE seed."{table}" AS SELECT * FROM public."{table}"'
                )
                seeded.append(table)
        sequences = await self.conn.fetch(
            "SELECT s.relname AS seq, t.relname AS tbl, a.attname AS col "
            "FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace "
            "LEFT JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i') "
            "LEFT JOIN pg_class t ON t.oid = d.refobjid "
            "LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid "
            "WHERE s.relkind = 'S' AND n.nspname = 'public'"
        )
        parts = ["SET session_replication_role = replica"]
        if "inbound_deliveries" in tables:
            # A server a test started runs the intake pipeline, which may be finishing a batch
            # (deliveries an earlier test left waiting): wait for it first, and keep it from
            # claiming more until the reset commits, so the two never deadlock and no ticket
            # of the previous test is written after the reset.
            parts.append('LOCK TABLE public."inbound_deliveries" IN ACCESS EXCLUSIVE MODE')
        parts += [f'DELETE FROM public."{t}"' for t in tables]
        parts += [f'INSERT INTO public."{t}" SELECT * FROM seed."{t}"' for t in seeded]
        for r in sequences:
            if r["tbl"] in seeded:
                parts.append(
                    f"SELECT setval('public.\"{r['seq']}\"', "
                    f'COALESCE((SELECT max("{r["col"]}") FROM public."{r["tbl"]}"), 0) + 1, false)'
                )
            else:
                parts.append(f'ALTER SEQUENCE public."{r["seq"]}" RESTART')
        parts.append("SET session_replication_role = DEFAULT")
        self.script = ";\n".join(parts)

    async def reset(self) -> None:
        assert self.conn is not None
        await self.conn.execute(self.script)

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()
