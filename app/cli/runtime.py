"""What every command group shares: the database URL and running async work against it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer

from app.config import get_settings
from app.db import Database, resolve_database_url
from app.errors import AppError
from app.metrics.hooks import install_metric_hooks

T = TypeVar("T")


def database_url() -> str:
    """The configured URL; starts the embedded PostgreSQL when none is configured."""
    url = resolve_database_url(get_settings())
    os.environ["APPEALS_DATABASE_URL"] = url  # child processes share the same server
    get_settings.cache_clear()
    return url


def run_with_db(work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` with a migrated database, then dispose of the engine."""

    async def _main() -> T:
        install_metric_hooks()  # commands write tickets and counters through the ORM
        db = Database(database_url(), get_settings())
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(_main())


def run_reporting_errors(work: Callable[[Database], Awaitable[T]]) -> T:
    """``run_with_db``; a domain error is a message and exit code 1, not a traceback."""
    try:
        return run_with_db(work)
    except AppError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
