"""The outbox relay: delivers due messages to the sources and departments.

Any number of relays run at once: each claims its own rows (``FOR UPDATE SKIP LOCKED``) for a
lease, sends outside any transaction, then settles the row fenced on the attempt number.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import Settings, get_settings
from app.connectors.outbound import Delivery, DeliveryResponse, OutboundClient, join_url, path_for
from app.connectors.telegram.bot_api import OutgoingMessage, TelegramBotClient
from app.db import Database
from app.intake import connector_health
from app.models.outbox import OutboxMessage, OutboxTarget
from app.outbox import service as outbox
from app.outbox.policy import Outcome, Verdict, classify_status, next_delay
from app.outbox.service import AttemptResult
from app.workers.registry import register_loop

log = logging.getLogger(__name__)

ROUNDS_PER_PASS = 10


@dataclass(frozen=True)
class Destination:
    url: str
    secret: str | None
    telegram: OutgoingMessage | None = None  # sent through the Bot API, not as a webhook


def health_name(target: str) -> str:
    """The connector-health entry for a target's outbound side (bounded set)."""
    return f"{target}.answers" if target in _SOURCE_TARGETS else target


_SOURCE_TARGETS = {OutboxTarget.feedback_platform.value, OutboxTarget.incident_management.value}


def envelope(message: OutboxMessage) -> dict[str, object]:
    """The body a receiver gets: the stable id, what it is, and the caller's payload."""
    return {
        "id": message.idempotency_id,
        "type": message.kind,
        "created_at": message.created_at.isoformat(),
        "data": message.payload,
    }


class Relay:
    """One process's relay; ``transport`` is injectable for tests."""

    def __init__(
        self,
        db: Database,
        *,
        settings: Settings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.db = db
        self.settings = settings or get_settings()
        self.telegram = TelegramBotClient(
            api_url=self.settings.telegram_api_url,
            token=self.settings.telegram_bot_token,
            timeout=self.settings.outbox_http_timeout_seconds,
            transport=transport,
        )
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
            if len(claimed) < self.settings.outbox_batch_size:
                break
        return total

    async def _claim(self, now: datetime) -> list[tuple[OutboxMessage, Destination | None]]:
        async with self.db.sessionmaker() as session:
            messages = await outbox.claim_due(
                session,
                now=now,
                limit=self.settings.outbox_batch_size,
                lease_seconds=self.lease_seconds,
            )
            claimed = []
            for message in messages:
                claimed.append((message, await self._destination(session, message)))
            await session.commit()
        return claimed

    async def _destination(
        self, session: AsyncSession, message: OutboxMessage
    ) -> Destination | None:
        s = self.settings
        if message.target == OutboxTarget.telegram:
            from app.channels.chatbot_delivery import telegram_message

            chat = await telegram_message(session, message, s)
            return Destination("telegram", None, telegram=chat) if chat else None
        if message.target == OutboxTarget.department_webhook:
            url = await outbox.department_webhook_url(session, message.department_code)
            return Destination(url, s.department_webhook_secret) if url else None
        bases = {
            OutboxTarget.feedback_platform.value: (
                s.feedback_platform_url,
                s.feedback_platform_outbound_secret,
            ),
            OutboxTarget.incident_management.value: (
                s.incident_management_url,
                s.incident_management_outbound_secret,
            ),
        }
        base, secret = bases.get(message.target, (None, None))
        if not base:
            return None
        source_id = message.payload.get("source_id")
        return Destination(join_url(base, path_for(message.target, source_id)), secret)

    async def _deliver(
        self, message: OutboxMessage, destination: Destination | None, now: datetime
    ) -> None:
        assert message.id is not None
        if destination is None:
            result = AttemptResult(Outcome.dead, "not_configured", detail="no destination URL")
        elif destination.telegram is not None:
            response = await self.telegram.send(
                destination.telegram, message_id=message.idempotency_id
            )
            result = self._judge(response, message.attempts, now)
        else:
            response = await self.client.deliver(
                Delivery(
                    url=destination.url,
                    message_id=message.idempotency_id,
                    body=envelope(message),
                    secret=destination.secret,
                )
            )
            result = self._judge(response, message.attempts, now)
        async with self.db.sessionmaker() as session:
            settled = await outbox.settle_attempt(
                session, message.id, message.attempts, result, now=now
            )
            if settled is not None:
                name = health_name(message.target)
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
        await self.telegram.aclose()


_relays: dict[int, Relay] = {}


@register_loop("outbox_relay", interval=get_settings().outbox_interval_seconds)
async def outbox_relay(db: Database, now: datetime) -> None:
    """Every worker runs a relay; SKIP LOCKED keeps them apart."""
    relay = _relays.get(id(db))
    if relay is None:
        relay = _relays[id(db)] = Relay(db)
    await relay.run_once(now or datetime.now(UTC))
