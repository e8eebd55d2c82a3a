"""Quarantined deliveries: list them, and replay one once the mapping, config or body is fixed."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.audit import record_access
from app.access.personal_data import mask_document, scrub_text
from app.config import Settings
from app.connectors.base import ConnectorPayloadError
from app.connectors.registry import export_format, personal_data_keys
from app.errors import Conflict, NotFound, ValidationFailed
from app.incidents import surge as incidents
from app.intake.batch import parse_body
from app.intake.inbound import connector_actor
from app.intake.ingestion import IngestResult, ingest_draft
from app.intake.row_codec import encode_row
from app.models.inbound import DeliveryKind, DeliveryOutcome, DeliveryPublic, InboundDelivery
from app.models.pagination import decode_cursor, encode_cursor

# A lone UTF-16 half (`"\ud800"` in the JSON) is a str in Python but not UTF-8: shown as U+FFFD.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_INT_DIGITS = 4000  # Python refuses to turn longer digit strings into int (and back)


def _int(literal: str) -> int | str:
    """A JSON integer; one too long for Python's int is shown as its digits (a string)."""
    return int(literal) if len(literal) <= _MAX_INT_DIGITS else literal


def _float(literal: str) -> float | str:
    """A JSON number; one beyond a float (1e400) is shown as written (a string), never as
    ``Infinity``, which is not JSON."""
    value = float(literal)
    return value if math.isfinite(value) else literal


def masked_body(row: InboundDelivery) -> tuple[str | None, str | None]:
    """The body with the source's personal data masked, or None and why it cannot be shown:
    not JSON (nothing in it can be told apart), or nested too deeply to walk. The raw body is
    for ``read_raw_body`` only; replay works from the stored bytes either way."""
    if row.kind == DeliveryKind.import_row:
        return _masked_import_row(row), None
    try:
        document = json.loads(row.body, parse_int=_int, parse_float=_float, parse_constant=str)
        masked = mask_document(document, personal_data_keys(row.source))
        return _LONE_SURROGATE.sub("\ufffd", json.dumps(masked, ensure_ascii=False)), None
    except RecursionError:  # `[` × 50 000: every walk of it, loads included, runs out of stack
        return None, "not displayable: the JSON is nested too deeply"
    except ValueError:  # not UTF-8 or not JSON
        return None, "not displayable: the body is not JSON"


def _masked_import_row(row: InboundDelivery) -> str:
    """An export row (by column title): the item's number and dates shown, every other cell
    ``***`` (a row holds names, addresses and phones under titles no mask list can know)."""
    fmt = export_format(row.source)
    cells = json.loads(row.body)
    shown = {
        title: value if title == fmt.key_column or title.startswith("Дата") else "***"
        for title, value in cells.items()
    }
    return json.dumps(shown, ensure_ascii=False)


# Headers whose values are shown (e-mails and phones in them masked): enough to diagnose a
# delivery. Any other header may carry whatever the sender put there (X-Applicant: a name and
# a phone), so only its name is shown; the raw values stay in the database.
SHOWN_HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "content-encoding",
        "content-length",
        "content-type",
        "host",
        "user-agent",
        "webhook-id",
        "webhook-timestamp",
    }
)


def masked_headers(headers: dict[str, Any]) -> dict[str, str]:
    """The archived headers as admins see them: allow-listed values masked, the rest hidden."""
    return {
        name: scrub_text(str(value)) if name in SHOWN_HEADERS else "***"
        for name, value in headers.items()
    }


def delivery_public(row: InboundDelivery) -> DeliveryPublic:
    """A quarantined delivery as admins see it: personal data masked like every other view."""
    assert row.id is not None
    body, unavailable = masked_body(row)
    return DeliveryPublic(
        id=row.id,
        source=row.source,
        webhook_id=row.webhook_id,
        source_item_id=row.source_item_id,
        received_at=row.received_at,
        outcome=row.outcome,
        error_detail=row.error_detail,
        errors=row.errors,
        headers=masked_headers(row.headers),
        body=body,
        body_unavailable=unavailable,
        ticket_id=row.ticket_id,
        replayed_at=row.replayed_at,
        replayed_by=row.replayed_by,
        replay_outcome=row.replay_outcome,
    )


async def list_quarantine(
    session: AsyncSession,
    *,
    source: str | None = None,
    include_replayed: bool = False,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[InboundDelivery], str | None]:
    """Invalid deliveries, newest first; replayed ones only when asked for."""
    query = select(InboundDelivery).where(InboundDelivery.outcome == DeliveryOutcome.invalid)
    if not include_replayed:
        query = query.where(col(InboundDelivery.replayed_at).is_(None))
    if source is not None:
        query = query.where(InboundDelivery.source == source)
    if cursor is not None:
        (after,) = decode_cursor(cursor, size=1)
        if not isinstance(after, int):
            raise ValidationFailed("the cursor is not one this API issued", field="cursor")
        query = query.where(col(InboundDelivery.id) < after)
    rows = list(
        (await session.exec(query.order_by(col(InboundDelivery.id).desc()).limit(limit + 1))).all()
    )
    next_cursor = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def read_raw_body(
    session: AsyncSession, delivery_id: int, *, actor: str, reason: str, now: datetime
) -> tuple[InboundDelivery, int]:
    """A quarantined delivery's raw body, for whoever truly needs it: who and why are written
    to the access audit first. Returns the row and the audit record's id."""
    row = await session.get(InboundDelivery, delivery_id)
    if row is None or row.outcome != DeliveryOutcome.invalid:
        raise NotFound(f"no quarantined delivery {delivery_id}")
    audit = await record_access(
        session,
        actor=actor,
        action="quarantine_raw_body",
        subject=f"inbound_delivery:{delivery_id}",
        reason=reason,
        now=now,
    )
    assert audit.id is not None
    return row, audit.id


async def replay_delivery(
    session: AsyncSession,
    delivery_id: int,
    *,
    corrected: dict[str, Any] | None,
    settings: Settings,
    actor: str,
    now: datetime,
) -> tuple[InboundDelivery, IngestResult]:
    """Parse a quarantined delivery again (or its corrected body) and ingest it."""
    row = await session.get(InboundDelivery, delivery_id, with_for_update=True)
    if row is None or row.outcome != DeliveryOutcome.invalid:
        raise NotFound(f"no quarantined delivery {delivery_id}")
    if row.replayed_at is not None:
        raise Conflict(
            f"delivery {delivery_id} was already replayed into ticket {row.ticket_id}",
            ticket_id=row.ticket_id,
        )
    body = row.body
    if corrected is not None:  # an export row (failed in the pipeline) is cells by title
        import_row = row.kind == DeliveryKind.import_row
        body = (
            encode_row(corrected)
            if import_row
            else json.dumps(corrected, ensure_ascii=False).encode()
        )
    actor = connector_actor(row.source)
    try:
        draft = parse_body(row.source, row.kind, body, now=now, settings=settings)
    except ConnectorPayloadError as exc:
        raise ValidationFailed(
            f"the delivery is still invalid: {exc}", errors=exc.errors, delivery_id=delivery_id
        ) from exc
    result = await ingest_draft(session, draft, actor=actor, now=now)
    row.replayed_at, row.replayed_by, row.replay_outcome = now, actor, result.outcome
    row.ticket_id, row.source_item_id = result.ticket.id, draft.source_id
    if corrected is not None:
        row.corrected_body = body
    session.add(row)
    await session.flush()
    if result.outcome == DeliveryOutcome.created:
        # A replayed appeal of an open mass incident joins it now, as the intake's do.
        await incidents.join_new_tickets(session, [result.ticket.id])
    return row, result
