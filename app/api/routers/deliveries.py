"""Where a delivery stands after its 202: waiting in the inbox, or the ticket it made."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from app.access.api_keys import Principal
from app.api.deps import RowId, SessionDep, require_roles
from app.api.responses import problems
from app.intake.delivery_status import delivery_status
from app.models.common import Role
from app.models.inbound import DeliveryStatus

router = APIRouter(prefix="/api/v1/deliveries", tags=["webhooks"])

SenderDep = Annotated[Principal, Depends(require_roles(Role.admin, Role.integration))]


@router.get(
    "/{delivery_id}", response_model=DeliveryStatus, responses=problems(401, 403, 404, 422, 503)
)
async def get_delivery(delivery_id: RowId, session: SessionDep, _: SenderDep) -> DeliveryStatus:
    """`received` until the intake pipeline has made the ticket (tens of milliseconds when
    quiet), then the outcome with the ticket's number, or `invalid` with the reason it was
    quarantined. Integration and admin keys."""
    return await delivery_status(session, delivery_id)
