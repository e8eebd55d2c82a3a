"""Pure rules of ССТУ.РФ reporting: the report month, classifier codes, what closing an appeal
needs, and which status each question has at the end of a month. No session, no clock.

An appeal's receipt is the ticket's ``created_at`` (the source's date, as docs/SLA.md counts
59-ФЗ terms from it), not the moment the hub received it: an appeal written on 31 October and
delivered on 30 November belongs to October (and to November, while it is not decided).

A question's status is what staff recorded when the appeal was closed (``SstuOutcome``) or,
where they recorded none, what the ticket's lifecycle says: not registered yet, in work, an
answer the source sent (``Answered``), or a rejection the source made before the appeal reached
the city (``NotReceived``). Everything is judged "as of" the month's end, so a report for
November reads the same in December.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from app.errors import Conflict, ValidationFailed
from app.models.sstu import SstuOutcome, SstuStatus

# ASCII digits only: "２０２６-11" (full-width) is not a month.
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_CODE = re.compile(r"[0-9]{4}\.[0-9]{4}\.[0-9]{4}\.[0-9]{4}")
ZERO = "0000"

# Closing moves: an appeal answered, closed or rejected has its questions decided.
DONE_STATUSES = frozenset({"answered", "closed", "rejected"})
# ССТУ's two forms: written in electronic form, or any other (paper, phone, a visit).
ELECTRONIC_CHANNELS = frozenset({"gosuslugi", "vk", "ok", "telegram", "web", "email"})
OUTCOMES = ", ".join(o.value for o in SstuOutcome)


@dataclass(frozen=True)
class Month:
    """A calendar month in the city's time zone: ``[start, end)``."""

    label: str  # 2026-11
    start: datetime
    end: datetime


def parse_month(value: str, tz: tzinfo) -> Month:
    """``YYYY-MM`` → the month in ``tz``; anything else is a 422 naming the form."""
    match = _MONTH.fullmatch((value or "").strip())
    year, month = (int(match[1]), int(match[2])) if match else (0, 0)
    if not match or not 1 <= month <= 12 or not 2000 <= year <= 2999:
        raise ValidationFailed(
            "month must be a month like 2026-11 (YYYY-MM)",
            errors=[{"field": "query.month", "message": "expected YYYY-MM", "type": "value_error"}],
        )
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    return Month(f"{year:04d}-{month:02d}", start, end)


def require_ended(month: Month, now: datetime) -> None:
    """A month is uploaded once it is over in the city's time zone (409 before that): its
    appeals are still coming in and being decided."""
    if now < month.end:
        raise Conflict(
            f"{month.label} has not ended yet in the city's time zone (it ends "
            f"{month.end:%Y-%m-%d %H:%M} local time); upload it after that"
        )


def is_code(value: str) -> bool:
    return bool(_CODE.fullmatch(value))


def level_of(code: str) -> int:
    """1 section (РАЗДЕЛ) … 4 question (ВОПРОС), by its trailing zero segments."""
    parts = code.split(".")
    level = 4
    while level > 1 and parts[level - 1] == ZERO:
        level -= 1
    return level


def section_of(code: str) -> str:
    return f"{code[:4]}.{ZERO}.{ZERO}.{ZERO}"


@dataclass(frozen=True)
class QuestionFacts:
    """One question as stored (or the category's default, ``stored`` false)."""

    position: int
    code: str | None
    stored: bool = False
    status: str | None = None  # an SstuOutcome
    actions_taken: bool | None = None
    ground: str | None = None
    transfer_to: str | None = None
    transfer_department_id: str | None = None
    transfer_on: date | None = None
    transfer_number: str | None = None
    decided_at: datetime | None = None


@dataclass(frozen=True)
class TicketFacts:
    """What the rules read of a ticket."""

    ticket_id: int
    number: str
    status: str
    channel: str
    department_code: str
    created_at: datetime  # receipt: the source's date (the hub's own receive time is not used)
    registered_at: datetime | None = None
    answered_at: datetime | None = None
    closed_at: datetime | None = None
    extended: bool = False
    duplicate_of_id: int | None = None


@dataclass(frozen=True)
class Lead:
    """What decides a merged appeal: the ticket it was merged into, with its questions."""

    ticket: TicketFacts
    questions: tuple[QuestionFacts, ...]


def outcome_gaps(q: QuestionFacts, *, reopened: bool = False) -> list[str]:
    """What this question still lacks before its appeal may be closed (empty: nothing).

    ``reopened``: the appeal is open again, so an outcome that already took effect
    (``decided_at``) was its earlier decision, kept for history; closing anew needs it again.
    """
    label = f"question {q.position}" + (f" ({q.code})" if q.code else "")
    if not q.code:
        return [f"{label}: a classifier code", f"{label}: an outcome ({OUTCOMES})"]
    if q.status is None:
        return [f"{label}: an outcome ({OUTCOMES})"]
    if reopened and q.decided_at is not None:
        return [
            f"{label}: an outcome ({OUTCOMES}) — {q.status} was recorded before the appeal "
            "was reopened; confirm it or set another"
        ]
    gaps = []
    if q.status == SstuOutcome.Supported and q.actions_taken is None:
        gaps.append(f"{label}: actions_taken (were measures taken?) for Supported")
    if q.status == SstuOutcome.LeftWithoutAnswer and q.ground is None:
        gaps.append(f"{label}: the 59-ФЗ art. 11 ground for LeftWithoutAnswer")
    if q.status == SstuOutcome.Transferred:
        for value, what in (
            (q.transfer_to, "to whom"),
            (q.transfer_on, "the date"),
            (q.transfer_number, "the outgoing number"),
            (q.transfer_department_id, "the addressee's ССТУ id"),
        ):
            if not value:
                gaps.append(f"{label}: transfer {what} for Transferred")
    return gaps


def closing_gaps(questions: Sequence[QuestionFacts], *, status: str | None = None) -> list[str]:
    """Everything the appeal's questions lack before it may be closed. ``status``: the ticket's
    own; an open one whose questions carry a decision was reopened after it (or a rejection
    was undone), and its outcomes need confirming."""
    if not questions:
        return ["question 1: a classifier code", f"question 1: an outcome ({OUTCOMES})"]
    reopened = status is not None and status not in DONE_STATUSES
    return [gap for q in questions for gap in outcome_gaps(q, reopened=reopened)]


@dataclass(frozen=True)
class QuestionState:
    status: SstuStatus
    responded_at: datetime | None = None


def _open_state(ticket: TicketFacts, as_of: datetime) -> QuestionState:
    registered = ticket.registered_at is not None and ticket.registered_at < as_of
    return QuestionState(SstuStatus.InWork if registered else SstuStatus.NotRegistered)


def question_state(
    q: QuestionFacts, ticket: TicketFacts, as_of: datetime, lead: Lead | None = None
) -> QuestionState:
    """The question's status and response moment as of ``as_of`` (the month's end)."""
    if ticket.status == "merged":
        # Answered together with the ticket it duplicates: that one's decision is this one's.
        if lead is None or not lead.questions:
            return _open_state(ticket, as_of)
        main = question_state(lead.questions[0], lead.ticket, as_of)
        if main.status in (SstuStatus.InWork, SstuStatus.NotRegistered):
            return _open_state(ticket, as_of)
        own = SstuStatus(q.status) if q.status else main.status
        return QuestionState(own, main.responded_at)
    if ticket.status in DONE_STATUSES:
        if q.status and q.decided_at is not None:
            if q.decided_at < as_of:
                return QuestionState(SstuStatus(q.status), q.decided_at)
        elif ticket.status == "rejected":
            # Only the source rejects without an outcome (a ПОС moderator declined or forwarded
            # it): the appeal never reached the city.
            return QuestionState(SstuStatus.NotReceived)
        else:
            done = ticket.answered_at or ticket.closed_at
            if done is not None and done < as_of:
                return QuestionState(SstuStatus.Answered, done)
    return _open_state(ticket, as_of)


def finished_at(
    ticket: TicketFacts, questions: Sequence[QuestionFacts], lead: Lead | None = None
) -> datetime | None:
    """When the appeal was decided (None: still open). Carries it over month to month."""
    if ticket.status == "merged":
        return finished_at(lead.ticket, lead.questions) if lead is not None else None
    if ticket.status not in DONE_STATUSES:
        return None
    decided = [q.decided_at for q in questions if q.status and q.decided_at is not None]
    if decided and len(decided) == len(questions):
        return max(decided)
    if ticket.status == "rejected":
        return ticket.created_at  # rejected by the source: it never reached us
    return ticket.answered_at or ticket.closed_at or ticket.created_at


def belongs_to_month(ticket: TicketFacts, finished: datetime | None, month: Month) -> bool:
    """Received (``created_at``) in the month, or before it and not decided before it began."""
    if ticket.created_at >= month.end:
        return False
    if ticket.created_at >= month.start:
        return True
    return finished is None or finished >= month.start


def local_date(moment: datetime | None, tz: tzinfo) -> date | None:
    return moment.astimezone(tz).date() if moment is not None else None
