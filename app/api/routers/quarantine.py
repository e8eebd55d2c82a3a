"""Admin API for quarantined (invalid) inbound deliveries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.api.deps import AdminDep, NowDep, RowId, SessionDep, SettingsDep
from app.api.responses import problems
from app.intake import quarantine
from app.models.common import Source
from app.models.inbound import (
    DeliveryPublic,
    RawBody,
    RawBodyRequest,
    ReplayRequest,
    ReplayResult,
)
from app.models.schemas import Page

router = APIRouter(prefix="/api/v1/quarantine", tags=["quarantine"])


@router.get("", response_model=Page[DeliveryPublic], responses=problems(401, 403, 422, 503))
async def list_(
    session: SessionDep,
    _: AdminDep,
    settings: SettingsDep,
    source: Source | None = None,
    include_replayed: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[DeliveryPublic]:
    """Invalid deliveries kept for replay, newest first: the body with personal data masked
    (the raw one: `POST …/{id}/raw-body`), headers without the signature."""
    rows, next_cursor = await quarantine.list_quarantine(
        session,
        source=source.value if source else None,
        include_replayed=include_replayed,
        limit=min(limit, settings.max_page_size),
        cursor=cursor,
    )
    return Page(items=[quarantine.delivery_public(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/{delivery_id}/raw-body",
    response_model=RawBody,
    responses=problems(401, 403, 404, 422, 503),
)
async def raw_body(
    delivery_id: RowId,
    data: RawBodyRequest,
    session: SessionDep,
    principal: AdminDep,
    now: NowDep,
    response: Response,
) -> RawBody:
    """The body exactly as the source sent it, personal data included. Who asked and the
    `reason` are written to the access audit in the same transaction; not cached."""
    row, audit_id = await quarantine.read_raw_body(
        session, delivery_id, actor=principal.actor, reason=data.reason, now=now
    )
    assert row.id is not None
    response.headers["Cache-Control"] = "no-store"
    return RawBody(
        delivery_id=row.id,
        source=row.source,
        received_at=row.received_at,
        body=row.body.decode("utf-8", errors="replace"),
        audit_id=audit_id,
    )


@router.post(
    "/{delivery_id}/replay",
    response_model=ReplayResult,
    responses=problems(401, 403, 404, 409, 422, 503),
)
async def replay(
    delivery_id: RowId,
    session: SessionDep,
    principal: AdminDep,
    settings: SettingsDep,
    now: NowDep,
    data: ReplayRequest | None = None,
) -> ReplayResult:
    """Parse the delivery again with today's mapping and config (or the corrected `body`)."""
    row, result = await quarantine.replay_delivery(
        session,
        delivery_id,
        corrected=data.body if data else None,
        settings=settings,
        actor=principal.actor,
        now=now,
    )
    assert row.id is not None and result.ticket.id is not None
    return ReplayResult(
        delivery_id=row.id,
        outcome=result.outcome,
        ticket_id=result.ticket.id,
        ticket_number=result.ticket.number,
    )
