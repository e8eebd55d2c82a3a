"""The ratings of a batch's new tickets recorded together end as recorded one by one.

An intake batch makes its new tickets together and then records the ratings their snapshots
carry with ``app.feedback.first_ratings.record_first_ratings`` (one statement each for the
answers, the rows, the departments' webhooks and the messages). Here the same export rows —
answered and rated 1, 2, 3 and 5, a closed post whose author is unhappy, an open message rated
low, rows without a rating — are made and rated one by one with ``record_source_feedback``
(as every rating was recorded before), and then, on a clean database, together. The rating
rows, the timelines, the reopened tickets, the messages queued for the sources and the
departments' webhooks, and the counters must be the same.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.feedback.first_ratings import NewRating, record_first_ratings
from app.feedback.service import record_source_feedback
from app.intake.ingestion import create_items
from app.models.drafts import ApplicantDraft, FeedbackDraft, TicketDraft
from app.models.feedback import Sentiment, TicketFeedback
from app.models.outbox import OutboxMessage
from app.models.tickets import Ticket, TicketAnswer, TicketEvent
from app.tickets.creation import NewTicket

T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 11:00 in Vladivostok
HOOK = "https://roads.example.test/appeals-hook"

# (source, source id, category, status, answered in the source, the rating it carries)
ROWS: list[tuple[str, str, str, str, bool, FeedbackDraft | None]] = [
    ("feedback_platform", "1", "roads", "answered", True, FeedbackDraft("1", score=1)),
    ("feedback_platform", "2", "roads", "answered", True, FeedbackDraft("5", score=5)),
    ("feedback_platform", "3", "heating", "closed", True, FeedbackDraft("2", score=2)),
    ("feedback_platform", "4", "heating", "answered", True, FeedbackDraft("3", score=3)),
    ("feedback_platform", "5", "roads", "in_progress", False, FeedbackDraft("2", score=2)),
    ("feedback_platform", "6", "roads", "answered", True, None),
    ("feedback_platform", "7", "roads", "answered", True, FeedbackDraft("-")),
    (
        "incident_management",
        "8",
        "roads",
        "closed",
        True,
        FeedbackDraft("Автор недоволен", sentiment=Sentiment.negative),
    ),
    (
        "incident_management",
        "9",
        "heating",
        "closed",
        False,
        FeedbackDraft("  Автор доволен  ", sentiment=Sentiment.positive),
    ),
    ("feedback_platform", "10", "roads", "answered", True, FeedbackDraft("4", score=4)),
]


def _new() -> list[tuple[NewTicket, FeedbackDraft | None]]:
    out = []
    for n, (source, sid, category, status, answered, feedback) in enumerate(ROWS):
        at = T0 + timedelta(minutes=3 * n)
        draft = TicketDraft(
            source=source,
            source_id=sid,
            kind="pos_message" if source == "feedback_platform" else "social_post",
            channel="gosuslugi" if source == "feedback_platform" else "vk",
            text=f"Обращение {sid}: яма на дороге, батареи холодные",
            category_code=category,
            address=f"ул. Ленина, д. {sid}",
            status=status,
            source_updated_at=at,
            created_at=at - timedelta(days=3),
            applicant=ApplicantDraft(full_name=f"Житель {sid}", phone=f"+7924111000{n}"),
            source_answers=(
                [{"key": f"a{sid}", "text": "Разъяснено", "kind": "final", "at": at.isoformat()}]
                if answered
                else []
            ),
        )
        actor = f"import:{source}"
        out.append((NewTicket(draft, actor, at + timedelta(seconds=10)), feedback))
    return out


Made = list[tuple[Ticket, NewTicket, FeedbackDraft | None]]
Rate = Callable[[AsyncSession, Made], Awaitable[None]]


async def _one_by_one(session: AsyncSession, made: Made) -> None:
    for ticket, new, feedback in made:
        await record_source_feedback(
            session, ticket, feedback, now=new.now, actor=new.actor, first=True
        )


async def _together(session: AsyncSession, made: Made) -> None:
    await record_first_ratings(
        session, [NewRating(ticket, feedback, new.now, new.actor) for ticket, new, feedback in made]
    )


async def _run(db, rate: Rate) -> dict[str, Any]:
    rows = _new()
    async with db.sessionmaker() as session:
        tickets = await create_items(session, [new for new, _ in rows])
        roads = next(t.department_code for t in tickets if t.category_code == "roads")
        await session.exec(  # type: ignore[call-overload]
            text("UPDATE departments SET webhook_url = :u WHERE code = :c"),
            params={"u": HOOK, "c": roads},
        )
        made = [(t, new, fb) for t, (new, fb) in zip(tickets, rows, strict=True)]
        await rate(session, made)
        await session.commit()
    return await _outcome(db)


async def _outcome(db) -> dict[str, Any]:
    """What the ratings left, by source id (ids differ between the runs)."""
    async with db.sessionmaker() as session:
        tickets = (await session.exec(select(Ticket).order_by(col(Ticket.id)))).all()
        sid = {t.id: t.source_id for t in tickets}
        answers = {a.id: sid[a.ticket_id] for a in (await session.exec(select(TicketAnswer))).all()}
        ratings = (
            await session.exec(select(TicketFeedback).order_by(col(TicketFeedback.id)))
        ).all()
        rating = {r.id: sid[r.ticket_id] for r in ratings}
        events = (await session.exec(select(TicketEvent).order_by(col(TicketEvent.id)))).all()
        messages = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
        counters = (
            await session.exec(  # type: ignore[call-overload]
                text(
                    "SELECT name, labels::text, sum(value) FROM metric_counters "
                    "GROUP BY name, labels::text ORDER BY 1, 2"
                )
            )
        ).all()
    ids = {"ticket_id": sid, "answer_id": answers, "feedback_id": rating}
    return {
        "tickets": {t.source_id: (t.status, t.status_reason, t.version) for t in tickets},
        "ratings": [
            (
                sid[r.ticket_id],
                answers.get(r.answer_id),
                r.answer_key != 0,
                r.source,
                r.source_value,
                r.score,
                r.sentiment,
                r.reopened,
                r.department_code,
                r.actor,
                r.created_at,
            )
            for r in ratings
        ],
        "timelines": {
            t.source_id: [
                (e.type, e.actor, {k: ids[k].get(v) if k in ids else v for k, v in e.data.items()})
                for e in events
                if e.ticket_id == t.id
            ]
            for t in tickets
        },
        "messages": [
            (
                m.target,
                m.kind,
                m.department_code,
                sid[m.ticket_id],
                m.idempotency_id.split("-")[0],
                {k: ids[k].get(v) if k in ids else v for k, v in m.payload.items()},
            )
            for m in messages
        ],
        "counters": [tuple(c) for c in counters],
    }


async def test_ratings_recorded_together_end_as_one_by_one(db):
    one_by_one = await _run(db, _one_by_one)
    tickets, messages = one_by_one["tickets"], one_by_one["messages"]
    # The rows are built so that every branch of recording a rating is taken.
    assert [r[0] for r in one_by_one["ratings"]] == ["1", "2", "3", "4", "5", "8", "9", "10"]
    assert {s for s, (status, _, _) in tickets.items() if status == "in_progress"} == {
        "1",
        "3",
        "5",
        "8",
    }
    assert tickets["2"][0] == "answered" and tickets["9"][0] == "closed"
    told = [(m[1], m[3]) for m in messages]
    assert ("status", "1") in told and ("status", "8") in told  # the sources hear of the reopening
    assert ("feedback", "1") in told and ("feedback", "5") in told  # roads has a webhook
    assert ("feedback", "3") not in told  # heating has none
    assert one_by_one["ratings"][-2][4] == "Автор доволен"  # stripped

    await db.test_reset.reset()
    together = await _run(db, _together)

    assert together["tickets"] == one_by_one["tickets"]
    assert together["ratings"] == one_by_one["ratings"]
    assert together["timelines"] == one_by_one["timelines"]
    assert together["messages"] == one_by_one["messages"]
    assert together["counters"] == one_by_one["counters"]


async def test_a_batch_without_ratings_writes_nothing(db):
    rows = [(new, None) for new, _ in _new()[:3]]
    async with db.sessionmaker() as session:
        tickets = await create_items(session, [new for new, _ in rows])
        await record_first_ratings(
            session,
            [
                NewRating(t, fb, new.now, new.actor)
                for t, (new, fb) in zip(tickets, rows, strict=True)
            ],
        )
        await session.commit()
        assert (await session.exec(select(TicketFeedback))).all() == []
