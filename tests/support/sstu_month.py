"""A seeded November 2026 of 59-ФЗ appeals for the ССТУ.РФ report, and what the report must
say about it — written out by hand here, never computed by the report code.

Each ``Appeal`` says how it is made and closed through the API (at its own moments) and, for
each of its questions, the section (РАЗДЕЛ), status and channel November's report must show.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx

from tests.support.builders import auth, make_ticket

VLAD = timezone(timedelta(hours=10))  # Asia/Vladivostok, the example city's time zone
MONTH = "2026-11"
ROSPOTREB = "Роспотребнадзор по Приморскому краю"
ROSPOTREB_ID = "9f1d2c3e-0000-4000-8000-000000000101"  # its id in config/city.example.yaml
CITY_ID = "9f1d2c3e-0000-4000-8000-000000002521"


def local(day: str, hour: int = 12) -> datetime:
    """A moment in the city's time zone: ``local("2026-11-03")`` is noon there."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=VLAD).astimezone(UTC)


@dataclass(frozen=True)
class Expect:
    """One question as November's report must show it."""

    section: str  # РАЗДЕЛ, first segment only: "0005"
    status: str
    channel: str


@dataclass
class Appeal:
    key: str
    received: str  # local date
    channel: str
    category: str
    questions: list[dict[str, Any]] = field(default_factory=list)  # the PUT body's questions
    close: str | None = None  # "answer", "reject", or None (left open)
    closed_on: str | None = None
    kind: str = "fz59_appeal"
    expect: list[Expect] = field(default_factory=list)  # empty: not in November's report
    ticket_id: int | None = None
    number: str | None = None


def seed() -> list[Appeal]:
    """November 2026, plus an October appeal carried over, one decided in October, one of
    December and a non-59-ФЗ ticket (the last three are not in November's report)."""
    return [
        Appeal("heating", "2026-11-03", "gosuslugi", "heating",
               [{"code": "0005.0005.0056.1156", "status": "Explained"}], "answer", "2026-11-10",
               expect=[Expect("0005", "Explained", "gosuslugi")]),
        Appeal("roads", "2026-11-04", "web", "roads",
               [{"code": "0003.0009.0099.0742", "status": "Supported", "actions_taken": True}],
               "answer", "2026-11-12", expect=[Expect("0003", "Supported", "web")]),
        Appeal("waste", "2026-11-05", "phone", "waste",
               [{"code": "0005.0005.0056.1160", "status": "NotSupported"}], "answer",
               "2026-11-20", expect=[Expect("0005", "NotSupported", "phone")]),
        Appeal("clinic", "2026-11-05", "email", "health",
               [{"code": "0002.0014.0143.0389", "status": "Transferred",
                 "transfer": {"to": ROSPOTREB, "date": "2026-11-06", "number": "01-12/345"}}],
               "reject", "2026-11-06", expect=[Expect("0002", "Transferred", "email")]),
        Appeal("insults", "2026-11-06", "mail", "housing",
               [{"code": "0005.0005.0056.1168", "status": "LeftWithoutAnswer",
                 "ground": "obscene"}], "reject", "2026-11-08",
               expect=[Expect("0005", "LeftWithoutAnswer", "mail")]),
        Appeal("two-questions", "2026-11-09", "gosuslugi", "water",
               [{"code": "0005.0005.0056.1154", "status": "Explained"},
                {"code": "0003.0009.0099.0732", "status": "Supported", "actions_taken": False}],
               "answer", "2026-11-25",
               expect=[Expect("0005", "Explained", "gosuslugi"),
                       Expect("0003", "Supported", "gosuslugi")]),
        Appeal("open", "2026-11-20", "visit", "education", [], None, None,
               expect=[Expect("0002", "InWork", "visit")]),
        Appeal("answered-in-december", "2026-11-28", "gosuslugi", "improvement",
               [{"code": "0003.0009.0097.0689", "status": "Explained"}], "answer", "2026-12-03",
               expect=[Expect("0003", "InWork", "gosuslugi")]),
        Appeal("from-october", "2026-10-20", "phone", "snow",
               [{"code": "0003.0009.0097.0694", "status": "Explained"}], "answer", "2026-11-05",
               expect=[Expect("0003", "Explained", "phone")]),
        Appeal("decided-in-october", "2026-10-05", "web", "culture",
               [{"code": "0002.0013.0141.0368", "status": "Explained"}], "answer", "2026-10-15"),
        Appeal("december", "2026-12-02", "web", "power", [], None, None),
        Appeal("not-59", "2026-11-10", "phone", "roads", [], None, None, kind="direct_request"),
    ]  # fmt: skip


def expected_questions(appeals: list[Appeal]) -> Counter[tuple[str, str, str]]:
    """(section, status, channel) → questions, from the hand-written expectations."""
    return Counter((e.section, e.status, e.channel) for a in appeals for e in a.expect)


def by_status(appeals: list[Appeal]) -> Counter[str]:
    return Counter(e.status for a in appeals for e in a.expect)


def by_section(appeals: list[Appeal]) -> Counter[str]:
    return Counter(f"{e.section}.0000.0000.0000" for a in appeals for e in a.expect)


async def make_month(app: Any, client: httpx.AsyncClient, db: Any, token: str) -> list[Appeal]:
    """Create and close the seeded appeals through the API, each at its own moment."""
    appeals = seed()
    for a in appeals:
        ticket = await make_ticket(
            db,
            kind=a.kind,
            channel=a.channel,
            category_code=a.category,
            now=local(a.received, 10),
        )
        assert ticket.id is not None
        a.ticket_id, a.number = ticket.id, ticket.number
        if a.close is None:
            continue
        assert a.closed_on is not None
        app.state.clock = lambda at=local(a.closed_on): at
        r = await client.put(
            f"/api/v1/tickets/{a.ticket_id}/sstu",
            json={"questions": a.questions},
            headers=auth(token),
        )
        assert r.status_code == 200, r.text
        await close(client, token, ticket.id, a.close)
    app.state.clock = lambda: local("2026-12-05")
    return appeals


async def close(client: httpx.AsyncClient, token: str, ticket_id: int, how: str) -> httpx.Response:
    """Answer the citizen (final) or reject; the response must be a success."""
    if how == "answer":
        r = await client.post(
            f"/api/v1/tickets/{ticket_id}/answers",
            json={"text": "Ответ по существу обращения.", "kind": "final"},
            headers=auth(token),
        )
        assert r.status_code == 201, r.text
    else:
        r = await client.post(
            f"/api/v1/tickets/{ticket_id}/transitions",
            json={"to": "rejected", "reason": "не в компетенции города либо без ответа"},
            headers=auth(token),
        )
        assert r.status_code == 200, r.text
    return r
