"""The contracts a source implements in both directions, and Standard Webhooks verification.

Inbound: a ``Connector`` verifies and maps a webhook body to a ``TicketDraft``; an
``ExportFormat`` reads its Excel export. Outbound: an ``OutboundAdapter`` says which outbox
target the source's messages go under and how our statuses read in its vocabulary; an
``OutboundSender`` (built from the settings, holding its HTTP client) delivers them. Which
source has which is one mapping, ``app.connectors.registry.SOURCES``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pydantic import ValidationError
from standardwebhooks.webhooks import Webhook

from app.errors import SignatureInvalid
from app.models.drafts import TicketDraft
from app.models.outbox import OutboxMessage

# Standard Webhooks: a delivery older or newer than this is refused (replay protection).
TOLERANCE = timedelta(seconds=300)
SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
MAX_WEBHOOK_ID = 200


class ConnectorPayloadError(Exception):
    """The body is not a valid item of this source; ``errors`` name the fields."""

    def __init__(self, message: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.errors = errors

    @classmethod
    def from_validation(
        cls, exc: ValidationError, body: bytes | None = None
    ) -> ConnectorPayloadError:
        """The schema's errors by field; a body that is no UTF-8 JSON at all says why instead of
        the parser's position (a byte-order mark, UTF-16, bytes that are not UTF-8)."""
        if body is not None and (why := _encoding_problem(body)) is not None:
            return cls(f"body: {why}", [{"field": "body", "message": why, "type": "encoding"}])
        errors = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ())) or "body",
                "message": err.get("msg", ""),
                "type": err.get("type"),
            }
            for err in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return cls(detail or "invalid body", errors)


def _encoding_problem(body: bytes) -> str | None:
    if body.startswith(b"\xef\xbb\xbf"):
        return "the JSON starts with a byte-order mark; send UTF-8 without one (RFC 8259)"
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "the body is UTF-16 (a byte-order mark); send UTF-8 JSON"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"the body is not UTF-8 (byte {exc.start}); send UTF-8 JSON"
    if b"\x00" in body:  # UTF-16 or UTF-32 without a byte-order mark (JSON never holds NUL)
        return "the body holds NUL bytes (UTF-16 or UTF-32?); send UTF-8 JSON"
    return None


class Connector(Protocol):
    """An inbound source: verifies signed deliveries and maps its items to ``TicketDraft``."""

    name: str  # the ticket source, e.g. ``feedback_platform``

    @property
    def secrets(self) -> Sequence[str]:
        """The ``whsec_…`` secrets; every one is accepted, so a rotation never drops deliveries."""
        ...

    def parse(self, body: bytes, *, now: datetime | None = None) -> TicketDraft:
        """Map one delivery body to a draft or raise ``ConnectorPayloadError``; with ``now``,
        also refuse dates outside the sources' window (before 2000, more than a day ahead).
        Every delivery path passes its clock; None is for checking a mapping alone."""
        ...

    def verify(self, body: bytes, headers: Mapping[str, str], *, now: datetime) -> str:
        """Check the signature; return the ``webhook-id`` or raise ``SignatureInvalid``."""
        ...


@dataclass(frozen=True)
class ExportFormat:
    """A source's Excel export: how its header row is found and how one row becomes a draft."""

    source: str
    key_column: str  # identifies the header row
    required: tuple[str, ...]
    sheet: str | None  # preferred sheet title
    parse: Callable[..., TicketDraft]  # (row, *, tz, now) → draft, or ConnectorPayloadError
    columns: tuple[str, ...] = ()  # every column parse reads: a header may hold each only once


class OutboundAdapter(Protocol):
    """What a source is told back, with no I/O: answers_back asks it inside the transaction."""

    @property
    def target(self) -> str:
        """The outbox target its messages are queued under (an ``OutboxTarget`` value)."""
        ...

    def source_status(self, status: str, *, redirect_to: str | None) -> str | None:
        """The source's code for one of our statuses; None when the source need not hear it."""
        ...


@dataclass(frozen=True)
class DeliveryResponse:
    """What came back: an HTTP status (with Retry-After), or a transport failure reason."""

    status_code: int | None
    retry_after: str | None = None
    error: str | None = None  # bounded: timeout, network, invalid_url, not_configured


@dataclass(frozen=True)
class Contact:
    """A citizen's private address in a chat (the chat-bot's chat id): resolved by its channel
    when the message is sent, never written into the outbox."""

    chat_id: int


# One prepared send: called outside any transaction, it never raises for HTTP trouble.
Send = Callable[[], Awaitable[DeliveryResponse]]


class OutboundSender(Protocol):
    """Delivers one target's outbox messages; the registry builds it from the settings."""

    @property
    def health_name(self) -> str:
        """Its connector-health entry (a bounded name)."""
        ...

    @property
    def needs_contact(self) -> bool:
        """True when the recipient is a private chat the relay must resolve (``Contact``)."""
        ...

    def prepare(self, message: OutboxMessage, contact: Contact | None) -> Send | None:
        """The send of one message, or None when it has nowhere to go (not configured)."""
        ...

    async def aclose(self) -> None: ...


def verify_standard_webhook(
    body: bytes, headers: Mapping[str, str], *, secrets: Sequence[str], now: datetime
) -> str:
    """Standard Webhooks check against every secret; any malformed part is a 401, never a 500.

    The signing itself is ``standardwebhooks.Webhook.sign``; the header parsing and the clock are
    ours, so a broken header cannot raise past us and tests can pass their own ``now``.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    missing = [h for h in SIGNATURE_HEADERS if not lowered.get(h)]
    if missing:
        raise SignatureInvalid("missing signature headers: " + ", ".join(missing))
    msg_id = lowered["webhook-id"]
    if len(msg_id) > MAX_WEBHOOK_ID or not (msg_id.isascii() and msg_id.isprintable()):
        raise SignatureInvalid("malformed webhook-id header")
    raw_ts = lowered["webhook-timestamp"].strip()
    if not raw_ts.isdigit() or len(raw_ts) > 12:
        raise SignatureInvalid("webhook-timestamp must be whole seconds since the epoch")
    timestamp = datetime.fromtimestamp(int(raw_ts), tz=UTC)
    if timestamp < now - TOLERANCE:
        raise SignatureInvalid("webhook-timestamp is too old")
    if timestamp > now + TOLERANCE:
        raise SignatureInvalid("webhook-timestamp is in the future")
    passed = _passed_signatures(lowered["webhook-signature"])
    if not passed:
        raise SignatureInvalid("malformed webhook-signature header")
    if not secrets:
        raise SignatureInvalid("no webhook secret is configured for this source")
    for secret in secrets:
        expected_bytes = _signature(secret, msg_id=msg_id, timestamp=timestamp, body=body)
        if any(hmac.compare_digest(expected_bytes, sig) for sig in passed):
            return msg_id
    raise SignatureInvalid("no signature matches a configured secret")


def _signature(secret: str, *, msg_id: str, timestamp: datetime, body: bytes) -> bytes:
    """The v1 signature of a delivery. The library signs text; a body that is not UTF-8 is
    signed over its bytes as the spec defines it (``{id}.{timestamp}.{body}``), so a sender's
    correctly signed but undecodable body passes here and is refused as unparseable (422,
    quarantined), not as a forgery (``tests/unit/test_webhook_signature_bytes.py``)."""
    try:
        data = body.decode("utf-8")
    except UnicodeDecodeError:
        key = base64.b64decode(secret.removeprefix("whsec_"))
        signed = f"{msg_id}.{int(timestamp.timestamp())}.".encode() + body
        return hmac.new(key, signed, hashlib.sha256).digest()
    expected = Webhook(secret).sign(msg_id=msg_id, timestamp=timestamp, data=data)
    return base64.b64decode(expected.split(",", 1)[1])


def _passed_signatures(header: str) -> list[bytes]:
    """The ``v1`` signatures of a header like ``v1,abc= v1,def=``; anything odd is skipped."""
    found = []
    for item in header.split()[:10]:
        version, _, value = item.partition(",")
        if version != "v1" or not value:
            continue
        try:
            found.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            continue
    return found


def sign_standard_webhook(secret: str, *, msg_id: str, timestamp: datetime, body: bytes) -> str:
    """The ``webhook-signature`` value for a body (simulators, tests and docs use it)."""
    utc = datetime.fromtimestamp(int(timestamp.timestamp()), tz=UTC)
    signature = _signature(secret, msg_id=msg_id, timestamp=utc, body=body)
    return "v1," + base64.b64encode(signature).decode()


def signed_headers(secret: str, *, msg_id: str, timestamp: datetime, body: bytes) -> dict[str, str]:
    """All three Standard Webhooks headers for one delivery."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": sign_standard_webhook(
            secret, msg_id=msg_id, timestamp=timestamp, body=body
        ),
    }
