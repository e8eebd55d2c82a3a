"""``new_row`` makes the object the SQLModel constructor makes, only faster."""

from __future__ import annotations

from datetime import UTC, datetime

from app.models.routing import DuplicateSuggestion
from app.models.rows import new_row
from app.models.tickets import Applicant, Ticket

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
VALUES = {
    "number": "SD-2026-000001",
    "source": "feedback_platform",
    "source_id": "42",
    "kind": "message",
    "channel": "gosuslugi",
    "category_code": "roads",
    "text": "Яма у дома 5",
    "address": "ул. Ленина, 5",
    "status": "routed",
    "attachments": [{"id": "a1"}],
    "extra": {"fz59": False},
    "department_code": "roads",
    "created_at": NOW,
    "received_at": NOW,  # a default factory's field: the applicant's test covers those
    "updated_at": NOW,
}


def _fields(obj: object) -> dict[str, object]:
    return {k: v for k, v in vars(obj).items() if not k.startswith("_sa_")}


def test_a_ticket_row_equals_the_constructed_ticket():
    made, constructed = new_row(Ticket, **VALUES), Ticket(**VALUES)
    assert _fields(made) == _fields(constructed)
    assert made.__pydantic_fields_set__ == constructed.__pydantic_fields_set__
    assert made.version == 1 and made.sla_terms == constructed.sla_terms


def test_rows_do_not_share_mutable_values():
    first, second = new_row(Ticket, **VALUES), new_row(Ticket, **VALUES)
    first.attachments.append({"id": "a2"})
    first.extra["fz59"] = True
    assert second.attachments == [{"id": "a1"}] and second.extra == {"fz59": False}
    assert VALUES["attachments"] == [{"id": "a1"}]


def test_an_applicant_row_equals_the_constructed_applicant():
    values = {"full_name": "Иванов Иван", "phone": "+79240000000", "email": None}
    made, constructed = new_row(Applicant, **values), Applicant(**values)
    assert _fields(made).keys() == _fields(constructed).keys()
    assert {**_fields(made), "created_at": None} == {**_fields(constructed), "created_at": None}


def test_a_default_factory_runs_for_every_row():
    first = new_row(Applicant, full_name="А")
    second = new_row(Applicant, full_name="Б")
    assert first.created_at is not None and second.created_at >= first.created_at
    assert new_row(Applicant, created_at=NOW).created_at == NOW


def test_a_suggestion_row_equals_the_constructed_suggestion():
    values = {
        "ticket_id": 7,
        "candidate_id": 3,
        "score": 0.71,
        "reasons": {"place": "same address", "text": 0.4},
        "created_at": NOW,
    }
    made, constructed = new_row(DuplicateSuggestion, **values), DuplicateSuggestion(**values)
    assert _fields(made) == _fields(constructed)
    assert made.__pydantic_fields_set__ == constructed.__pydantic_fields_set__
    assert made.reasons is not values["reasons"]  # its own copy, as for tickets
