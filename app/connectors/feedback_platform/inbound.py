"""«Платформа обратной связи» (ПОС): the pushed message object (the export row: ``export.py``).

Assumption (no public source settles it): the webhook body is the ПОС external-API message
object plus ``fz59``, ``fastTrack`` and, where known, ``subjectName``/``subsubjectName``/
``factName``; a forwarding history entry may name its addressee in ``forwardTo.name``.

Every field is bounded here by what it is stored in, so an item that cannot be stored is
refused at parse time, and so quarantined with its reason, rather than failing in the database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from app.connectors.base import ConnectorPayloadError, verify_standard_webhook
from app.connectors.common import (
    FUTURE_SLACK,
    INT64_MAX,
    PLANNED_HORIZON,
    date_window_errors,
    storable,
)
from app.models.common import Channel, Kind, Priority, Source, Status
from app.models.drafts import ApplicantDraft, FeedbackDraft, TicketDraft

NAME = Source.feedback_platform.value
# Body keys whose whole value is personal data (152-ФЗ): masked wherever a body is shown.
PERSONAL_DATA = frozenset({"applicant", "createdBy"})

# ПОС status codes → our statuses; None: the source made no decision we must follow.
STATUS_MAP: dict[str, Status | None] = {
    "MODERATION_NEW": None,
    "MODERATION_ACCEPT": None,
    "SET_EXECUTOR": None,
    "POSTPONE": None,  # the planned date moved; the new answerAt carries it
    "TAKE_TO_WORK": Status.in_progress,
    "SEND_RESPONSE": Status.answered,
    "MODERATION_DECLINE": Status.rejected,
    "FORWARD_TO_PARENT": Status.rejected,
    "FORWARD_TO_SUBORDINATE": Status.rejected,
}
FORWARDS = {
    "FORWARD_TO_PARENT": "вышестоящая организация",
    "FORWARD_TO_SUBORDINATE": "подведомственная организация",
}
INTERIM_ANSWER_TYPES = {"INTERIM", "INTERMEDIATE", "PRELIMINARY"}

Id = Annotated[int, Field(ge=0, le=INT64_MAX)]
# ПОС's number: the ticket's source id (128) and the export's «Номер».
# A number, or its digits as a string (as the export writes it): never a boolean (`true` is not
# message 1), never «б/н» or a name (items without a number would merge into one ticket, and
# the id is shown to integrations). Leading zeros and spaces do not make another item.
PosId = Annotated[
    Annotated[int, Field(strict=True)] | Annotated[str, Field(pattern=r"^\s*\d{1,19}\s*$")],
    AfterValidator(lambda v: int(v)),
    Field(ge=1, le=INT64_MAX),
]
# Category names: the three, joined with « / », are the ticket's source category (500).
CategoryName = Annotated[str, Field(max_length=160)]
AttachmentId = Id | Annotated[str, Field(min_length=1, max_length=128)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return storable(value)


class PosApplicant(_Body):
    epguId: Id | Annotated[str, Field(max_length=64)] | None = None
    # The three joined are the full name (300).
    surname: str | None = Field(default=None, max_length=99)
    name: str | None = Field(default=None, max_length=99)
    patronymic: str | None = Field(default=None, max_length=99)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    postAddress: str | None = Field(default=None, max_length=500)


class PosReason(_Body):
    id: Id | Annotated[str, Field(max_length=128)] | None = None
    name: str | None = Field(default=None, max_length=500)  # a reason, or the addressee


class PosAnswer(_Body):
    answerType: str | None = Field(default=None, max_length=64)
    comment: str | None = Field(default=None, max_length=20_000)
    rejectReason: PosReason | None = None
    attachmentIds: list[AttachmentId] = Field(default_factory=list, max_length=100)


class PosHistoryEntry(_Body):
    status: str = Field(min_length=1, max_length=64)
    statusText: str | None = Field(default=None, max_length=500)
    createdAt: AwareDatetime
    answer: PosAnswer | None = None
    forwardTo: PosReason | None = None


class PosMessage(_Body):
    posId: PosId
    createdAt: AwareDatetime
    answerAt: AwareDatetime | None = None
    fz59: bool = False
    fastTrack: bool = False
    description: str = Field(min_length=1, max_length=20_000)
    location: str | None = Field(default=None, max_length=1000)
    subjectId: Id | None = None
    subjectName: CategoryName | None = None
    subsubjectId: Id | None = None
    subsubjectName: CategoryName | None = None
    factId: Id | None = None
    factName: CategoryName | None = None
    attachmentIds: list[AttachmentId] = Field(default_factory=list, max_length=100)
    opaId: Id | None = None
    regionId: Id | None = None
    applicant: PosApplicant | None = None
    status: str = Field(min_length=1, max_length=64)
    statusText: str | None = Field(default=None, max_length=500)
    history: list[PosHistoryEntry] = Field(default_factory=list, max_length=500)
    # The citizen's rating of the answer (1–5, «Оценка ответа заявителем»); our contract.
    # Strict: `true` is not a score of 1 (which would reopen the ticket), "5" is not 5.
    rating: int | None = Field(default=None, ge=1, le=5, strict=True)


def _decision(
    code: str, status_text: str | None, history: Sequence[PosHistoryEntry]
) -> tuple[Status | None, str | None, str | None]:
    """(our status, reason, addressee) for a ПОС status code, reading its history entry."""
    status = STATUS_MAP.get(code)
    if status != Status.rejected:
        return status, None, None
    entry = next((h for h in reversed(history) if h.status == code), None)
    answer = entry.answer if entry else None
    reason = (
        (answer.rejectReason.name if answer and answer.rejectReason else None)
        or (answer.comment if answer else None)
        or (entry.statusText if entry else None)
        or status_text
        or code
    )
    addressee = None
    if code in FORWARDS:
        addressee = (entry.forwardTo.name if entry and entry.forwardTo else None) or FORWARDS[code]
    return status, reason, addressee


def _applicant(a: PosApplicant | None) -> ApplicantDraft | None:
    if a is None:
        return None
    parts = [p for p in (a.surname, a.name, a.patronymic) if p]
    return ApplicantDraft(
        full_name=" ".join(parts) or None,
        surname=a.surname,
        name=a.name,
        patronymic=a.patronymic,
        email=a.email,
        phone=a.phone,
        post_address=a.postAddress,
        esia_id=str(a.epguId) if a.epguId is not None else None,
    )


def _answers(history: Sequence[PosHistoryEntry]) -> list[dict[str, Any]]:
    found = []
    for h in history:
        if h.status == "SEND_RESPONSE" and h.answer and h.answer.comment:
            kind = (
                "interim"
                if (h.answer.answerType or "").upper() in INTERIM_ANSWER_TYPES
                else "final"
            )
            found.append(
                {
                    "key": f"{h.status}:{h.createdAt.isoformat()}",
                    "at": h.createdAt.isoformat(),
                    "kind": kind,
                    "text": h.answer.comment,
                }
            )
    return found


def rating(score: int | None) -> FeedbackDraft | None:
    """«Оценка ответа заявителем» (1–5) as the citizen's verdict; none given → None."""
    return FeedbackDraft(value=str(score), score=score) if score is not None else None


def date_errors(msg: PosMessage, *, now: datetime) -> list[dict[str, Any]]:
    """The message's dates that cannot be right: received (createdAt, history) before 2000 or
    more than a day ahead of ``now``; the planned answer (answerAt) before 2000, more than a
    year ahead, or before the message was received."""
    dates: dict[str, datetime | None] = {"createdAt": msg.createdAt, "answerAt": msg.answerAt}
    dates |= {f"history.{i}.createdAt": h.createdAt for i, h in enumerate(msg.history)}
    errors = date_window_errors(dates, now=now, horizon={"answerAt": PLANNED_HORIZON})
    # Compared only once both are in the window: year 1 or 9999 minus a day overflows.
    if not errors and msg.answerAt is not None and msg.answerAt < msg.createdAt - FUTURE_SLACK:
        errors.append({"field": "answerAt", "message": "before createdAt", "type": "date_range"})
    return errors


def draft_from_message(msg: PosMessage) -> TicketDraft:
    """The neutral draft for one ПОС message object."""
    status, reason, addressee = _decision(msg.status, msg.statusText, msg.history)
    names = [n for n in (msg.factName, msg.subsubjectName, msg.subjectName) if n]
    newest = max([msg.createdAt, *(h.createdAt for h in msg.history)])
    extra: dict[str, Any] = {"fastTrack": msg.fastTrack, "posId": str(msg.posId)}
    if msg.answerAt is not None:
        extra["answerAt"] = msg.answerAt.isoformat()
    if msg.rating is not None:
        extra["rating"] = msg.rating
    for key, value in (
        ("subjectId", msg.subjectId),
        ("subsubjectId", msg.subsubjectId),
        ("factId", msg.factId),
        ("opaId", msg.opaId),
        ("regionId", msg.regionId),
    ):
        if value is not None:
            extra[key] = value
    return TicketDraft(
        source=NAME,
        source_id=str(msg.posId),
        kind=Kind.fz59_appeal if msg.fz59 else Kind.pos_message,
        channel=Channel.gosuslugi,
        text=msg.description,
        source_category=" / ".join(reversed(names)) or None,
        category_names=names,
        source_status=msg.status,
        source_updated_at=newest,
        address=msg.location,
        priority=Priority.normal,
        status=status,
        status_reason=reason,
        redirect_to=addressee,
        applicant=_applicant(msg.applicant),
        attachments=[{"type": "pos_attachment", "id": str(a)} for a in msg.attachmentIds],
        created_at=msg.createdAt,
        fast_track=msg.fastTrack,
        source_due_at=msg.answerAt,
        feedback=rating(msg.rating),
        extra=extra,
        source_answers=_answers(msg.history),
    )


class FeedbackPlatformConnector:
    """ПОС: signed pushes of message objects (and the same mapping for polled ones)."""

    name = NAME

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        self.secrets = list(secrets)

    def parse(self, body: bytes, *, now: datetime | None = None) -> TicketDraft:
        try:
            message = PosMessage.model_validate_json(body)
        except ValidationError as exc:
            raise ConnectorPayloadError.from_validation(exc, body) from exc
        if now is not None and (errors := date_errors(message, now=now)):
            detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
            raise ConnectorPayloadError(detail, errors)
        return draft_from_message(message)

    def parse_object(self, item: Mapping[str, Any], *, now: datetime | None = None) -> TicketDraft:
        """The same mapping for an already decoded object (the poller reads these)."""
        return self.parse(json.dumps(item, ensure_ascii=False).encode(), now=now)

    def verify(self, body: bytes, headers: Mapping[str, str], *, now: datetime) -> str:
        return verify_standard_webhook(body, headers, secrets=self.secrets, now=now)
