"""Sending outbox messages over HTTP: signed (Standard Webhooks), with a stable id. No DB.

``WebhookOutbound`` is the shape of a source that takes its answers as signed JSON POSTs under
its own base URL (ПОС and IM do, in this project's contract); each such source subclasses it
with its target, its status codes and its path. The department webhooks use the same client and
envelope.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar

import httpx

from app.connectors.base import Contact, DeliveryResponse, Send, signed_headers
from app.models.outbox import OutboxMessage

USER_AGENT = "appeals-hub-relay/1"


@dataclass(frozen=True)
class Delivery:
    """One message to send: where, its stable id, and the JSON body."""

    url: str
    message_id: str
    body: dict[str, Any]
    secret: str | None


def envelope(message: OutboxMessage) -> dict[str, object]:
    """The body a receiver gets: the stable id, what it is, and the caller's payload."""
    return {
        "id": message.idempotency_id,
        "type": message.kind,
        "created_at": message.created_at.isoformat(),
        "data": message.payload,
    }


def join_url(base: str, path: str) -> str:
    return base.rstrip("/") + path


def encode_body(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()


class OutboundClient:
    """An httpx client for the relay; ``transport`` is injectable (tests, simulators)."""

    def __init__(
        self, *, timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
        )

    async def deliver(self, delivery: Delivery) -> DeliveryResponse:
        """POST once; never raises for HTTP or network trouble, the relay decides what next."""
        body = encode_body(delivery.body)
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": delivery.message_id,
        }
        if delivery.secret:
            # The signing clock is the wall clock: the receiver checks it against its own.
            headers.update(
                signed_headers(
                    delivery.secret,
                    msg_id=delivery.message_id,
                    timestamp=datetime.now(UTC),
                    body=body,
                )
            )
        else:
            headers["webhook-id"] = delivery.message_id
        try:
            response = await self._client.post(delivery.url, content=body, headers=headers)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol):
            return DeliveryResponse(None, error="invalid_url")  # retrying cannot help
        except httpx.TimeoutException:
            return DeliveryResponse(None, error="timeout")
        except httpx.HTTPError:
            return DeliveryResponse(None, error="network")
        return DeliveryResponse(response.status_code, response.headers.get("Retry-After"))

    def post_message(self, url: str, message: OutboxMessage, secret: str | None) -> Send:
        """The send of one outbox message as its signed envelope to ``url`` (not yet sent)."""
        delivery = Delivery(
            url=url, message_id=message.idempotency_id, body=envelope(message), secret=secret
        )
        return partial(self.deliver, delivery)

    async def aclose(self) -> None:
        await self._client.aclose()


class WebhookOutbound:
    """A source answered by signed JSON POSTs to ``base URL + path``; subclass per source."""

    target: ClassVar[str]  # the OutboxTarget value of its messages
    status_codes: ClassVar[Mapping[str, str]]  # our status → the source's code

    def source_status(self, status: str, *, redirect_to: str | None) -> str | None:
        return self.status_codes.get(status)

    def path(self, message: OutboxMessage) -> str:
        """The path under the source's base URL where this message is posted."""
        raise NotImplementedError

    @property
    def health_name(self) -> str:
        return f"{self.target}.answers"

    def sender(
        self,
        *,
        base_url: str | None,
        secret: str | None,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> WebhookSender:
        """The sender for this source; without a base URL every message is undeliverable."""
        return WebhookSender(
            self, base_url, secret, OutboundClient(timeout=timeout, transport=transport)
        )


class WebhookSender:
    """Delivers one ``WebhookOutbound`` source's messages (an ``OutboundSender``)."""

    needs_contact = False

    def __init__(
        self,
        outbound: WebhookOutbound,
        base_url: str | None,
        secret: str | None,
        client: OutboundClient,
    ) -> None:
        self.outbound = outbound
        self.base_url = base_url
        self.secret = secret
        self.client = client

    @property
    def health_name(self) -> str:
        return self.outbound.health_name

    def prepare(self, message: OutboxMessage, contact: Contact | None) -> Send | None:
        if not self.base_url:
            return None
        url = join_url(self.base_url, self.outbound.path(message))
        return self.client.post_message(url, message, self.secret)

    async def aclose(self) -> None:
        await self.client.aclose()
