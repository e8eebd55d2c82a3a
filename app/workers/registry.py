"""The loops a worker process runs. Capabilities register theirs at import time.

A loop is an async function ``(db, now) -> None`` doing one bounded pass of work. The worker
calls it every ``interval`` seconds. ``singleton`` loops take a PostgreSQL advisory lock for the
pass, so with N worker processes only one runs it at a time; the others must be safe to run
concurrently by construction (``FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from app.db import Database

LoopFn = Callable[[Database, datetime], Awaitable[None]]


@dataclass(frozen=True)
class Loop:
    name: str
    interval: float
    run: LoopFn
    singleton: bool = False


LOOPS: dict[str, Loop] = {}


def register_loop(
    name: str, *, interval: float, singleton: bool = False
) -> Callable[[LoopFn], LoopFn]:
    """Decorator: make ``fn`` one of the loops every worker runs."""

    def _register(fn: LoopFn) -> LoopFn:
        LOOPS[name] = Loop(name, interval, fn, singleton)
        return fn

    return _register
