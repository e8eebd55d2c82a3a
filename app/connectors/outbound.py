"""Sending outbox messages over HTTP: signed (Standard Webhooks), with a stable id. No DB.

Where an answer goes inside a source is not settled by any public document (DOMAIN.md); the
paths below are this project's own contract, which the bundled simulators serve. Assumption:
a real ПОС/IM integration replaces only ``path_for``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from app.connectors.base import signed_headers

USER_AGENT = "appeals-hub-relay/1"


@dataclass(frozen=True)
class Delivery:
    """One message to send: where, its stable id, and the JSON body."""

    url: str
    message_id: str
    body: dict[str, Any]
    secret: str | None


@dataclass(frozen=True)
class DeliveryResponse:
    """What came back: an HTTP status (with Retry-After), or a transport failure reason."""

    status_code: int | None
    retry_after: str | None = None
    error: str | None = None  # bounded: timeout, network, invalid_url


def path_for(target: str, source_id: str | None) -> str:
    """The path under the source's base URL where a message about ``source_id`` is posted."""
    item = quote(source_id or "-", safe="")
    if target == "feedback_platform":
        return f"/appeal-service/external-appeal-system/appeals/{item}/responses"
    if target == "incident_management":
        # IM items are known by their post URL (see connectors.incident_management), which does
        # not fit a path segment: the comment endpoint is one, the post is named in the body.
        return "/api/comments"
    raise ValueError(f"no source path for target {target!r}")


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

    async def aclose(self) -> None:
        await self._client.aclose()
