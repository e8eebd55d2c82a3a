"""The intake pipeline as a background task of an api process: woken by NOTIFY, else polling.

A delivery's receipt commits and sends ``NOTIFY appeals_intake``; the task listening on its own
connection drains the inbox at once, so a quiet system makes the ticket within tens of
milliseconds. Without a notification (a lost listener connection, a delivery stored by an
import or a poller of another process) it looks every ``intake_poll_seconds``. Workers run the
same ``drain`` as a loop of their own (``app.workers.registry``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from app.db import Database
from app.intake.pipeline import GATHER_SECONDS, drain, is_transient
from app.intake.receipt import NOTIFY_CHANNEL

log = logging.getLogger(__name__)
ERROR_PAUSE_SECONDS = 2.0
LISTEN_RETRY_SECONDS = 30.0  # a lost listener is sought again at most this often


def plain_dsn(url: str) -> str:
    """The SQLAlchemy URL as asyncpg's own DSN (no ``+asyncpg`` driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class IntakeTask:
    """Drains the inbox whenever woken, until ``stop``."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.wake = asyncio.Event()
        self.stopping = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.listen_again_at = 0.0
        self.said_no_listener = False

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name="intake-pipeline")

    async def stop(self, grace: float = 10.0) -> None:
        self.stopping.set()
        self.wake.set()
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self.task, timeout=grace)

    def _notified(self, *_args: Any) -> None:
        self.wake.set()

    async def _listen(self) -> asyncpg.Connection | None:
        """A connection listening for receipts; None (polling only) while none can be had,
        sought again every ``LISTEN_RETRY_SECONDS`` (the database back after an outage)."""
        self.listen_again_at = time.monotonic() + LISTEN_RETRY_SECONDS
        try:
            conn = await asyncpg.connect(plain_dsn(self.db.url), timeout=5)
            await conn.add_listener(NOTIFY_CHANNEL, self._notified)
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            if not self.said_no_listener:  # once per outage, not once per retry
                log.warning("intake: no NOTIFY listener (%s); polling", type(exc).__name__)
                self.said_no_listener = True
            return None
        if self.said_no_listener:
            log.info("intake: NOTIFY listener back")
            self.said_no_listener = False
        self.wake.set()  # what arrived while nobody listened
        return conn

    def _lost(self, listener: asyncpg.Connection | None) -> bool:
        gone = listener is None or listener.is_closed()
        return gone and time.monotonic() >= self.listen_again_at

    async def _run(self) -> None:
        settings = self.db.settings
        listener = await self._listen()
        try:
            while not self.stopping.is_set():
                self.wake.clear()
                pause = settings.intake_poll_seconds
                try:
                    await drain(self.db, batch=settings.intake_batch_max, gather=GATHER_SECONDS)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    level = logging.WARNING if is_transient(exc) else logging.ERROR
                    log.log(level, "intake pass failed: %s", type(exc).__name__)
                    pause = max(pause, ERROR_PAUSE_SECONDS)
                if self._lost(listener):
                    listener = await self._listen()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=pause)
        finally:
            if listener is not None and not listener.is_closed():
                with contextlib.suppress(Exception):
                    await listener.close(timeout=2)
