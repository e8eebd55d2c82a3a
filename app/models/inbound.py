"""The archive of every inbound delivery, raw, with its outcome; invalid ones are quarantined."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import (
    BigInteger,
    Column,
    Identity,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.models.common import RequestBody, ts_field


class DeliveryOutcome(StrEnum):
    received = "received"  # stored, waiting for the intake pipeline
    created = "created"
    updated = "updated"
    unchanged = "unchanged"
    stale = "stale"
    duplicate = "duplicate"  # the same webhook-id again: answered 2xx, no effect
    invalid = "invalid"  # quarantined until replayed (refused at receipt, or poison)


class DeliveryKind(StrEnum):
    webhook = "webhook"
    import_row = "import"
    poll = "poll"


# What a finished delivery can be; ``received`` is still waiting.
FINAL_OUTCOMES = frozenset(o.value for o in DeliveryOutcome) - {DeliveryOutcome.received.value}


class InboundDelivery(SQLModel, table=True):
    __tablename__ = "inbound_deliveries"
    __table_args__ = (
        # One effective delivery per webhook-id; repeats are archived as ``duplicate``.
        Index(
            "uq_inbound_webhook_id",
            "source",
            "webhook_id",
            unique=True,
            postgresql_where="webhook_id IS NOT NULL AND outcome <> 'duplicate'",
        ),
        Index(
            "ix_inbound_quarantine",
            "id",
            postgresql_where="outcome = 'invalid' AND replayed_at IS NULL",
        ),
        Index("ix_inbound_received", "received_at"),
        Index("ix_inbound_pending", "id", postgresql_where="outcome = 'received'"),
        Index(
            "ix_inbound_import",
            "import_id",
            "row_number",
            postgresql_where="import_id IS NOT NULL",
        ),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    source: str = Field(sa_type=String(32))
    webhook_id: str | None = Field(default=None, sa_type=String(200))
    source_item_id: str | None = Field(default=None, sa_type=String(128))
    received_at: datetime = ts_field(default_now=True)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    headers: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}")
    )
    outcome: str = Field(sa_type=String(16))
    error_detail: str | None = Field(default=None, sa_type=Text)
    errors: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    ticket_id: int | None = Field(default=None, sa_type=BigInteger, foreign_key="tickets.id")
    replayed_at: datetime | None = ts_field()
    replayed_by: str | None = Field(default=None, sa_type=String(200))
    replay_outcome: str | None = Field(default=None, sa_type=String(16))
    corrected_body: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    kind: str = Field(default=DeliveryKind.webhook.value, sa_type=String(8))
    processed_at: datetime | None = ts_field()
    attempts: int = Field(default=0, sa_type=SmallInteger)
    import_id: str | None = Field(default=None, sa_type=String(36))
    row_number: int | None = Field(default=None, sa_type=Integer)


class DeliveryPublic(BaseModel):
    """An archived delivery as admins see it (the body as text; signature headers never kept)."""

    id: int
    source: str
    webhook_id: str | None
    source_item_id: str | None
    received_at: datetime
    outcome: str
    error_detail: str | None
    errors: list[dict[str, Any]]
    headers: dict[str, str] = PField(
        description="The delivery's headers: content-type, content-length, content-encoding, "
        "accept, accept-encoding, host, user-agent, webhook-id and webhook-timestamp as sent "
        "(e-mails and phone numbers masked); any other header's value is `***` (it may carry "
        "personal data). Signature and credential headers are never kept"
    )
    body: str | None = PField(
        description="The body with personal data masked (the applicant, the author; e-mails and "
        "phone numbers in any text); null when it is not JSON and cannot be masked. The raw "
        "body: POST /api/v1/quarantine/{id}/raw-body (recorded in the access audit). A lone "
        "surrogate (`\\ud800`) is shown as U+FFFD, a number no float or integer holds "
        "(`1e400`, thousands of digits) as a string of what was sent"
    )
    body_unavailable: str | None = PField(
        default=None,
        description="Why `body` is null: not JSON, or JSON nested too deeply to display",
    )
    ticket_id: int | None
    replayed_at: datetime | None
    replayed_by: str | None
    replay_outcome: str | None


class WebhookAccepted(BaseModel):
    """The answer to a delivery stored in the intake inbox (or a repeat of one)."""

    delivery_id: int = PField(description="The effective delivery (the first of its webhook-id)")
    outcome: DeliveryOutcome = PField(
        description="`received` (stored; the pipeline makes the ticket) or `duplicate` (this "
        "webhook-id was stored before; nothing else happened)"
    )
    ticket_id: int | None = PField(
        default=None, description="For a duplicate: the ticket the first delivery made, if made"
    )
    ticket_number: str | None = None
    location: str = PField(description="Where the delivery's status is read (also `Location`)")


class DeliveryStatus(BaseModel):
    """Where a delivery stands: waiting, or what the pipeline made of it."""

    id: int
    source: str
    kind: str = PField(description="`webhook`, `import` (a row of an Excel export) or `poll`")
    webhook_id: str | None
    source_item_id: str | None
    received_at: datetime
    processed_at: datetime | None
    status: str = PField(
        description="`received` (waiting for the pipeline), then `created`, `updated`, "
        "`unchanged`, `stale` (an older snapshot than the ticket holds), `duplicate` (a repeated "
        "webhook-id) or `invalid` (quarantined: refused at receipt, or failed in the pipeline)"
    )
    ticket_id: int | None
    ticket_number: str | None
    error_detail: str | None = PField(description="Why it was quarantined (no personal data)")
    duplicate_of: int | None = PField(
        default=None, description="For a repeated webhook-id: the first delivery's id"
    )


class ReplayRequest(RequestBody):
    """Optionally a corrected body (the JSON the source should have sent); else the original."""

    body: dict[str, Any] | None = None


class RawBodyRequest(RequestBody):
    """Why the raw body (with personal data) is needed; recorded with who asked."""

    reason: str = PField(min_length=10, max_length=1000)


class RawBody(BaseModel):
    """A quarantined delivery's body as the source sent it; this read is in the access audit."""

    delivery_id: int
    source: str
    received_at: datetime
    body: str
    audit_id: int


class ReplayResult(BaseModel):
    delivery_id: int
    outcome: str
    ticket_id: int
    ticket_number: str
