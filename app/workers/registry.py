"""The loops a worker process runs, listed once in ``LOOPS``.

A loop is an async function ``(db, now) -> None`` doing one bounded pass of work; it reads its
settings from ``db.settings``. The worker calls it every ``interval`` seconds, read from the
settings it was started with (``loops``). ``singleton`` loops take a PostgreSQL advisory lock
for the pass, so with N worker processes only one runs it at a time; the others must be safe
to run concurrently by construction (``FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from app.config import Settings
from app.db import Database
from app.workers.chatbot_purge import run_chatbot_purge
from app.workers.feedback_platform_poller import poll_feedback_platform
from app.workers.incidents import run_incidents
from app.workers.intake import run_intake
from app.workers.metrics_fold import run_metrics_fold
from app.workers.relay import outbox_relay
from app.workers.retention import run_personal_data_purge
from app.workers.sla_sweeper import run_sla_sweeper

LoopFn = Callable[[Database, datetime], Awaitable[None]]
Interval = Callable[[Settings], float]


@dataclass(frozen=True)
class Loop:
    """A loop ready to run: its interval in seconds already read from the settings."""

    name: str
    interval: float
    run: LoopFn
    singleton: bool = False


@dataclass(frozen=True)
class LoopSpec:
    """A loop as listed: where its interval comes from."""

    name: str
    run: LoopFn
    interval: Interval
    singleton: bool = False


def every(seconds: float) -> Interval:
    """A fixed interval, whatever the settings."""
    return lambda _settings: seconds


LOOPS: tuple[LoopSpec, ...] = (
    LoopSpec("chatbot_purge", run_chatbot_purge, every(3600.0), singleton=True),
    LoopSpec(
        "feedback_platform_poller",
        poll_feedback_platform,
        lambda s: s.feedback_platform_poll_interval_seconds,
        singleton=True,
    ),
    LoopSpec("incidents", run_incidents, every(30.0), singleton=True),
    LoopSpec("intake", run_intake, lambda s: s.intake_poll_seconds),
    LoopSpec("metrics_fold", run_metrics_fold, every(60.0), singleton=True),
    LoopSpec("outbox_relay", outbox_relay, lambda s: s.outbox_interval_seconds),
    LoopSpec("personal_data_purge", run_personal_data_purge, every(3600.0), singleton=True),
    LoopSpec("sla_sweeper", run_sla_sweeper, lambda s: s.sla_sweep_interval_seconds),
)


def loops(settings: Settings) -> dict[str, Loop]:
    """Every loop by name, with the intervals of ``settings``."""
    return {
        spec.name: Loop(spec.name, spec.interval(settings), spec.run, spec.singleton)
        for spec in LOOPS
    }
