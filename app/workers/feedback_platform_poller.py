"""Re-reads open ПОС items by ``posId`` so decisions made inside ПОС reach the ticket.

Each snapshot is checked with the same mapping as a pushed one and stored in the intake inbox;
the intake pipeline applies it like any delivery: an unchanged item changes nothing (and its
delivery is not kept), an older snapshot never overwrites a newer one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import httpx

from app.config import Settings
from app.connectors.base import ConnectorPayloadError
from app.connectors.feedback_platform.client import (
    Credentials,
    FeedbackPlatformClient,
    FeedbackPlatformError,
)
from app.connectors.feedback_platform.inbound import FeedbackPlatformConnector
from app.db import Database
from app.intake import connector_health
from app.intake.polling import open_items, store_polled
from app.models.common import Source

log = logging.getLogger(__name__)

HEALTH_NAME = "feedback_platform.poll"
ACTOR = "system:feedback_platform_poller"
# Failures after which the rest of the pass is pointless (the source or our login is down).
_STOP_REASONS = {"auth_failed", "bad_token_response", "network", "timeout"}


@dataclass
class PollReport:
    read: int = 0
    missing: int = 0
    invalid: int = 0
    failed: int = 0


class FeedbackPlatformPoller:
    """Walks the open ПОС tickets batch by batch, round-robin across passes."""

    def __init__(self, db: Database, client: FeedbackPlatformClient, *, batch: int) -> None:
        self.db = db
        self.client = client
        self.batch = batch
        self.connector = FeedbackPlatformConnector()
        self.after_id = 0

    async def run_once(self, now: datetime) -> PollReport:
        report = PollReport()
        async with self.db.sessionmaker() as session:
            items = await open_items(
                session,
                source=Source.feedback_platform.value,
                after_id=self.after_id,
                limit=self.batch,
            )
        # Next pass continues after this batch; an empty or short batch starts over.
        self.after_id = items[-1][0] if len(items) == self.batch else 0
        for _ticket_id, pos_id in items:
            try:
                item = await self.client.get_item(pos_id)
            except FeedbackPlatformError as exc:
                report.failed += 1
                await self._failure(exc.reason, now)
                if exc.reason in _STOP_REASONS:
                    break
                continue
            if item is None:
                report.missing += 1
                continue
            try:
                draft = self.connector.parse_object(item, now=now)
            except ConnectorPayloadError:
                report.invalid += 1
                await self._failure("invalid_item", now)
                continue
            async with self.db.sessionmaker() as session:
                await store_polled(
                    session, source=Source.feedback_platform, item=item, draft=draft, now=now
                )
                await connector_health.record_success(session, HEALTH_NAME, now=now)
                await session.commit()
            report.read += 1
        if report.read or report.failed:
            log.info(
                "ПОС poll: read %d, missing %d, invalid %d, failed %d",
                report.read,
                report.missing,
                report.invalid,
                report.failed,
            )
        return report

    async def _failure(self, reason: str, now: datetime) -> None:
        async with self.db.sessionmaker() as session:
            await connector_health.record_failure(session, HEALTH_NAME, reason=reason, now=now)
            await session.commit()


def make_client(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> FeedbackPlatformClient | None:
    """The ПОС client from the settings, or None while polling is not configured."""
    s = settings
    fields = (
        s.feedback_platform_url,
        s.feedback_platform_username,
        s.feedback_platform_password,
        s.feedback_platform_client_id,
        s.feedback_platform_client_secret,
    )
    if not all(fields):
        return None
    return FeedbackPlatformClient(
        s.feedback_platform_url,  # type: ignore[arg-type]
        Credentials(
            s.feedback_platform_username,  # type: ignore[arg-type]
            s.feedback_platform_password,  # type: ignore[arg-type]
            s.feedback_platform_client_id,  # type: ignore[arg-type]
            s.feedback_platform_client_secret,  # type: ignore[arg-type]
        ),
        timeout=s.outbox_http_timeout_seconds,
        transport=transport,
    )


_pollers: dict[int, FeedbackPlatformPoller | None] = {}


async def poll_feedback_platform(db: Database, now: datetime) -> None:
    """One worker at a time (advisory lock) re-reads a batch of open ПОС items."""
    if id(db) not in _pollers:
        settings = db.settings
        client = make_client(settings)
        _pollers[id(db)] = (
            FeedbackPlatformPoller(db, client, batch=settings.feedback_platform_poll_batch)
            if client
            else None
        )
    poller = _pollers[id(db)]
    if poller is not None:
        await poller.run_once(now)
