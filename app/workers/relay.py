"""The outbox relay: delivers due messages to the sources and departments.

Any number of relays run at once: each claims its own rows (``FOR UPDATE SKIP LOCKED``) for a
lease, sends outside any transaction, then settles the row fenced on the attempt number. One
ticket's messages to one target are claimed one at a time, in the order they were queued
(``outbox.service`` ``_CLAIM``), so a chat never reads the answer before the «в работе».
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from app.channels.chatbot_delivery import contact_for
from app.config import Settings
from app.connectors.base import DeliveryResponse, Send
from app.connectors.outbound import OutboundClient
from app.connectors.registry import outbound_senders
from app.connectors.sstu.outbound import SstuSender
from app.db import Database
from app.intake import connector_health
from app.models.outbox import OutboxMessage, OutboxTarget
from app.outbox import service as outbox
from app.outbox.policy import Outcome, Verdict, classify_status, next_delay
from app.outbox.service import AttemptResult
from app.sstu import upload as sstu_upload

log = logging.getLogger(__name__)

ROUNDS_PER_PASS = 10


class Relay:
    """One process's relay; ``transport`` is injectable for tests."""

    def __init__(
        self,
        db: Database,
        *,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        # The sources' own senders (the connectors registry), one per outbox target.
        self.senders = outbound_senders(self.settings, transport=transport)
        # ССТУ.РФ is no source: its monthly documents get the applicant's fields at send time.
        self.sstu = SstuSender(
            base_url=self.settings.sstu_url,
            token=self.settings.sstu_token,
            timeout=self.settings.outbox_http_timeout_seconds,
            transport=transport,
        )
        self.senders[OutboxTarget.sstu.value] = self.sstu
        # The departments' webhooks: the hub's own notifications, not a source.
        self.client = OutboundClient(
            timeout=self.settings.outbox_http_timeout_seconds, transport=transport
        )
        # A lease shorter than a slow send would let a second relay send while we wait.
        self.lease_seconds = max(
            self.settings.outbox_lease_seconds, self.settings.outbox_http_timeout_seconds + 5
        )

    async def run_once(self, now: datetime) -> int:
        """Claim and deliver due messages until none are left (bounded); returns how many."""
        total = 0
        for _ in range(ROUNDS_PER_PASS):
            claimed = await self._claim(now)
            if not claimed:
                break
            results = await asyncio.gather(
                *(self._deliver(m, d, now) for m, d in claimed), return_exceptions=True
            )
            # A message whose outcome could not be recorded stays claimed and is retried when
            # its lease ends; the first such error still fails the pass so the runner logs it.
            errors = [r for r in results if isinstance(r, BaseException)]
            if errors:
                raise errors[0]
            total += len(claimed)
            # Not only when the batch was full: a message that waited for an earlier one of
            # its ticket (sent just now) is due in the next round of this same pass.
        return total

    async def _claim(self, now: datetime) -> list[tuple[OutboxMessage, Send | None]]:
        async with self.db.sessionmaker() as session:
            messages = await outbox.claim_due(
                session,
                now=now,
                limit=self.settings.outbox_batch_size,
                lease_seconds=self.lease_seconds,
            )
            claimed = []
            for message in messages:
                claimed.append((message, await self._prepare(session, message)))
            await session.commit()
        return claimed

    async def _prepare(self, session: AsyncSession, message: OutboxMessage) -> Send | None:
        """The send of one message (resolved in the claim's session), or None: nowhere to go."""
        if message.target == OutboxTarget.department_webhook:
            url = await outbox.department_webhook_url(session, message.department_code)
            if not url:
                return None
            return self.client.post_message(url, message, self.settings.department_webhook_secret)
        if message.target == OutboxTarget.sstu:
            return self.sstu.prepare_document(
                message, await sstu_upload.document_to_send(session, message)
            )
        sender = self.senders.get(message.target)
        if sender is None:
            return None
        contact = None
        if sender.needs_contact:
            contact = await contact_for(session, message, self.settings)
        return sender.prepare(message, contact)

    def health_name(self, target: str) -> str:
        """The connector-health entry for a target's outbound side (bounded set)."""
        sender = self.senders.get(target)
        return sender.health_name if sender is not None else target

    async def _deliver(self, message: OutboxMessage, send: Send | None, now: datetime) -> None:
        assert message.id is not None
        if send is None:
            result = AttemptResult(Outcome.dead, "not_configured", detail="no destination URL")
        else:
            result = self._judge(await send(), message.attempts, now)
        async with self.db.sessionmaker() as session:
            settled = await outbox.settle_attempt(
                session, message.id, message.attempts, result, now=now
            )
            if settled is not None:
                name = self.health_name(message.target)
                if result.outcome == Outcome.sent:
                    await connector_health.record_success(session, name, now=now)
                else:
                    await connector_health.record_failure(
                        session, name, reason=result.reason, now=now
                    )
            await session.commit()
        log.info(
            "outbox message %s to %s attempt %d: %s (%s)",
            message.id,
            message.target,
            message.attempts,
            result.outcome.value,
            result.reason,
        )

    def _judge(self, response: DeliveryResponse, attempt: int, now: datetime) -> AttemptResult:
        s = self.settings
        if response.error == "invalid_url":
            verdict = Verdict(Outcome.dead, "invalid_url")
        elif response.status_code is None:
            verdict = Verdict(Outcome.retry, response.error or "network")
        else:
            verdict = classify_status(response.status_code, response.retry_after, now=now)
        if verdict.outcome == Outcome.retry and attempt >= s.outbox_max_attempts:
            return AttemptResult(
                Outcome.dead,
                verdict.reason,
                response.status_code,
                detail=f"gave up after {attempt} attempts ({verdict.reason})",
            )
        delay = 0.0
        if verdict.outcome == Outcome.retry:
            delay = next_delay(
                verdict,
                attempt,
                base=s.outbox_backoff_base_seconds,
                cap=s.outbox_backoff_cap_seconds,
            )
        detail = None if verdict.outcome == Outcome.sent else verdict.reason
        if response.status_code is not None and verdict.outcome != Outcome.sent:
            detail = f"HTTP {response.status_code}"
        return AttemptResult(verdict.outcome, verdict.reason, response.status_code, delay, detail)

    async def aclose(self) -> None:
        await self.client.aclose()
        for sender in self.senders.values():
            await sender.aclose()


_relays: dict[int, Relay] = {}


async def outbox_relay(db: Database, now: datetime) -> None:
    """Every worker runs a relay; SKIP LOCKED keeps them apart."""
    relay = _relays.get(id(db))
    if relay is None:
        relay = _relays[id(db)] = Relay(db, settings=db.settings)
    await relay.run_once(now or datetime.now(UTC))
