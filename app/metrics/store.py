"""Durable counters and histograms in PostgreSQL, updated in the caller's transaction.

Exact across any number of api and worker processes (the database is the only state) and
across restarts; the scrape reads one small table whose size depends on the label sets,
not on the number of tickets. Labels must be bounded sets: never ids or personal data.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

SHARDS = 16

# Seconds: from minutes (IM first answers) to months (59-ФЗ with an extension).
DURATION_BUCKETS: tuple[float, ...] = (
    300,
    900,
    1800,
    3600,
    2 * 3600,
    4 * 3600,
    9 * 3600,
    86400,
    3 * 86400,
    7 * 86400,
    10 * 86400,
    30 * 86400,
    60 * 86400,
)

_UPSERT = text(
    "INSERT INTO metric_counters (name, labels, shard, value) "
    "VALUES (:name, :labels, :shard, :value) "
    "ON CONFLICT (name, labels, shard) DO UPDATE SET value = metric_counters.value + EXCLUDED.value"
)


def encode_labels(labels: Mapping[str, str]) -> str:
    """Canonical form of a label set (sorted keys) used as part of the row key."""
    return json.dumps(
        {k: str(v) for k, v in sorted(labels.items())}, ensure_ascii=False, separators=(",", ":")
    )


_BUFFER = "appeals_metric_updates"


async def increment(
    session: AsyncSession,
    name: str,
    labels: Mapping[str, str] | None = None,
    value: float = 1.0,
) -> None:
    """Add ``value`` to a counter as part of the current transaction."""
    await increment_many(session, [(name, labels or {}, value)])


async def increment_many(
    session: AsyncSession, updates: Iterable[tuple[str, Mapping[str, str], float]]
) -> None:
    """Buffer counter updates; they are written just before the transaction commits."""
    buffer_updates(session.sync_session, updates)


def buffer_updates(
    session: Session, updates: Iterable[tuple[str, Mapping[str, str], float]]
) -> None:
    """The synchronous form, for ORM event hooks (e.g. ``before_flush``)."""
    buffer: dict[tuple[str, str], float] = session.info.setdefault(_BUFFER, {})
    for name, labels, value in updates:
        key = (name, encode_labels(labels))
        buffer[key] = buffer.get(key, 0.0) + value


@event.listens_for(Session, "before_commit")
def _write_buffered(session: Session) -> None:
    # One statement, rows in a fixed order, one random shard per transaction: concurrent
    # transactions never lock the same rows in opposite orders, and rarely the same rows.
    # Flush first: commit's own flush comes after this hook, and flush hooks add updates.
    if session.new or session.dirty or session.deleted:
        session.flush()
    buffer = session.info.pop(_BUFFER, None)
    if not buffer:
        return
    shard = random.randrange(SHARDS)
    rows = [
        {"name": name, "labels": labels, "shard": shard, "value": value}
        for (name, labels), value in sorted(buffer.items())
    ]
    session.execute(_UPSERT, rows)


@event.listens_for(Session, "after_rollback")
def _drop_buffered(session: Session) -> None:
    session.info.pop(_BUFFER, None)


# Shards 1..15 folded into shard 0. Rows are taken with SKIP LOCKED (a row a delivery is
# writing right now waits for the next fold) and shard 0 is written in key order, the order
# every writer locks in, so folding never deadlocks with ingestion. Delete and insert commit
# together: a scrape sees every increment exactly once, before or after.
_FOLD = text(
    "WITH taken AS (SELECT ctid FROM metric_counters WHERE shard <> 0 "
    "FOR UPDATE SKIP LOCKED), "
    "moved AS (DELETE FROM metric_counters WHERE ctid IN (SELECT ctid FROM taken) "
    "RETURNING name, labels, value) "
    "INSERT INTO metric_counters (name, labels, shard, value) "
    "SELECT name, labels, 0, sum(value) FROM moved GROUP BY name, labels ORDER BY name, labels "
    "ON CONFLICT (name, labels, shard) DO UPDATE SET value = metric_counters.value + EXCLUDED.value"
)


async def fold_shards(session: AsyncSession) -> int:
    """Add every shard row into shard 0 and delete it; returns the series folded.

    Sharding spreads concurrent writers over 16 rows per series; between writes those rows are
    only a cost to the scrape, which sums them (22 000 rows and 51-70 ms in bench/). Folding
    every minute keeps the table near one row per series.
    """
    result = await session.exec(_FOLD)  # type: ignore[call-overload]
    return int(result.rowcount or 0)


async def vacuum_counters(engine: AsyncEngine) -> None:
    """Reclaim the rows folding and counting left dead, so the scrape reads a small table.

    Every increment and every fold leaves dead row versions; between autovacuum runs they made
    the scrape's read of ~1 400 live rows cost 31 ms instead of 5 ms (112 000 dead ones, bench/).
    VACUUM cannot run in a transaction, hence its own autocommit connection; a role that does
    not own the table gets a warning and nothing happens.
    """
    async with engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.exec_driver_sql("VACUUM (SKIP_LOCKED) metric_counters")


def histogram_updates(
    name: str,
    labels: Mapping[str, str],
    value: float,
    buckets: Sequence[float] = DURATION_BUCKETS,
) -> list[tuple[str, Mapping[str, str], float]]:
    """The counter updates one observation makes: every bucket it falls in, _sum, _count."""
    updates: list[tuple[str, Mapping[str, str], float]] = []
    for bound in buckets:
        if value <= bound:
            updates.append((f"{name}_bucket", {**labels, "le": _le(bound)}, 1.0))
    updates.append((f"{name}_bucket", {**labels, "le": "+Inf"}, 1.0))
    updates.append((f"{name}_sum", labels, value))
    updates.append((f"{name}_count", labels, 1.0))
    return updates


async def observe(
    session: AsyncSession,
    name: str,
    labels: Mapping[str, str],
    value: float,
    buckets: Sequence[float] = DURATION_BUCKETS,
) -> None:
    """Record one histogram observation in the current transaction."""
    await increment_many(session, histogram_updates(name, labels, value, buckets))


def _le(bound: float) -> str:
    return str(float(bound))


async def read_all(session: AsyncSession) -> list[tuple[str, dict[str, str], float]]:
    """Every series with its shards summed: (name, labels, value)."""
    rows = await session.exec(  # type: ignore[call-overload]
        text(
            "SELECT name, labels, sum(value) FROM metric_counters GROUP BY name, labels "
            "ORDER BY name, labels"
        )
    )
    return [(r[0], dict(_decoded(r[1])), float(r[2])) for r in rows.all()]


@functools.lru_cache(maxsize=65536)
def _decoded(labels: str) -> tuple[tuple[str, str], ...]:
    """A stored label set, decoded once per process (there are a few thousand at most)."""
    return tuple(json.loads(labels).items())
