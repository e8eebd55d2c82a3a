"""Pure: one month's ССТУ.РФ document of an appeal (as a neutral ``AppealRecord``; the wire
names are ``app.connectors.sstu.document``'s) and the month's statistics table."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo

from app.models.sstu import (
    AppealRecord,
    ApplicantRecord,
    QuestionRecord,
    SstuStatus,
    TransferRecord,
)
from app.sstu.rules import (
    ELECTRONIC_CHANNELS,
    Lead,
    Month,
    QuestionFacts,
    TicketFacts,
    local_date,
    question_state,
    section_of,
)

# Statuses that carry the registration and response dates (the public adapters' shapes).
_DECIDED = frozenset(
    {
        SstuStatus.Explained,
        SstuStatus.Supported,
        SstuStatus.NotSupported,
        SstuStatus.Answered,
        SstuStatus.LeftWithoutAnswer,
        SstuStatus.Transferred,
    }
)


@dataclass(frozen=True)
class Profile:
    """The city's ССТУ settings (``sstu:`` in its config)."""

    department_id: str | None
    department_ids: Mapping[str, str] = field(default_factory=dict)

    def department_of(self, department_code: str) -> str | None:
        return self.department_ids.get(department_code) or self.department_id


def question_record(
    q: QuestionFacts, ticket: TicketFacts, month: Month, tz: tzinfo, lead: Lead | None
) -> QuestionRecord:
    """One question as of the month's end; the caller checked it has a code."""
    assert q.code is not None
    state = question_state(q, ticket, month.end, lead)
    incoming = local_date(ticket.created_at, tz)  # receipt: the source's date
    assert incoming is not None
    registered = None
    if ticket.registered_at is not None and ticket.registered_at < month.end:
        registered = local_date(ticket.registered_at, tz)
    elif state.status in _DECIDED:
        registered = incoming  # assumption: decided without a recorded registration
    transfer = None
    # A merged appeal transferred with the one it duplicates carries that one's transfer.
    sent = q if q.transfer_on or lead is None or not lead.questions else lead.questions[0]
    if state.status == SstuStatus.Transferred and sent.transfer_on and sent.transfer_to:
        transfer = TransferRecord(
            department_id=sent.transfer_department_id,
            to=sent.transfer_to,
            on=sent.transfer_on,
            number=sent.transfer_number or "",
        )
    return QuestionRecord(
        code=q.code,
        status=state.status,
        incoming_on=incoming,
        registered_on=registered,
        responded_on=local_date(state.responded_at, tz) if state.status in _DECIDED else None,
        actions_taken=q.actions_taken if state.status == SstuStatus.Supported else None,
        transfer=transfer,
        extended=ticket.extended,
    )


def appeal_record(
    ticket: TicketFacts,
    questions: Sequence[QuestionFacts],
    *,
    month: Month,
    tz: tzinfo,
    profile: Profile,
    direct: bool = True,
    lead: Lead | None = None,
    applicant: ApplicantRecord | None = None,
) -> AppealRecord:
    """The appeal's document for the month; the caller checked every question has a code and
    the profile names the department's ССТУ id."""
    department_id = profile.department_of(ticket.department_code)
    assert department_id is not None
    created = local_date(ticket.created_at, tz)
    assert created is not None
    return AppealRecord(
        department_id=department_id,
        direct=direct,
        electronic=ticket.channel in ELECTRONIC_CHANNELS,
        number=ticket.number,
        created_on=created,
        questions=tuple(question_record(q, ticket, month, tz, lead) for q in questions),
        applicant=applicant or ApplicantRecord(),
    )


def date_gaps(record: AppealRecord) -> list[str]:
    """Dates of the document that precede its question's incoming date: the data contradicts
    itself (a response before the appeal was received), so the appeal is a problem to fix,
    never a document sent as it is."""
    gaps = []
    for n, q in enumerate(record.questions, start=1):
        registered = q.status in _DECIDED or q.status == SstuStatus.InWork
        dates = (
            ("createDate", record.created_on),
            ("registrationDate", q.registered_on if registered else None),
            ("responseDate", q.responded_on),
            ("transferDate", q.transfer.on if q.transfer is not None else None),
        )
        for name, day in dates:
            if day is not None and day < q.incoming_on:
                gaps.append(
                    f"question {n} ({q.code}): {name} {day.isoformat()} precedes its "
                    f"incomingDate {q.incoming_on.isoformat()}"
                )
    return gaps


@dataclass(frozen=True)
class StatisticsRow:
    section: str
    status: str
    channel: str
    appeals: int
    questions: int


@dataclass(frozen=True)
class Statistics:
    """Appeals and questions by classifier section × status × channel, with totals. An appeal
    with questions in two cells counts once in each, and once in the totals."""

    rows: list[StatisticsRow]
    appeals: int
    questions: int
    questions_by_status: dict[str, int]
    questions_by_section: dict[str, int]


def statistics(reported: Iterable[tuple[AppealRecord, str]]) -> Statistics:
    """The month's table from its documents, each with the ticket's channel."""
    appeals: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    questions: dict[tuple[str, str, str], int] = defaultdict(int)
    by_status: dict[str, int] = defaultdict(int)
    by_section: dict[str, int] = defaultdict(int)
    numbers: set[str] = set()
    for record, channel in reported:
        numbers.add(record.number)
        for q in record.questions:
            key = (section_of(q.code), q.status.value, channel)
            appeals[key].add(record.number)
            questions[key] += 1
            by_status[q.status.value] += 1
            by_section[key[0]] += 1
    rows = [
        StatisticsRow(section, status, channel, len(appeals[k]), questions[k])
        for k in sorted(questions)
        for section, status, channel in [k]
    ]
    return Statistics(
        rows=rows,
        appeals=len(numbers),
        questions=sum(questions.values()),
        questions_by_status=dict(sorted(by_status.items())),
        questions_by_section=dict(sorted(by_section.items())),
    )
