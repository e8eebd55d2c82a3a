"""``appeals worker``: runs every loop of ``registry.LOOPS`` until SIGTERM/SIGINT.

A pass that raises is logged (type and scrubbed traceback only) and retried on the next tick;
it never stops the worker or the other loops. Singleton loops run a pass only while holding a
PostgreSQL advisory lock, so with N workers one runs it at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import signal
import traceback
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from app.db import Database
from app.metrics.hooks import install_metric_hooks
from app.workers.registry import Loop, loops

log = logging.getLogger(__name__)

# A failing loop waits at least this long before its next pass (no hot error loops).
ERROR_PAUSE_SECONDS = 5.0


def where(exc: BaseException) -> str:
    """Where an exception came from (file:line:function, innermost first), without its message:
    database errors quote the statement's parameters, which may be a citizen's personal data."""
    frames = traceback.extract_tb(exc.__traceback__)[-6:]
    return " <- ".join(f"{Path(f.filename).name}:{f.lineno}:{f.name}" for f in reversed(frames))


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a loop name."""
    digest = hashlib.blake2b(f"appeals-loop:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def run_pass(db: Database, loop: Loop, now: datetime) -> bool:
    """One pass of ``loop``; a singleton pass is skipped (False) when another worker has it."""
    if not loop.singleton:
        await loop.run(db, now)
        return True
    async with db.engine.connect() as conn:
        key = lock_key(loop.name)
        got = (await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key})).scalar()
        await conn.commit()
        if not got:
            return False
        try:
            await loop.run(db, now)
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            await conn.commit()
    return True


async def _run_loop(
    db: Database, loop: Loop, stop: asyncio.Event, clock: Callable[[], datetime]
) -> None:
    while not stop.is_set():
        pause = loop.interval
        try:
            await run_pass(db, loop, clock())
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("loop %s failed: %s at %s", loop.name, type(exc).__name__, where(exc))
            pause = max(pause, ERROR_PAUSE_SECONDS)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=pause)


async def run_worker(
    db: Database,
    *,
    loops: Iterable[Loop],
    stop: asyncio.Event,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    grace_seconds: float = 30.0,
) -> None:
    """Run ``loops`` until ``stop`` is set; a pass in flight may finish within the grace."""
    tasks = [
        asyncio.create_task(_run_loop(db, loop, stop, clock), name=f"loop:{loop.name}")
        for loop in loops
    ]
    await stop.wait()
    _, pending = await asyncio.wait(tasks, timeout=grace_seconds)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


async def main(db: Database, *, only: set[str] | None = None) -> None:
    """The worker process: every loop (or ``only`` those), stopped by SIGTERM; the intervals
    come from the settings ``db`` was made with."""
    install_metric_hooks()  # the loops write counters and tickets through the ORM
    by_name = loops(db.settings)
    selected = [loop for name, loop in sorted(by_name.items()) if not only or name in only]
    stop = asyncio.Event()
    running = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        running.add_signal_handler(sig, stop.set)
    log.info("worker started with loops: %s", ", ".join(loop.name for loop in selected))
    await run_worker(db, loops=selected, stop=stop)
    log.info("worker stopped")
