"""The intake pipeline in tests: a 202 stores the delivery; the pipeline makes the ticket.

In-process test apps (httpx.ASGITransport) run no lifespan, so no pipeline task runs: tests
``settle`` the inbox themselves, through the same ``drain`` every api process and worker runs.
``settling(db)`` is an httpx event hook that does it after every 202 of a webhook, so a test
reads the database as the pipeline left it; ``processed`` reads what became of a delivery.
"""

from __future__ import annotations

from typing import Any

import httpx

from app.db import Database
from app.intake.delivery_status import delivery_status
from app.intake.pipeline import drain


async def settle(db: Database) -> int:
    """Finish every waiting delivery; returns how many were finished."""
    return await drain(db, batch=db.settings.intake_batch_max)


def settling(db: Database) -> dict[str, list[Any]]:
    """``event_hooks`` for an httpx client: after a webhook's 202, the pipeline runs."""

    async def after(response: httpx.Response) -> None:
        if response.status_code == 202 and "/webhooks/" in response.request.url.path:
            await settle(db)

    return {"response": [after]}


async def processed(db: Database, response: httpx.Response) -> dict[str, Any]:
    """What the pipeline made of the delivery a 202 named: its status as
    ``GET /api/v1/deliveries/{id}`` shows it (``status``, ``ticket_id``, ``ticket_number``)."""
    assert response.status_code == 202, response.text
    await settle(db)
    async with db.sessionmaker() as session:
        status = await delivery_status(session, response.json()["delivery_id"])
    return status.model_dump(mode="json")
