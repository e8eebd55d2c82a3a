"""The pure rules of ССТУ.РФ reporting and the wire document against its JSON Schema."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import jsonschema_rs
import pytest
from pydantic import ValidationError

from app.connectors.sstu.document import REQUIRED, SCHEMA_PATH, WireAppeal, appeal_json
from app.errors import Conflict, ValidationFailed
from app.models.sstu import AppealRecord, QuestionRecord, SstuStatus, TransferRecord
from app.sstu.documents import Profile, appeal_record, date_gaps
from app.sstu.rules import (
    Lead,
    QuestionFacts,
    TicketFacts,
    belongs_to_month,
    closing_gaps,
    finished_at,
    level_of,
    parse_month,
    question_state,
    require_ended,
    section_of,
)

TZ = timezone(timedelta(hours=10))
NOV = parse_month("2026-11", TZ)
VALIDATOR = jsonschema_rs.validator_for(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def at(day: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=TZ).astimezone(UTC)


def ticket(status: str = "in_progress", **kw: object) -> TicketFacts:
    fields: dict[str, object] = {
        "ticket_id": 1,
        "number": "SD-2026-000001",
        "status": status,
        "channel": "gosuslugi",
        "department_code": "zhkh",
        "created_at": at(3),
        "registered_at": at(3),
    }
    fields.update(kw)
    return TicketFacts(**fields)  # type: ignore[arg-type]


def question(**kw: object) -> QuestionFacts:
    fields: dict[str, object] = {"position": 1, "code": "0005.0005.0056.1156", "stored": True}
    fields.update(kw)
    return QuestionFacts(**fields)  # type: ignore[arg-type]


class TestMonthAndCodes:
    def test_month_is_the_city_calendar_month(self) -> None:
        assert NOV.start == datetime(2026, 11, 1, tzinfo=TZ)
        assert NOV.end == datetime(2026, 12, 1, tzinfo=TZ)
        assert parse_month("2026-12", TZ).end == datetime(2027, 1, 1, tzinfo=TZ)

    @pytest.mark.parametrize(
        "bad", ["2026-13", "2026-00", "26-11", "2026/11", "", "1999-01", "２０２６-11", "2026-１１"]
    )
    def test_other_forms_are_refused(self, bad: str) -> None:
        with pytest.raises(ValidationFailed):
            parse_month(bad, TZ)

    def test_a_month_is_uploaded_once_it_has_ended_in_the_city(self) -> None:
        december = parse_month("2026-12", TZ)
        with pytest.raises(Conflict, match="2026-12 has not ended yet"):
            require_ended(december, datetime(2026, 11, 30, 12, tzinfo=UTC))
        with pytest.raises(Conflict):  # 31 Dec 23:59 in Vladivostok
            require_ended(december, datetime(2026, 12, 31, 13, 59, tzinfo=UTC))
        require_ended(december, datetime(2026, 12, 31, 14, 0, tzinfo=UTC))  # 1 Jan 00:00 local

    def test_levels_and_sections(self) -> None:
        assert level_of("0005.0000.0000.0000") == 1
        assert level_of("0005.0005.0000.0000") == 2
        assert level_of("0005.0005.0056.0000") == 3
        assert level_of("0005.0005.0056.1153") == 4
        assert section_of("0005.0005.0056.1153") == "0005.0000.0000.0000"


class TestQuestionState:
    def test_open_and_registered_is_in_work(self) -> None:
        assert question_state(question(), ticket(), NOV.end).status == SstuStatus.InWork

    def test_not_yet_registered(self) -> None:
        state = question_state(question(), ticket(registered_at=None), NOV.end)
        assert state.status == SstuStatus.NotRegistered
        later = ticket(registered_at=at(2, 12))
        assert question_state(question(), later, NOV.end).status == SstuStatus.NotRegistered

    def test_recorded_outcome_counts_from_its_decision(self) -> None:
        q = question(status="Explained", decided_at=at(20))
        state = question_state(q, ticket("answered", answered_at=at(20)), NOV.end)
        assert (state.status, state.responded_at) == (SstuStatus.Explained, at(20))

    def test_decided_after_the_month_is_still_in_work(self) -> None:
        q = question(status="Supported", actions_taken=True, decided_at=at(3, 12))
        state = question_state(q, ticket("answered", answered_at=at(3, 12)), NOV.end)
        assert state.status == SstuStatus.InWork

    def test_reopened_appeal_is_in_work_again(self) -> None:
        q = question(status="Explained", decided_at=at(10))
        assert question_state(q, ticket("in_progress"), NOV.end).status == SstuStatus.InWork

    def test_answered_in_the_source_without_outcome(self) -> None:
        state = question_state(question(), ticket("answered", answered_at=at(15)), NOV.end)
        assert (state.status, state.responded_at) == (SstuStatus.Answered, at(15))

    def test_rejected_by_the_source_never_reached_us(self) -> None:
        state = question_state(question(), ticket("rejected"), NOV.end)
        assert state.status == SstuStatus.NotReceived

    def test_merged_follows_the_ticket_it_duplicates(self) -> None:
        main = Lead(
            ticket("answered", ticket_id=2, answered_at=at(12)),
            (question(status="Supported", actions_taken=True, decided_at=at(12)),),
        )
        merged = ticket("merged", duplicate_of_id=2)
        state = question_state(question(stored=False), merged, NOV.end, main)
        assert (state.status, state.responded_at) == (SstuStatus.Supported, at(12))
        open_main = Lead(ticket("in_progress", ticket_id=2), (question(),))
        assert question_state(question(), merged, NOV.end, open_main).status == (SstuStatus.InWork)


class TestMonthMembership:
    def test_received_in_the_month(self) -> None:
        assert belongs_to_month(ticket(), None, NOV)

    def test_received_later_is_not(self) -> None:
        assert not belongs_to_month(ticket(created_at=at(1, 12)), None, NOV)

    def test_receipt_is_the_sources_date_in_the_city(self) -> None:
        # Written at 23:30 on 31 October in Vladivostok (13:30 UTC), whenever it reached us.
        late = ticket(created_at=datetime(2026, 10, 31, 23, 30, tzinfo=TZ).astimezone(UTC))
        october = parse_month("2026-10", TZ)
        assert belongs_to_month(late, None, october)
        assert belongs_to_month(late, None, NOV)  # carried over while open
        assert not belongs_to_month(late, at(5, 11), parse_month("2026-12", TZ))

    def test_earlier_still_open_or_decided_in_the_month_is_carried_over(self) -> None:
        october = ticket(created_at=at(20, 10))
        assert belongs_to_month(october, None, NOV)
        assert belongs_to_month(october, at(5), NOV)
        assert not belongs_to_month(october, at(25, 10), NOV)

    def test_finished_when_every_question_is_decided(self) -> None:
        done = ticket("answered", answered_at=at(9))
        qs = [question(status="Explained", decided_at=at(9)), question(position=2, status=None)]
        assert finished_at(done, qs) == at(9)  # the second is the source's answer
        assert finished_at(ticket(), qs) is None


class TestClosingGaps:
    def test_each_outcome_names_its_missing_details(self) -> None:
        assert closing_gaps([question()]) == [
            "question 1 (0005.0005.0056.1156): an outcome (Supported, Explained, NotSupported, "
            "LeftWithoutAnswer, Transferred)"
        ]
        assert "actions_taken" in closing_gaps([question(status="Supported")])[0]
        assert "art. 11 ground" in closing_gaps([question(status="LeftWithoutAnswer")])[0]
        transfer = closing_gaps([question(status="Transferred", transfer_to="Прокуратура")])
        assert [g.split(": ", 1)[1] for g in transfer] == [
            "transfer the date for Transferred",
            "transfer the outgoing number for Transferred",
            "transfer the addressee's ССТУ id for Transferred",
        ]
        complete = question(
            status="Transferred",
            transfer_to="Прокуратура",
            transfer_on=date(2026, 11, 6),
            transfer_number="12",
            transfer_department_id="x",
        )
        assert closing_gaps([complete, question(position=2, status="Explained")]) == []

    def test_a_reopened_appeal_needs_its_outcome_again(self) -> None:
        earlier = question(status="Supported", actions_taken=True, decided_at=at(10))
        [gap] = closing_gaps([earlier], status="in_progress")
        assert gap.startswith("question 1 (0005.0005.0056.1156): an outcome (")
        assert "Supported was recorded before the appeal was reopened" in gap
        # Answered → closed is the same decision; set again on the open appeal, it is confirmed.
        assert closing_gaps([earlier], status="answered") == []
        confirmed = question(status="Supported", actions_taken=True)
        assert closing_gaps([confirmed], status="in_progress") == []

    def test_no_code_is_named_first(self) -> None:
        assert closing_gaps([question(code=None, stored=False)])[0] == (
            "question 1: a classifier code"
        )


def record(*questions: QuestionRecord) -> AppealRecord:
    return AppealRecord(
        department_id="dep-1",
        direct=True,
        electronic=False,
        number="SD-2026-000007",
        created_on=date(2026, 11, 3),
        questions=questions,
    )


def q_record(status: SstuStatus, **kw: object) -> QuestionRecord:
    fields: dict[str, object] = {
        "code": "0005.0005.0056.1153",
        "status": status,
        "incoming_on": date(2026, 11, 3),
        "registered_on": date(2026, 11, 3),
        "responded_on": date(2026, 11, 20),
    }
    fields.update(kw)
    return QuestionRecord(**fields)  # type: ignore[arg-type]


class TestWireDocument:
    @pytest.mark.parametrize("status", list(SstuStatus))
    def test_every_status_makes_a_valid_document(self, status: SstuStatus) -> None:
        extra: dict[str, object] = {}
        if status == SstuStatus.Supported:
            extra["actions_taken"] = True
        if status == SstuStatus.Transferred:
            extra["transfer"] = TransferRecord("dep-2", "Прокуратура", date(2026, 11, 6), "5")
        doc = appeal_json(record(q_record(status, **extra)))
        assert [e.message for e in VALIDATOR.iter_errors(doc)] == []
        WireAppeal.model_validate(doc)
        [q] = doc["questions"]
        assert set(q) == {"code", "status", *REQUIRED[status.value]}
        assert doc["format"] == "Other"

    @pytest.mark.parametrize(
        "broken",
        [
            {"code": "0005.0005.0056.1153", "status": "Supported", "incomingDate": "2026-11-03",
             "registrationDate": "2026-11-03", "responseDate": "2026-11-20"},  # no actionsTaken
            {"code": "0005.0005.0056.1153", "status": "Transferred", "incomingDate": "2026-11-03",
             "registrationDate": "2026-11-03"},  # no transfer
            {"code": "0005.0005.56.1153", "status": "NotReceived"},  # not four segments of four
            {"code": "0005.0005.0056.1153", "status": "InWork", "incomingDate": "2026-11-03",
             "registrationDate": "2026-11-03", "isExtend": False,
             "responseDate": "2026-11-20"},  # a field its status does not carry
            {"code": "0005.0005.0056.1153", "status": "Closed"},
        ],
    )  # fmt: skip
    def test_schema_and_model_refuse_the_same_documents(self, broken: dict) -> None:
        doc = {**appeal_json(record(q_record(SstuStatus.NotReceived))), "questions": [broken]}
        assert not VALIDATOR.is_valid(doc)
        with pytest.raises(ValidationError):
            WireAppeal.model_validate(doc)


class TestDatesAgree:
    def test_an_appeal_delivered_late_keeps_its_receipt(self) -> None:
        # ПОС 59-ФЗ: written 31 Oct 23:30 local, answered in the source 10 Nov, reaching the
        # hub (and registered) on 30 Nov: receipt 31 Oct, registration 30 Nov, response 10 Nov.
        late = ticket(
            "answered",
            created_at=datetime(2026, 10, 31, 23, 30, tzinfo=TZ).astimezone(UTC),
            registered_at=at(30),
            answered_at=at(10),
        )
        doc = appeal_record(late, [question()], month=NOV, tz=TZ, profile=Profile("dep-1"))
        [q] = doc.questions
        assert (doc.created_on, q.incoming_on) == (date(2026, 10, 31), date(2026, 10, 31))
        assert (q.status, q.registered_on, q.responded_on) == (
            SstuStatus.Answered,
            date(2026, 11, 30),
            date(2026, 11, 10),
        )
        assert date_gaps(doc) == []

    def test_a_date_before_the_incoming_date_is_listed(self) -> None:
        answered_before = record(q_record(SstuStatus.Explained, responded_on=date(2026, 11, 2)))
        assert date_gaps(answered_before) == [
            "question 1 (0005.0005.0056.1153): responseDate 2026-11-02 precedes its "
            "incomingDate 2026-11-03"
        ]
        transfer = TransferRecord("dep-2", "Прокуратура", date(2026, 11, 1), "5")
        sent_before = record(q_record(SstuStatus.Transferred, responded_on=None, transfer=transfer))
        assert [g.split(": ", 1)[1] for g in date_gaps(sent_before)] == [
            "transferDate 2026-11-01 precedes its incomingDate 2026-11-03"
        ]
        assert date_gaps(record(q_record(SstuStatus.Explained))) == []
