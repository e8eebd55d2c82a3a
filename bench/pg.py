"""Scratch databases for the benchmarks (named bench_*, dropped afterwards)."""

from __future__ import annotations

import os

import asyncpg

SERVER = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")


def dsn(name: str) -> str:
    """libpq/asyncpg DSN of a bench database."""
    return f"{SERVER}/{name}"


def app_url(name: str) -> str:
    """The same database as the app's SQLAlchemy URL."""
    return dsn(name).replace("postgresql://", "postgresql+asyncpg://", 1)


async def create_database(name: str) -> None:
    if not name.startswith("bench_"):
        raise ValueError("bench databases are named bench_*")
    conn = await asyncpg.connect(dsn("postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_database(name: str) -> None:
    if not name.startswith("bench_"):
        raise ValueError("bench databases are named bench_*")
    conn = await asyncpg.connect(dsn("postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
