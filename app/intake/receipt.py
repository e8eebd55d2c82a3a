"""A valid delivery's receipt in one statement, on the pool's asyncpg connection, autocommit.

The receipt is what a sender waits for, so it is one round trip, like the bare ``INSERT`` of
``bench/baseline_app.py``: the raw delivery into the inbox (idempotent by source + webhook-id),
the connector's last success (skipped when another delivery holds the row: it records the same
moment) and the ``appeals_webhook_deliveries_total{outcome="received"}`` count are
data-modifying parts of one statement, which PostgreSQL runs as one transaction: all of it is
stored, or none. The pipelines are woken by the api process (``app.intake.wakeup``: its own at
once, the others' by a coalesced ``NOTIFY``); without one, the statement sends the ``NOTIFY``.
No row comes back for a repeated webhook-id (nothing was written); the caller then takes the
ORM path that archives the repeat. A value PostgreSQL refuses (SQLSTATE class 22) also goes that
way, where it is told as a 422 like any other delivery that cannot be stored.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import driver_connection
from app.metrics import catalog
from app.metrics.store import SHARDS, encode_labels

NOTIFY_CHANNEL = "appeals_intake"
# What every other writer of the inbox (imports, the poller, the ORM path) sends with its rows.
WAKE_PIPELINE = text(f"NOTIFY {NOTIFY_CHANNEL}")
_RECEIPT = """
WITH stored AS (
    INSERT INTO inbound_deliveries (source, kind, webhook_id, source_item_id, received_at, body,
                                    headers, outcome, errors, attempts)
    VALUES ($1, 'webhook', $2, $3, $4, $5, $6::jsonb, 'received', '[]'::jsonb, 0)
    ON CONFLICT (source, webhook_id) WHERE webhook_id IS NOT NULL AND outcome <> 'duplicate'
    DO NOTHING
    RETURNING id
), health AS (
    UPDATE connector_health SET last_success_at = GREATEST(last_success_at, $4)
    WHERE connector = (SELECT connector FROM connector_health WHERE connector = $1
                       FOR UPDATE SKIP LOCKED)
      AND EXISTS (SELECT 1 FROM stored)
    RETURNING 1
), counted AS (
    INSERT INTO metric_counters (name, labels, shard, value)
    SELECT $7, $8, $9, 1 FROM stored
    ON CONFLICT (name, labels, shard) DO UPDATE SET value = metric_counters.value + 1
    RETURNING 1
)
SELECT id, EXISTS (SELECT 1 FROM connector_health WHERE connector = $1) AS present{notify}
FROM stored
"""
# Announced by the caller (app.intake.wakeup), or here when it cannot: a NOTIFY in every receipt
# serialises the receipts' commits.
_RECEIPT_QUIET = _RECEIPT.format(notify="")
_RECEIPT_NOTIFYING = _RECEIPT.format(notify=f", pg_notify('{NOTIFY_CHANNEL}', '')")


@dataclass(frozen=True)
class Stored:
    delivery_id: int
    health_row: bool  # false before the connector's first success ever (no row to update)


async def store_received(
    engine: AsyncEngine,
    *,
    source: str,
    webhook_id: str,
    item: str,
    now: datetime,
    body: bytes,
    headers: dict[str, str],
    notify: bool = True,
) -> Stored | None:
    """The delivery stored and counted; None when nothing was written (a repeat, or a value
    the database refuses: the ORM path tells which). ``notify=False``: the caller wakes the
    pipelines itself (``app.intake.wakeup.PipelineWaker``)."""
    labels = encode_labels({"source": source, "outcome": "received"})
    args = (
        source,
        webhook_id,
        item,
        now,
        body,
        json.dumps(headers, ensure_ascii=False),
        catalog.WEBHOOK_DELIVERIES.name,
        labels,
        random.randrange(SHARDS),
    )
    try:
        async with driver_connection(engine) as conn:
            row = await conn.fetchrow(_RECEIPT_NOTIFYING if notify else _RECEIPT_QUIET, *args)
    except asyncpg.DataError:  # SQLSTATE class 22: told by the ORM path as a 422
        return None
    if row is None:
        return None
    return Stored(int(row[0]), bool(row[1]))
