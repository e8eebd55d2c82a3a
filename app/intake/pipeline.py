"""The intake pipeline: stored deliveries become tickets, a batch per transaction.

Every path from a source (signed webhooks, Excel import rows, the ПОС poller) stores its raw
item in ``inbound_deliveries`` as ``received`` and commits; this pipeline, running in every api
process (woken by NOTIFY) and in every worker, claims what is waiting (``FOR UPDATE SKIP
LOCKED``, any number of processes at once), groups it by source item and applies each item's
newest snapshot: an older one in the same batch is ``stale``, and ``ingest_draft`` keeps an
older one from overwriting a newer one stored by an earlier batch (``app.intake.batch``). One
transaction per batch: tickets, events, counters and the deliveries' outcomes commit together.
A batch that raises is rolled back and its deliveries are retried one by one; one that raises
alone (poison) is quarantined with its error and the others commit. A database that fails is
not poison: the batch stays waiting for the next pass.
"""

from __future__ import annotations

import asyncio
import json
import logging

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from app.data_errors import data_error_cause
from app.db import Database
from app.intake.batch import claim, process
from app.metrics import catalog
from app.metrics import store as metrics_store
from app.models.inbound import DeliveryOutcome

log = logging.getLogger(__name__)

# Not the item's fault: the batch stays waiting for a later pass. Whole SQLSTATE classes:
# 08 connection, 40 serialisation and deadlock, 42 a statement the schema does not fit (a
# migration half applied: no item could be stored), 53 resources, 54 limits, 55 object state
# (locks), 57 operator intervention (shutdown), 58 system, XX internal. What is left (22 a value
# the column refuses, 23 a constraint, Python errors on an odd item) is the item's own: poison.
_SYSTEMIC_CLASSES = frozenset({"08", "40", "42", "53", "54", "55", "57", "58", "XX"})
_QUARANTINE = text(
    "UPDATE inbound_deliveries SET outcome = 'invalid', error_detail = :detail, "
    "errors = CAST(:errors AS jsonb), attempts = attempts + 1, processed_at = clock_timestamp() "
    "WHERE id = (SELECT id FROM inbound_deliveries WHERE id = :id AND outcome = 'received' "
    "FOR UPDATE SKIP LOCKED) RETURNING source, kind"
)


def is_transient(exc: BaseException) -> bool:
    """A failure of the database or the connection, not of the item: retry later."""
    if isinstance(exc, OperationalError | InterfaceError | ConnectionError | TimeoutError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        return str(code or "")[:2] in _SYSTEMIC_CLASSES
    code = getattr(exc, "sqlstate", None)  # asyncpg's own, on the driver connection
    return code is not None and str(code)[:2] in _SYSTEMIC_CLASSES


async def run_batch(db: Database, *, limit: int, only: int | None = None) -> int:
    """One batch: claim up to ``limit`` waiting deliveries and finish them; returns how many
    were taken (0: nothing was waiting or free). A batch that raises is retried item by item."""
    async with db.sessionmaker() as session:
        waiting = await claim(session, limit=limit, only=only)
        if not waiting:
            return 0
        ids = [w.id for w in waiting]
        try:
            await process(session, waiting, db.settings)
            await session.commit()
            return len(ids)
        except Exception as exc:
            await session.rollback()
            if is_transient(exc):
                raise
            if len(ids) == 1:
                await _quarantine(db, ids[0], exc)
                return 1
            # The kind only, never the message (a database error quotes the row's values).
            log.warning(
                "intake: a batch of %s failed (%s); each delivery retried alone",
                len(ids),
                type(exc).__name__,
            )
    # Someone in the batch is poison: each alone, so only it fails. Another pipeline may take
    # some of them meanwhile: only what this one finished is counted.
    return sum([await run_batch(db, limit=1, only=delivery_id) for delivery_id in ids])


async def _quarantine(db: Database, delivery_id: int, exc: BaseException) -> None:
    """A delivery that fails alone: kept as invalid (for replay) with its error's kind only,
    never its message (a database error quotes the row's values: personal data)."""
    cause = data_error_cause(exc) if isinstance(exc, DBAPIError) else None
    detail = cause or f"the intake pipeline could not make a ticket of it ({type(exc).__name__})"
    errors = [{"field": "body", "message": detail, "type": "processing"}]
    async with db.sessionmaker() as session:
        found = await session.exec(  # type: ignore[call-overload]
            _QUARANTINE, params={"id": delivery_id, "detail": detail, "errors": json.dumps(errors)}
        )
        row = found.first()
        if row is None:  # another process finished it meanwhile
            return
        log.error("intake: delivery %s quarantined: %s", delivery_id, type(exc).__name__)
        await metrics_store.increment(
            session,
            catalog.INTAKE_ITEMS,
            {"source": row[0], "kind": row[1], "outcome": DeliveryOutcome.invalid},
        )
        await session.commit()


GATHER_SECONDS = 0.05


async def drain(db: Database, *, batch: int, gather: float = 0.0) -> int:
    """Run batches until nothing is waiting (or free to take); returns deliveries finished.

    ``gather``: after a batch that was not full, wait this long before claiming again. A batch
    has a fixed cost (a dozen statements) beside its items', so deliveries trickling in one by
    one would each pay it and a steady stream could outrun the pipeline; the pause lets them
    gather into one batch. The first delivery after a quiet spell is never kept waiting, and a
    burst (full batches) is taken without pauses."""
    done = 0
    while taken := await run_batch(db, limit=batch):
        done += taken
        if gather and taken < batch:
            await asyncio.sleep(gather)
    return done
