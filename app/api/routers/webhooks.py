"""Signed webhooks from the sources. The signature is the authentication: no API key."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.api.deps import get_now
from app.api.responses import problems
from app.intake.inbound import receive_webhook
from app.models.inbound import DeliveryOutcome, WebhookAccepted

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

SIGNED = (
    "Signed per Standard Webhooks: `webhook-id`, `webhook-timestamp` (±300 s), "
    "`webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`. 202 means verified, "
    "validated and committed to the intake inbox; the ticket is made moments later by the "
    "intake pipeline: follow `Location` (`GET /api/v1/deliveries/{id}`) for its number. A "
    "repeated `webhook-id` is answered 202 with the first delivery's `Location` and no second "
    "effect; an invalid body is 422 with field errors and kept in quarantine."
)
RESPONSES = problems(401, 413, 422, 503)


async def _receive(source: str, request: Request) -> Response:
    """The receipt: no dependencies beyond the request (the sender waits for every step), the
    answer written directly (its shape is ``WebhookAccepted``, fixed here)."""
    state = request.app.state
    received = await receive_webhook(
        state.db.sessionmaker,
        engine=state.db.engine,
        source=source,
        body=await request.body(),
        headers=request.headers,
        settings=state.settings,
        now=await get_now(request),
        waker=getattr(state, "intake_waker", None),  # set by the lifespan
    )
    location = f"/api/v1/deliveries/{received.delivery_id}"
    accepted = WebhookAccepted(
        delivery_id=received.delivery_id,
        outcome=DeliveryOutcome.duplicate if received.repeat else DeliveryOutcome.received,
        ticket_id=received.ticket_id,
        ticket_number=received.ticket_number,
        location=location,
    )
    return Response(
        accepted.model_dump_json().encode(),
        status_code=202,
        media_type="application/json",
        headers={"Location": location},
    )


# The same path with a trailing slash answers too: a source must never get a redirect.
@router.post(
    "/feedback-platform/", status_code=202, response_model=WebhookAccepted, include_in_schema=False
)
@router.post(
    "/feedback-platform",
    status_code=202,
    response_model=WebhookAccepted,
    responses=RESPONSES,
    description="A ПОС message (docs/DOMAIN.md names) plus `fz59`, `fastTrack`. " + SIGNED,
)
async def feedback_platform(request: Request) -> Response:
    """Receive one ПОС message snapshot."""
    return await _receive("feedback_platform", request)


# The same path with a trailing slash answers too: a source must never get a redirect.
@router.post(
    "/incident-management/",
    status_code=202,
    response_model=WebhookAccepted,
    include_in_schema=False,
)
@router.post(
    "/incident-management",
    status_code=202,
    response_model=WebhookAccepted,
    responses=RESPONSES,
    description="An IM incident object (the contract in docs/CONNECTING.md). " + SIGNED,
)
async def incident_management(request: Request) -> Response:
    """Receive one IM incident snapshot."""
    return await _receive("incident_management", request)
