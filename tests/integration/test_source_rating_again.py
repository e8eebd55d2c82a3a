"""A rating the source keeps showing is one rating, however often it arrives.

Found by a black-box check: ПОС re-sent a reopened item's snapshot with its old «1» after the
department's new answer, and the hub pinned that «1» on the new answer and reopened the ticket
again (and an export imported again did the same); an export with one message on two rows gave
another outcome in one intake batch than across two, and imported again changed ratings back
and forth.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import col, func, select

from app.db import Database
from app.intake.imports import import_workbook
from app.main import create_app
from app.models.feedback import TicketFeedback
from app.models.outbox import OutboxMessage
from app.models.tickets import Ticket, TicketEvent
from tests.api.test_imports import pos_file, pos_row
from tests.support.builders import auth, make_key
from tests.support.intake import settling
from tests.support.webhooks import POS_URL, encode, sample, signed, webhook_settings

ANSWERED = "Отправлен ответ заявителю"
RATING = "Оценка ответа заявителем"


@pytest.fixture
async def hooks(db):
    app = create_app(db=db, settings=webhook_settings())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", event_hooks=settling(db)
    ) as c:
        yield c


async def _state(db: Database, source_id: str) -> dict[str, Any]:
    async with db.sessionmaker() as session:
        ticket = (await session.exec(select(Ticket).where(Ticket.source_id == source_id))).one()
        ratings = (
            await session.exec(
                select(TicketFeedback)
                .where(TicketFeedback.ticket_id == ticket.id)
                .order_by(col(TicketFeedback.id))
            )
        ).all()
        events = (
            await session.exec(
                select(TicketEvent.type)
                .where(TicketEvent.ticket_id == ticket.id)
                .order_by(col(TicketEvent.id))
            )
        ).all()
        messages = (
            await session.exec(
                select(func.count()).where(OutboxMessage.ticket_id == ticket.id)  # type: ignore[arg-type]
            )
        ).one()
    return {
        "id": ticket.id,
        "department": ticket.department_code,
        "status": ticket.status,
        "answered": ticket.answered_at is not None,
        "ratings": [(r.score, r.sentiment, r.reopened) for r in ratings],
        "events": list(events),
        "messages": messages,
    }


async def _answer(client, db: Database, state: dict[str, Any]) -> None:
    token = await make_key(db, "operator", state["department"])
    r = await client.post(
        f"/api/v1/tickets/{state['id']}/answers",
        json={"text": "Площадку убрали повторно", "kind": "final"},
        headers=auth(token),
    )
    assert r.status_code == 201, r.text


async def test_a_resent_snapshot_does_not_rate_the_new_answer(hooks, client, db):
    pos = sample("pos_message.json")
    rated = {**pos, "status": "SEND_RESPONSE", "rating": 1}
    sid = str(pos["posId"])
    body = encode(rated)
    r = await hooks.post(POS_URL, content=body, headers=signed(body, msg_id="msg_first"))
    assert r.status_code == 202
    first = await _state(db, sid)
    assert first["status"] == "in_progress" and first["ratings"] == [(1, "negative", True)]
    await _answer(client, db, first)
    answered = await _state(db, sid)
    assert answered["status"] == "answered"

    # ПОС sends the same item again (another webhook id): its rating is the one already held.
    r = await hooks.post(POS_URL, content=body, headers=signed(body, msg_id="msg_again"))
    assert r.status_code == 202
    again = await _state(db, sid)
    assert again == answered

    # The citizen rates the new answer: a new rating, and the ticket is reopened again.
    newer = encode({**rated, "rating": 2})
    r = await hooks.post(POS_URL, content=newer, headers=signed(newer, msg_id="msg_rated"))
    assert r.status_code == 202
    rerated = await _state(db, sid)
    assert rerated["status"] == "in_progress"
    assert rerated["ratings"] == [(1, "negative", True), (2, "negative", True)]


def _snapshot(pos: dict[str, Any], hours: int, rating: int) -> bytes:
    """The item answered, as ПОС showed it ``hours`` after it was made, with the rating then."""
    at = datetime.fromisoformat(pos["createdAt"]) + timedelta(hours=hours)
    answered = {"status": "SEND_RESPONSE", "statusText": "Ответ", "createdAt": at.isoformat()}
    return encode(
        {**pos, "status": "SEND_RESPONSE", "rating": rating, "history": [*pos["history"], answered]}
    )


async def test_an_older_snapshot_does_not_override_the_newer_rating(hooks, db):
    pos = sample("pos_message.json")
    newer, older = _snapshot(pos, 48, 5), _snapshot(pos, 24, 1)
    assert (await hooks.post(POS_URL, content=newer, headers=signed(newer))).status_code == 202
    held = await _state(db, str(pos["posId"]))
    assert held["status"] == "answered" and held["ratings"] == [(5, "positive", False)]
    r = await hooks.post(POS_URL, content=older, headers=signed(older))
    assert r.status_code == 202
    assert await _state(db, str(pos["posId"])) == held


async def _import(db: Database, rows: list[dict[str, Any]]) -> dict[str, list[int]]:
    report = await import_workbook(
        db,
        io.BytesIO(pos_file(rows)),
        source="feedback_platform",
        tz=db.settings.tz,
        now=datetime.now(UTC),
    )
    assert not report.rejected, report.rejected
    return {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}


async def test_an_export_imported_again_after_a_new_answer_changes_nothing(client, db):
    rows = [pos_row(563007300, Статус=ANSWERED, **{RATING: 1})]
    await _import(db, rows)
    first = await _state(db, "563007300")
    assert first["status"] == "in_progress" and first["ratings"] == [(1, "negative", True)]
    await _answer(client, db, first)
    answered = await _state(db, "563007300")
    await _import(db, rows)
    assert await _state(db, "563007300") == answered


@pytest.mark.parametrize(
    ("rows", "ends"),
    [
        # in work and unrated, then answered and rated 1: reopened by the last row's rating
        (
            [
                pos_row(563007400, Статус="В работе"),
                pos_row(563007400, Статус=ANSWERED, **{RATING: 1}),
            ],
            ("in_progress", [(1, "negative", True)]),
        ),
        # rated 1, then 5: the last row's 5, and nothing reopened on the way
        (
            [
                pos_row(563007400, Статус=ANSWERED, **{RATING: 1}),
                pos_row(563007400, Статус=ANSWERED, **{RATING: 5}),
            ],
            ("answered", [(5, "positive", False)]),
        ),
        # the item's number written two ways («Номер» with leading zeros, then without)
        (
            [
                pos_row("000563007400", Статус=ANSWERED, **{RATING: 1}),
                pos_row(563007400, Статус=ANSWERED, **{RATING: 5}),
            ],
            ("answered", [(5, "positive", False)]),
        ),
        # answered and rated 4, then a row of the item in work
        (
            [
                pos_row(563007400, Статус=ANSWERED, **{RATING: 4}),
                pos_row(563007400, Статус="В работе"),
            ],
            ("in_progress", []),
        ),
    ],
)
async def test_one_message_on_two_rows_ends_the_same_wherever_batches_cut(db, rows, ends):
    report = await _import(db, rows)  # both rows in one intake batch
    assert report["created"] == [5]  # the last row; the first is `stale`
    together = await _state(db, "563007400")
    assert (together["status"], together["ratings"]) == ends
    again = await _import(db, rows)
    assert again["unchanged"] == [5] and not again["created"] and not again["updated"]
    assert await _state(db, "563007400") == together  # no rating rewritten, no event

    await db.test_reset.reset()
    apart = Database(
        db.url, db.settings.model_copy(update={"intake_batch_max": 1, "import_batch_rows": 1})
    )
    try:
        await _import(apart, rows)  # one row per batch
        one_by_one = await _state(db, "563007400")
    finally:
        await apart.dispose()
    assert {k: v for k, v in one_by_one.items() if k != "id"} == {
        k: v for k, v in together.items() if k != "id"
    }
