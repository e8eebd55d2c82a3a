"""Telegram Bot API: check the secret header, send messages. No DB.

Only what the anonymous chat-bot needs: ``sendMessage`` and the rating buttons; the updates it
reads are ``updates.py``. The chat id leaves this module only to be sent; nothing here logs it.
"""

from __future__ import annotations

import hmac
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from app.connectors.base import DeliveryResponse
from app.errors import SignatureInvalid


class _RedactBotToken(logging.Filter):
    """httpx logs request URLs, and Bot API URLs carry the bot token: mask it."""

    _TOKEN = re.compile(r"/bot[^/\s]+/")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                self._TOKEN.sub("/bot***/", str(a)) if "/bot" in str(a) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        return True


logging.getLogger("httpx").addFilter(_RedactBotToken())


def verify_secret(expected: str | None, given: str | None) -> None:
    """The header Telegram repeats from ``setWebhook(secret_token=…)``; constant-time compare."""
    if not expected or not given or not hmac.compare_digest(expected.encode(), given.encode()):
        raise SignatureInvalid("missing or wrong X-Telegram-Bot-Api-Secret-Token")


@dataclass(frozen=True)
class OutgoingMessage:
    """A ``sendMessage`` call; ``reply_markup`` is an inline keyboard when given."""

    chat_id: int
    text: str
    reply_markup: dict[str, Any] | None = field(default=None)

    def as_method(self) -> dict[str, Any]:
        """The body of sendMessage, or of a webhook answer that performs it."""
        body: dict[str, Any] = {"chat_id": self.chat_id, "text": self.text}
        if self.reply_markup is not None:
            body["reply_markup"] = self.reply_markup
        return body


def yes_no_keyboard(ticket_id: int) -> dict[str, Any]:
    """«Проблема решена?» buttons; the data names the ticket, never the chat."""
    return {
        "inline_keyboard": [
            [
                {"text": "Да, решена", "callback_data": f"fb:yes:{ticket_id}"},
                {"text": "Нет", "callback_data": f"fb:no:{ticket_id}"},
            ]
        ]
    }


class TelegramBotClient:
    """Sends through the Bot API; ``transport`` is injectable (tests use a fake Bot API)."""

    def __init__(
        self,
        *,
        api_url: str,
        token: str | None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token
        self._client = httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(timeout))

    async def send(self, message: OutgoingMessage, *, message_id: str) -> DeliveryResponse:
        """One sendMessage; never raises for HTTP or network trouble (the relay decides)."""
        if not self.token:
            return DeliveryResponse(None, error="not_configured")
        url = f"{self.api_url}/bot{self.token}/sendMessage"
        try:
            response = await self._client.post(
                url, json=message.as_method(), headers={"Idempotency-Key": message_id}
            )
        except httpx.TimeoutException:
            return DeliveryResponse(None, error="timeout")
        except httpx.HTTPError:
            return DeliveryResponse(None, error="network")
        retry_after = response.headers.get("Retry-After")
        if response.status_code == 429 and retry_after is None:
            # The Bot API says how long to wait in the body: parameters.retry_after (seconds).
            try:
                retry_after = str(response.json()["parameters"]["retry_after"])
            except (ValueError, KeyError, TypeError):
                retry_after = None
        return DeliveryResponse(response.status_code, retry_after)

    async def aclose(self) -> None:
        await self._client.aclose()
