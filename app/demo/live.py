"""What the demo's terminal shows: the banner (URLs, the key, the console sign-ins) and a compact
live view, a line every few seconds with what arrived, was routed and answered. Every process's
full JSON log goes to a file instead, so the banner does not scroll away."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sqlalchemy import text

from app.config import Settings
from app.db import Database
from app.demo.access import DemoAccess

SOURCES = {
    "feedback_platform": "ПОС",
    "incident_management": "ИМ",
    "chatbot": "чат-бот",
    "open311": "Open311",
    "api": "вручную",
}
_EVENTS = text(
    "SELECT e.type, t.source, e.data->>'outcome' AS outcome, count(*) AS n, max(e.id) AS last "
    "FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
    "WHERE e.id > :after AND e.type IN ('created', 'routed', 'rerouted', 'answer', "
    "'delivery_attempt') GROUP BY 1, 2, 3"
)
_TOTALS = text(
    "SELECT count(*) AS total, "
    "count(*) FILTER (WHERE status IN ('new', 'routed', 'in_progress', 'on_hold')) AS open, "
    "count(*) FILTER (WHERE status IN ('new', 'routed', 'in_progress') "
    "AND resolution_due_at < now()) AS overdue FROM tickets"
)
_LAST_EVENT = text("SELECT coalesce(max(id), 0) FROM ticket_events")


def redirect_output(log_path: Path) -> TextIO:
    """Send this process's stdout and stderr, and so its children's, to ``log_path``; return
    a stream to the terminal they went to before."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    terminal = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8", errors="replace")
    # O_APPEND: the demo and its children write whole lines into one file without clobbering.
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    return terminal


def say(terminal: TextIO, message: str) -> None:
    """A line on the terminal; a closed terminal (SIGHUP) is not an error."""
    try:
        terminal.write(message + "\n")
        terminal.flush()
    except (OSError, ValueError):
        pass


def banner(access: DemoAccess, base: str, simulators: str, log_path: Path) -> str:
    key = access.api_key
    width = max(len(s.login) for s in access.sign_ins)
    sign_ins = "\n".join(
        f"                 {s.login:<{width}}  {s.password}   {s.department_name} ({s.role})"
        for s in access.sign_ins
    )
    return (
        "\n"
        "Appeals hub demo is running. Enter shows this again; Ctrl-C stops everything.\n"
        f"  API explorer   {base}/docs   (reference: {base}/redoc)\n"
        f"  Admin API key  {key}\n"
        f"                 curl -H 'Authorization: Bearer {key}' {base}/api/v1/tickets\n"
        f"  Console        {base}/console   sign in as (login, password):\n"
        f"{sign_ins}\n"
        f"  Metrics        {base}/metrics\n"
        f"  Simulators     {simulators}\n"
        "  Command line   .venv/bin/appeals --help   (or `source .venv/bin/activate`, then "
        "appeals …)\n"
        f"  Full log       {log_path}   (the key and sign-ins: {log_path.parent / 'access.json'})"
        "\n"
    )


def reprint_on_enter(terminal: TextIO, text_: str) -> None:
    """Print ``text_`` again whenever Enter is pressed (when stdin is a terminal)."""
    if not sys.stdin.isatty():
        return

    def read() -> None:
        for _ in sys.stdin:
            say(terminal, text_)

    threading.Thread(target=read, name="demo-banner", daemon=True).start()


@dataclass
class Tally:
    arrived: Counter[str]
    routed: int = 0
    answered: int = 0
    delivered: int = 0

    def line(self, totals: tuple[int, int, int]) -> str:
        arrived = sum(self.arrived.values())
        sources = ", ".join(f"{SOURCES.get(k, k)} {n}" for k, n in self.arrived.most_common())
        total, open_, overdue = totals
        return (
            f"{time.strftime('%H:%M:%S')}  +{arrived} arrived"
            + (f" ({sources})" if sources else "")
            + f" · {self.routed} routed · {self.answered} answered · {self.delivered} "
            f"delivered back  │  {total} tickets, {open_} open, {overdue} overdue"
        )


class LiveView:
    """Every ``interval`` seconds, one line of what happened since the last one (nothing when
    nothing did), read from the timeline in the database."""

    def __init__(self, url: str, settings: Settings, terminal: TextIO, interval: float) -> None:
        self.url, self.settings, self.terminal, self.interval = url, settings, terminal, interval
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="demo-live-view", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.done.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)

    def _run(self) -> None:
        asyncio.run(self._watch())

    async def _watch(self) -> None:
        db = Database(self.url, self.settings)
        try:
            async with db.sessionmaker() as session:
                after = int((await session.execute(_LAST_EVENT)).scalar_one())
            failing = False
            while not await asyncio.to_thread(self.done.wait, self.interval):
                try:
                    after = await self._tick(db, after)
                except Exception as exc:  # the view may miss a beat; the demo goes on
                    if not failing:
                        say(self.terminal, f"(live view paused: {type(exc).__name__})")
                    failing = True
                else:
                    failing = False
        finally:
            await db.dispose()

    async def _tick(self, db: Database, after: int) -> int:
        tally = Tally(Counter())
        async with db.sessionmaker() as session:
            rows = (await session.execute(_EVENTS, {"after": after})).all()
            totals = (await session.execute(_TOTALS)).one()
        for kind, source, outcome, n, last in rows:
            after = max(after, last)
            if kind == "created":
                tally.arrived[source] += n
            elif kind in ("routed", "rerouted"):
                tally.routed += n
            elif kind == "answer":
                tally.answered += n
            elif outcome == "sent":
                tally.delivered += n
        if rows:
            say(self.terminal, tally.line(tuple(totals)))
        return after
