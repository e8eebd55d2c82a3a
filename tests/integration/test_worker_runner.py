"""The worker runner: loops keep running after errors; singletons run one at a time."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from app.config import Settings
from app.workers.registry import Loop, loops
from app.workers.runner import run_pass, run_worker


async def test_a_failing_pass_is_logged_and_retried(db, caplog, monkeypatch):
    monkeypatch.setattr("app.workers.runner.ERROR_PAUSE_SECONDS", 0.01)
    calls: list[str] = []
    stop = asyncio.Event()

    async def flaky(db_, now: datetime) -> None:
        calls.append("flaky")
        if calls.count("flaky") < 3:
            raise RuntimeError("Петрова Ольга, +79240000000, ул. Ленина 5")
        stop.set()

    async def steady(db_, now: datetime) -> None:
        calls.append("steady")

    loops = [Loop("flaky", 0.01, flaky), Loop("steady", 0.01, steady)]
    with caplog.at_level(logging.ERROR, logger="app.workers.runner"):
        await asyncio.wait_for(run_worker(db, loops=loops, stop=stop), timeout=30)
    assert calls.count("flaky") == 3
    assert "steady" in calls
    failures = [r for r in caplog.records if "loop flaky failed" in r.getMessage()]
    assert len(failures) == 2
    # What failed and where, never the message (it may carry personal data).
    assert "RuntimeError" in failures[0].getMessage()
    assert "test_worker_runner.py" in failures[0].getMessage()
    assert "Петрова" not in caplog.text and "79240000000" not in caplog.text
    assert all(r.exc_info is None for r in failures)


async def test_singleton_pass_runs_in_one_worker_at_a_time(db):
    entered = asyncio.Event()
    release = asyncio.Event()
    runs: list[int] = []

    async def long_pass(db_, now: datetime) -> None:
        runs.append(1)
        entered.set()
        await release.wait()

    loop = Loop("test_singleton", 1.0, long_pass, singleton=True)
    first = asyncio.create_task(run_pass(db, loop, datetime.now()))
    await entered.wait()
    # Another worker (here: another connection) finds the lock taken and skips the pass.
    assert await run_pass(db, loop, datetime.now()) is False
    release.set()
    assert await first is True
    # Released: the next pass runs.
    release.set()
    assert await run_pass(db, loop, datetime.now()) is True
    assert len(runs) == 2


async def test_stop_lets_the_pass_in_flight_finish(db):
    stop = asyncio.Event()
    finished: list[bool] = []

    async def slow(db_, now: datetime) -> None:
        stop.set()  # SIGTERM arrives mid-pass
        await asyncio.sleep(0.05)
        finished.append(True)

    await asyncio.wait_for(run_worker(db, loops=[Loop("slow", 0.01, slow)], stop=stop), timeout=30)
    assert finished == [True]


def test_every_loop_is_listed_with_the_intervals_of_the_settings_given():
    settings = Settings(
        outbox_interval_seconds=3.5,
        sla_sweep_interval_seconds=11.0,
        feedback_platform_poll_interval_seconds=120.0,
        intake_poll_seconds=0.25,
    )
    found = loops(settings)
    assert {name: (loop.interval, loop.singleton) for name, loop in found.items()} == {
        "chatbot_purge": (3600.0, True),
        "feedback_platform_poller": (120.0, True),
        "incidents": (30.0, True),
        "intake": (0.25, False),  # any number at once: the pipeline claims with SKIP LOCKED
        "metrics_fold": (60.0, True),
        "outbox_relay": (3.5, False),
        "personal_data_purge": (3600.0, True),
        "sla_sweeper": (11.0, False),
    }
    assert all(loop.name == name for name, loop in found.items())
