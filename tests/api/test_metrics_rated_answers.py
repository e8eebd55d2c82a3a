"""«Ответы без отзыва»: answered tickets with a rating are counted once each, whatever the order of
the answer and the rating (``appeals_answers_rated_total``), so 1 − rated / answered is the share
of final answers nobody rated — ratings of unanswered tickets do not hide unrated answers."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families

from app.connectors.feedback_platform.inbound import FeedbackPlatformConnector
from app.intake.ingestion import ingest_draft
from tests.support.builders import auth, make_key, make_ticket
from tests.support.webhooks import encode, sample

KIND = "direct_request"


async def business(client) -> Counter[tuple[str, str]]:
    """(series, kind) -> value, as Prometheus scrapes it."""
    text = (await client.get("/metrics", params={"scope": "business"})).text
    out: Counter[tuple[str, str]] = Counter()
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name in (
                "appeals_answers_rated_total",
                "appeals_resolution_seconds_count",
                "appeals_citizen_feedback_total",
            ):
                out[(s.name, s.labels.get("kind", ""))] += s.value
    return out


async def test_ratings_before_an_answer_do_not_hide_unrated_answers(client, db):
    headers = auth(await make_key(db, "admin"))

    async def ticket() -> int:
        made = await make_ticket(db, kind=KIND)
        assert made.id is not None
        return made.id

    async def answer(ticket_id: int) -> None:
        r = await client.post(
            f"/api/v1/tickets/{ticket_id}/answers",
            json={"text": "Сделано", "kind": "final"},
            headers=headers,
        )
        assert r.status_code == 201, r.text

    async def rate(ticket_id: int, score: int = 5) -> None:
        r = await client.post(
            f"/api/v1/tickets/{ticket_id}/feedback", json={"score": score}, headers=headers
        )
        assert r.status_code in (200, 201), r.text

    before = await business(client)
    assert before[("appeals_answers_rated_total", KIND)] == 0  # exposed at 0 from start-up
    answered = [await ticket() for _ in range(7)]
    for ticket_id in answered:
        await answer(ticket_id)
    for ticket_id in answered[:5]:
        await rate(ticket_id)
    for _ in range(4):  # ratings of tickets nobody has answered
        await rate(await ticket(), score=4)
    # Rated first, answered later: counted once, at the answer; its rating of the answer (a
    # second record) does not count it again.
    early = await ticket()
    await rate(early, score=3)
    await answer(early)
    await rate(early, score=5)

    got = await business(client)
    assert got[("appeals_resolution_seconds_count", KIND)] == 8
    assert got[("appeals_answers_rated_total", KIND)] == 6
    # The old measure, ratings / answers, would say every answer was rated (11 ≥ 8).
    assert got[("appeals_citizen_feedback_total", "")] == 5 + 4 + 2
    rated, final = (
        got[(n, KIND)] for n in ("appeals_answers_rated_total", "appeals_resolution_seconds_count")
    )
    assert 1 - rated / final == 0.25


async def test_a_snapshot_bringing_the_answer_and_the_rating_counts_once(client, db):
    """ПОС: a rating on an unanswered message, then the answer; and one snapshot with both."""
    now = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    answer_entry = {
        "status": "SEND_RESPONSE",
        "statusText": "Отправлен ответ заявителю",
        "createdAt": "2026-11-20T00:30:00Z",
        "answer": {"answerType": "FINAL", "comment": "Мусор вывезен."},
    }

    async def ingest(body: dict, at: datetime) -> None:
        async with db.sessionmaker() as session:
            draft = FeedbackPlatformConnector().parse(encode(body))
            await ingest_draft(session, draft, actor="connector:feedback_platform", now=at)
            await session.commit()

    rated_first = {**sample("pos_message.json"), "posId": 700000001, "rating": 2}
    await ingest(rated_first, now)
    assert (await business(client))[("appeals_answers_rated_total", "pos_message")] == 0
    answered = {**rated_first, "status": "SEND_RESPONSE"}
    answered["history"] = [*rated_first["history"], answer_entry]
    await ingest(answered, now + timedelta(hours=1))
    assert (await business(client))[("appeals_answers_rated_total", "pos_message")] == 1

    both = {**sample("pos_message.json"), "posId": 700000002, "description": "Нет света"}
    await ingest(both, now)
    both = {**both, "status": "SEND_RESPONSE", "rating": 5}
    both["history"] = [*both["history"], answer_entry]
    await ingest(both, now + timedelta(hours=1))
    got = await business(client)
    assert got[("appeals_answers_rated_total", "pos_message")] == 2
    assert got[("appeals_resolution_seconds_count", "pos_message")] == 2
