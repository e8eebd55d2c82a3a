"""Signed webhooks from the sources. The signature is the authentication: no API key."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.api.deps import NowDep, SessionDep, SessionmakerDep, SettingsDep
from app.api.responses import problems
from app.intake.delivery_status import ticket_number
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


async def _receive(
    source: str,
    request: Request,
    response: Response,
    session: SessionDep,
    sessionmaker: SessionmakerDep,
    settings: SettingsDep,
    now: NowDep,
) -> WebhookAccepted:
    received = await receive_webhook(
        session,
        sessionmaker,
        engine=request.app.state.db.engine,
        source=source,
        body=await request.body(),
        headers=request.headers,
        settings=settings,
        now=now,
    )
    location = f"/api/v1/deliveries/{received.delivery_id}"
    response.headers["Location"] = location
    if not received.repeat:
        return WebhookAccepted(
            delivery_id=received.delivery_id, outcome=DeliveryOutcome.received, location=location
        )
    return WebhookAccepted(
        delivery_id=received.delivery_id,
        outcome=DeliveryOutcome.duplicate,
        ticket_id=received.ticket_id,
        ticket_number=await ticket_number(session, received.ticket_id),
        location=location,
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
async def feedback_platform(
    request: Request,
    response: Response,
    session: SessionDep,
    sessionmaker: SessionmakerDep,
    settings: SettingsDep,
    now: NowDep,
) -> WebhookAccepted:
    """Receive one ПОС message snapshot."""
    return await _receive(
        "feedback_platform", request, response, session, sessionmaker, settings, now
    )


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
async def incident_management(
    request: Request,
    response: Response,
    session: SessionDep,
    sessionmaker: SessionmakerDep,
    settings: SettingsDep,
    now: NowDep,
) -> WebhookAccepted:
    """Receive one IM incident snapshot."""
    return await _receive(
        "incident_management", request, response, session, sessionmaker, settings, now
    )
