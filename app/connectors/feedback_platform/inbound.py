"""«Платформа обратной связи» (ПОС): the pushed message object and the back-office export row.

Assumption (no public source settles it): the webhook body is the ПОС external-API message
object plus ``fz59``, ``fastTrack`` and, where known, ``subjectName``/``subsubjectName``/
``factName``; a forwarding history entry may name its addressee in ``forwardTo.name``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from app.connectors.base import ConnectorPayloadError, ExportFormat, verify_standard_webhook
from app.connectors.common import clean, parse_ru_date, yes
from app.models.common import Channel, Kind, Priority, Source, Status
from app.models.drafts import ApplicantDraft, FeedbackDraft, TicketDraft

NAME = Source.feedback_platform.value

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
# Russian labels of the back-office export, matched by their beginning.
LABELS: tuple[tuple[str, str], ...] = (
    ("на модерации", "MODERATION_NEW"),
    ("принято модератором", "MODERATION_ACCEPT"),
    ("отклонено модератором", "MODERATION_DECLINE"),
    ("назначен исполнитель", "SET_EXECUTOR"),
    ("взято в работу", "TAKE_TO_WORK"),
    ("в работе", "TAKE_TO_WORK"),
    ("перенос срока", "POSTPONE"),
    ("отправлен ответ", "SEND_RESPONSE"),
    ("направлено в подведомственную", "FORWARD_TO_SUBORDINATE"),
    ("передано в вышестоящую", "FORWARD_TO_PARENT"),
)
INTERIM_ANSWER_TYPES = {"INTERIM", "INTERMEDIATE", "PRELIMINARY"}


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class PosApplicant(_Body):
    epguId: int | str | None = None
    surname: str | None = Field(default=None, max_length=120)
    name: str | None = Field(default=None, max_length=120)
    patronymic: str | None = Field(default=None, max_length=120)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    postAddress: str | None = Field(default=None, max_length=500)


class PosReason(_Body):
    id: int | str | None = None
    name: str | None = None


class PosAnswer(_Body):
    answerType: str | None = None
    comment: str | None = None
    rejectReason: PosReason | None = None
    attachmentIds: list[int | str] = Field(default_factory=list)


class PosHistoryEntry(_Body):
    status: str = Field(min_length=1, max_length=64)
    statusText: str | None = None
    createdAt: AwareDatetime
    answer: PosAnswer | None = None
    forwardTo: PosReason | None = None


class PosMessage(_Body):
    posId: int | str
    createdAt: AwareDatetime
    answerAt: AwareDatetime | None = None
    fz59: bool = False
    fastTrack: bool = False
    description: str = Field(min_length=1, max_length=20_000)
    location: str | None = Field(default=None, max_length=1000)
    subjectId: int | None = None
    subjectName: str | None = None
    subsubjectId: int | None = None
    subsubjectName: str | None = None
    factId: int | None = None
    factName: str | None = None
    attachmentIds: list[int | str] = Field(default_factory=list)
    opaId: int | None = None
    regionId: int | None = None
    applicant: PosApplicant | None = None
    status: str = Field(min_length=1, max_length=64)
    statusText: str | None = None
    history: list[PosHistoryEntry] = Field(default_factory=list)
    # The citizen's rating of the answer (1–5, «Оценка ответа заявителем»); our contract.
    rating: int | None = Field(default=None, ge=1, le=5)


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


def status_code_for_label(label: str | None) -> str | None:
    """The ПОС status code for a back-office label («Назначен исполнитель» → SET_EXECUTOR)."""
    text = (label or "").strip().lower()
    return next((code for prefix, code in LABELS if text.startswith(prefix)), None)


@dataclass(frozen=True)
class _ExportRow:
    """The checked values of one export row: its number, dates and the citizen's score."""

    number: str
    received: datetime
    planned: datetime | None
    finished: datetime | None
    score: str | None


def _checked_export_row(row: Mapping[str, object], tz: ZoneInfo) -> _ExportRow:
    """The row's number, dates and score, or ConnectorPayloadError naming every bad column."""
    errors: list[dict[str, Any]] = []

    def date_of(column: str, required: bool = False) -> datetime | None:
        try:
            value = parse_ru_date(row.get(column), tz)
        except ValueError as exc:
            errors.append({"field": column, "message": str(exc), "type": "date"})
            return None
        if value is None and required:
            errors.append({"field": column, "message": "required", "type": "missing"})
        return value

    raw_number = row.get("Номер")
    # Excel keeps numbers as floats: 563007235.0 is «563007235».
    number = str(int(raw_number)) if isinstance(raw_number, float) else clean(raw_number)
    if not number:
        errors.append({"field": "Номер", "message": "required", "type": "missing"})
    received = date_of("Дата поступления", required=True)
    planned = date_of("Дата планируемого завершения работ")
    finished = date_of("Дата фактического завершения работ")
    score = clean(row.get("Оценка ответа заявителем"))
    if score is not None and score not in {"1", "2", "3", "4", "5"}:
        errors.append(
            {"field": "Оценка ответа заявителем", "message": "expected 1–5 or «-»", "type": "value"}
        )
    if errors or number is None or received is None:
        raise ConnectorPayloadError(
            "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors
        )
    return _ExportRow(number, received, planned, finished, score)


def _end_of_planned_day(planned: datetime, tz: ZoneInfo) -> datetime:
    """A planned date is a whole day: the work is due by the end of it, city time."""
    end = datetime.combine(planned.astimezone(tz).date(), time(23, 59, 59), tzinfo=tz)
    return end.astimezone(planned.tzinfo)


def _export_extra(
    row: Mapping[str, object], checked: _ExportRow, *, fast_track: bool, due: datetime | None
) -> dict[str, Any]:
    """The source fields kept beside the draft (the same keys the pushed message gives)."""
    extra: dict[str, Any] = {"fastTrack": fast_track, "posId": checked.number}
    if due is not None:
        extra["answerAt"] = due.isoformat()
    if checked.finished is not None:
        extra["completedAt"] = checked.finished.isoformat()
    for key, column in (
        ("epguNumber", "Номер ЕПГУ"),
        ("posChannel", "Источник"),
        ("organization", "Организация, в которой находится сообщение"),
        ("decisionType", "Тип решения"),
        ("stage", "Стадия"),
    ):
        if clean(row.get(column)):
            extra[key] = clean(row.get(column))
    if checked.score is not None:
        extra["rating"] = int(checked.score)
    return extra


def draft_from_export_row(row: Mapping[str, object], *, tz: ZoneInfo) -> TicketDraft:
    """One row of the ЛК ОА Excel export (columns by title) → draft, or ConnectorPayloadError."""
    checked = _checked_export_row(row, tz)
    number, score = checked.number, checked.score
    label = clean(row.get("Статус"))
    code = status_code_for_label(label)
    status = STATUS_MAP.get(code) if code else None
    names = [n for n in (clean(row.get(c)) for c in ("Факт", "Подкатегория", "Категория")) if n]
    source_category = " / ".join(reversed(names)) or None
    fz59 = "59" in (clean(row.get("ФЗ")) or "") or yes(row.get("Заявитель выбрал подачу по 59-ФЗ"))
    fast_track = yes(row.get("Фаст-трек"))
    due = _end_of_planned_day(checked.planned, tz) if checked.planned is not None else None
    reason = redirect = None
    if status == Status.rejected:
        reason = clean(row.get("Тип решения")) or label
        redirect = FORWARDS.get(code or "")
    text = (
        f"Сообщение ПОС № {number}: {source_category or 'без категории'}. "
        "Текст сообщения в выгрузке отсутствует."
    )
    return TicketDraft(
        source=NAME,
        source_id=number,
        kind=Kind.fz59_appeal if fz59 else Kind.pos_message,
        channel=Channel.gosuslugi,
        text=text,
        source_category=source_category,
        category_names=names,
        source_status=code or label,
        status=status,
        status_reason=reason,
        redirect_to=redirect,
        created_at=checked.received,
        fast_track=fast_track,
        source_due_at=due,
        feedback=rating(int(score) if score is not None else None),
        extra=_export_extra(row, checked, fast_track=fast_track, due=due),
    )


# The back-office (ЛК ОА) Excel export, for back-fill and cities without a push feed.
EXPORT = ExportFormat(
    NAME,
    "Номер",
    ("Номер", "Дата поступления", "Категория", "Статус"),
    None,
    draft_from_export_row,
)


class FeedbackPlatformConnector:
    """ПОС: signed pushes of message objects (and the same mapping for polled ones)."""

    name = NAME

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        self.secrets = list(secrets)

    def parse(self, body: bytes) -> TicketDraft:
        try:
            message = PosMessage.model_validate_json(body)
        except ValidationError as exc:
            raise ConnectorPayloadError.from_validation(exc) from exc
        return draft_from_message(message)

    def parse_object(self, item: Mapping[str, Any]) -> TicketDraft:
        """The same mapping for an already decoded object (the poller reads these)."""
        return self.parse(json.dumps(item, ensure_ascii=False).encode())

    def verify(self, body: bytes, headers: Mapping[str, str], *, now: datetime) -> str:
        return verify_standard_webhook(body, headers, secrets=self.secrets, now=now)
