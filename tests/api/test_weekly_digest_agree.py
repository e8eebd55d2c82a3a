"""The weekly digest agrees with itself and with time (issue 25, black-box re-check): a reopened
ticket's answer is still an answer of its week — in its theme, in the departments table and in
the draft, which quotes the table's own «Всего» figures; a past week's «просрочено на конец
недели» is the state at that week's end and does not change when the late tickets are
answered or reopened afterwards; shares round half up (5 of 8 is 63 %)."""

from __future__ import annotations

from datetime import datetime

from app.models.tickets import Ticket
from app.sla.deadlines import record_deadlines
from tests.api.test_reports_agree import answer, at
from tests.support.builders import auth, make_key, make_ticket

URL = "/api/v1/reports/weekly-digest"


async def ticket(db, category: str, created: datetime, due: datetime) -> int:
    """A ЖКХ ticket whose source set its resolution deadline (as ПОС's answerAt does)."""
    made = await make_ticket(
        db, department_code="zhkh", category_code=category, created_at=created, now=created
    )
    async with db.sessionmaker() as session:
        row = await session.get(Ticket, made.id)
        assert row is not None and row.id is not None
        row.resolution_due_at = due
        record_deadlines(row, reason="created", now=created)
        await session.commit()
        return row.id


async def rate_badly(client, app, db, token: str, ticket_id: int, when: datetime) -> None:
    app.state.clock = lambda: when
    r = await client.post(
        f"/api/v1/tickets/{ticket_id}/feedback",
        json={"score": 1, "sentiment": "negative"},
        headers=auth(token),
    )
    assert r.status_code in (200, 201), r.text
    async with db.sessionmaker() as session:
        row = await session.get(Ticket, ticket_id)
        assert row is not None and row.status == "in_progress"  # reopened


async def test_reopened_answers_count_in_themes_table_and_draft_alike(client, db, app) -> None:
    operator, admin = await make_key(db, "operator", "zhkh"), await make_key(db, "admin")
    monday = at(11, 30)  # W49: 30.11–06.12
    heating = [await ticket(db, "heating", monday, at(12, 4)) for _ in range(3)]
    water_on_time = [
        await ticket(db, "water", at(11, 25), at(12, 3)),  # received the week before
        await ticket(db, "water", monday, at(12, 4)),
    ]
    water_late = [await ticket(db, "water", monday, at(12, 1, 0)) for _ in range(3)]
    for ticket_id in heating + water_on_time:
        await answer(client, app, operator, ticket_id, at(12, 1))
    for ticket_id in water_late:
        await answer(client, app, operator, ticket_id, at(12, 2))
    for ticket_id in heating[:2]:  # two on-time answers rated 1: reopened
        await rate_badly(client, app, db, operator, ticket_id, at(12, 3))

    app.state.clock = lambda: at(12, 5)
    r = await client.get(URL, params={"week": "2026-W49"}, headers=auth(admin))
    assert r.status_code == 200, r.text
    digest = r.json()
    themes = {t["category"]: t for t in digest["top_themes"]}
    done = {
        c: (t["answered"], t["answered_judged"], t["answered_on_time"]) for c, t in themes.items()
    }
    assert done == {"heating": (3, 3, 3), "water": (5, 5, 2)}
    assert len(themes["heating"]["highlights"]) == 3  # the reopened ones were answered too
    zhkh = {d["department"]: d for d in digest["departments"]}["zhkh"]
    assert (zhkh["answered"], zhkh["answered_judged"], zhkh["on_time"]) == (8, 8, 5)
    # the themes add up to the table
    for key, column in (("answered", "answered"), ("answered_judged", "answered_judged")):
        assert sum(t[key] for t in themes.values()) == zhkh[column]
    assert sum(t["answered_on_time"] for t in themes.values()) == zhkh["on_time"]
    # the draft quotes the table's share, rounded half up, and says what it counts
    assert "дали 8 ответов" in digest["draft"]
    assert "в срок — 63 % (5 из 8) из ответов, у которых был срок" in digest["draft"]
    assert "100 %" not in digest["draft"]
    markdown = (
        await client.get(URL, params={"week": "2026-W49", "format": "md"}, headers=auth(admin))
    ).text
    assert "| Отдел ЖКХ | 7 | 8 | 63 % (5 из 8) |" in markdown
    assert "в срок — 63 % (5 из 8)" in markdown


async def test_a_past_weeks_overdue_is_the_state_at_its_end(client, db, app) -> None:
    operator, admin = await make_key(db, "operator", "zhkh"), await make_key(db, "admin")
    # late at the end of W48 (23.11–29.11): received 10.11, due 20.11, still open
    late = await ticket(db, "heating", at(11, 10), at(11, 20))
    late_reopened = await ticket(db, "water", at(11, 10), at(11, 20))
    # answered in W48 on time: not overdue then, whatever happens later
    done = await ticket(db, "water", at(11, 24), at(11, 27))
    await answer(client, app, operator, done, at(11, 25))
    params = {"week": "2026-W48", "department": "zhkh"}

    async def overdue_at_end_of_w48() -> tuple[int, dict[str, int]]:
        r = await client.get(URL, params=params, headers=auth(admin))
        assert r.status_code == 200, r.text
        row = {d["department"]: d for d in r.json()["departments"]}["zhkh"]
        return row["overdue_open"], row["overdue_by_target"]

    app.state.clock = lambda: at(11, 30)
    before = await overdue_at_end_of_w48()
    assert before[0] == 2 and before[1]["resolution"] == 2

    # W49: the late ones are answered (one rated 1 and reopened with a new deadline), the
    # on-time one is reopened too
    await answer(client, app, operator, late, at(12, 1))
    await answer(client, app, operator, late_reopened, at(12, 1))
    await rate_badly(client, app, db, operator, late_reopened, at(12, 2))
    await rate_badly(client, app, db, operator, done, at(12, 2))
    app.state.clock = lambda: at(12, 3)
    assert await overdue_at_end_of_w48() == before
    markdown = (await client.get(URL, params={**params, "format": "md"}, headers=auth(admin))).text
    assert "| Отдел ЖКХ | 1 | 1 | 100 % (1 из 1) | 2 |" in markdown
