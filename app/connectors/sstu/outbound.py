"""Uploading the monthly documents to ССТУ.РФ: where, with which headers, what comes back.

Assumption (DOMAIN.md: the upload endpoint and its exact schema are not public here): each
appeal's document is POSTed as JSON to ``{APPEALS_SSTU_URL}/api/v1/appeals`` with
``Authorization: Bearer {APPEALS_SSTU_TOKEN}``, the outbox message id as ``Idempotency-Key``
(a repeated key is the same document, accepted once) and the month as ``X-Report-Month``.
2xx is accepted; 408/425/429/5xx are retried (Retry-After honoured); another 4xx — a document
the receiver refuses — is a dead letter an operator can read and replay. The bundled
simulator (``appeals simulate sstu``) serves this contract; a real integration changes
``PATH`` and the headers here.
"""

from __future__ import annotations

from typing import Any

import httpx

from app.connectors.base import Contact, DeliveryResponse, Send
from app.connectors.outbound import USER_AGENT, encode_body, join_url
from app.models.outbox import OutboxMessage, OutboxTarget

TARGET = OutboxTarget.sstu.value
PATH = "/api/v1/appeals"
HEALTH_NAME = "sstu.upload"
MONTH_HEADER = "X-Report-Month"


class SstuSender:
    """Posts one appeal document per outbox message (an ``OutboundSender``)."""

    needs_contact = False
    health_name = HEALTH_NAME

    def __init__(
        self,
        *,
        base_url: str | None,
        token: str | None,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url
        self.token = token
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
        )

    def prepare(self, message: OutboxMessage, contact: Contact | None) -> Send | None:
        """The document as queued (without the applicant's fields; see ``prepare_document``)."""
        return self.prepare_document(message, message.payload.get("document"))

    def prepare_document(
        self, message: OutboxMessage, document: dict[str, Any] | None
    ) -> Send | None:
        """The send of ``document`` for this message; None when no endpoint is configured."""
        if not self.base_url or not document:
            return None
        url = join_url(self.base_url, PATH)
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": message.idempotency_id,
            MONTH_HEADER: str(message.payload.get("month") or ""),
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = encode_body(document)

        async def send() -> DeliveryResponse:
            try:
                response = await self._client.post(url, content=body, headers=headers)
            except (httpx.InvalidURL, httpx.UnsupportedProtocol):
                return DeliveryResponse(None, error="invalid_url")
            except httpx.TimeoutException:
                return DeliveryResponse(None, error="timeout")
            except httpx.HTTPError:
                return DeliveryResponse(None, error="network")
            return DeliveryResponse(response.status_code, response.headers.get("Retry-After"))

        return send

    async def aclose(self) -> None:
        await self._client.aclose()
