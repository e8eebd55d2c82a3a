"""The head's figures: `/api/v1/reports/sla` per department (on time by the report's rule,
overdue now, satisfied, with counts) and the console page /console/overview that draws them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from app.models.common import Role
from app.models.feedback import TicketFeedback
from app.models.tickets import Ticket
from tests.api.test_console import make_user, sign_in
from tests.support.builders import auth, make_key, make_ticket

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 20 Nov, noon in Vladivostok


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 2, 0, tzinfo=UTC)


async def seed(db) -> None:
    # (department, created, answered or None, resolution due)
    specs = [
        ("roads", at(11, 3), at(11, 5), at(11, 10)),  # on time
        ("roads", at(11, 4), None, at(11, 10)),  # open past its deadline: missed, overdue now
        # pending, but no first answer two days on: overdue now by its first-answer deadline
        ("roads", at(11, 18), None, at(11, 30)),
        ("roads", at(10, 10), at(10, 20), at(10, 15)),  # last month, late
        ("zhkh", at(11, 2), at(11, 3), at(11, 9)),  # on time
        ("zhkh", at(10, 2), at(10, 3), at(10, 9)),  # last month, on time
    ]
    ids = []
    for dept, created, _, _ in specs:
        category = "roads" if dept == "roads" else "water"
        ticket = await make_ticket(
            db, department_code=dept, category_code=category, created_at=created, now=created
        )
        ids.append(ticket.id)
    async with db.sessionmaker() as session:
        for ticket_id, (_, _, answered, due) in zip(ids, specs, strict=True):
            ticket = await session.get(Ticket, ticket_id)
            assert ticket is not None
            ticket.resolution_due_at = due
            if answered is not None:
                ticket.status, ticket.answered_at = "answered", answered
            else:
                ticket.status = "in_progress"
        for ticket_id, dept, sentiment, when in (
            (ids[0], "roads", "positive", at(11, 6)),
            (ids[4], "zhkh", "negative", at(11, 4)),
            (ids[5], "zhkh", "positive", at(10, 4)),
        ):
            session.add(
                TicketFeedback(
                    ticket_id=ticket_id,
                    answer_key=0,
                    source="api",
                    source_value="x",
                    sentiment=sentiment,
                    score=5 if sentiment == "positive" else 1,
                    department_code=dept,
                    actor="test",
                    created_at=when,
                    updated_at=when,
                )
            )
        await session.commit()


async def test_sla_report_has_a_row_per_department(client, db, app) -> None:
    app.state.clock = lambda: NOW
    await seed(db)
    params = {"from": "2026-11-01", "to": "2026-12-01"}
    admin = auth(await make_key(db, "admin"))
    r = await client.get("/api/v1/reports/sla", params=params, headers=admin)
    assert r.status_code == 200, r.text
    rows = {d["department"]: d for d in r.json()["departments"]}
    assert rows["roads"] == {
        "department": "roads", "name": "Отдел дорог и транспорта", "tickets": 3, "on_time": 1,
        "missed": 1, "on_time_percent": 50.0, "overdue_now": 2, "feedback": 1, "positive": 1,
        "satisfied_percent": 100.0,
        # each late target counted, the tickets once (app.metrics.overdue_now)
        "overdue_by_target": {
            "tickets": 2, "first_response": 2, "registration": 0, "resolution": 1,
        },
    }  # fmt: skip
    assert (rows["zhkh"]["on_time_percent"], rows["zhkh"]["satisfied_percent"]) == (100.0, 0.0)
    october = {"from": "2026-10-01", "to": "2026-11-01"}
    before = (await client.get("/api/v1/reports/sla", params=october, headers=admin)).json()
    rows = {d["department"]: d for d in before["departments"]}
    assert (rows["roads"]["on_time"], rows["roads"]["missed"], rows["roads"]["overdue_now"]) == (
        0, 1, 2,
    )  # fmt: skip
    zhkh = auth(await make_key(db, "manager", "zhkh"))
    own = (await client.get("/api/v1/reports/sla", params=params, headers=zhkh)).json()
    assert [d["department"] for d in own["departments"]] == ["zhkh"]
    csv_text = (
        await client.get("/api/v1/reports/sla", params={**params, "format": "csv"}, headers=admin)
    ).text
    assert "departments.on_time_percent,roads,50.0" in csv_text


async def test_overview_page_shows_counts_and_svg_bars(client, db, app) -> None:
    app.state.clock = lambda: NOW
    await seed(db)
    await make_user(db, "glava", Role.admin, None)
    assert (await sign_in(client, "glava")).status_code == 303
    r = await client.get("/console/overview")
    assert r.status_code == 200, r.text
    html = r.text
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org', "")
    assert len(re.findall(r"<svg\b", html)) == 3
    assert 'class="bar"' in html
    row = re.search(r"Отдел дорог и транспорта</th>(.*?)</tr>", html, re.S)
    assert row is not None
    cells = re.findall(r'<td class="num">([^<]*)</td>', row.group(1))
    assert cells == ["2", "50 % (1 из 2)", "0 % (0 из 1)", "100 % (1 из 1)", "нет данных"]
    assert "<td>первый ответ: 2 · решение: 1</td>" in row.group(1)
    assert "Сейчас просрочено: <strong>2</strong> (первый ответ: 2 · решение: 1)" in html
    assert "ноябрь 2026" in html and "октябрь 2026" in html
    assert "/console/static/reports.css" in html


async def test_operators_get_no_overview_and_no_digest(client, db, app) -> None:
    app.state.clock = lambda: NOW
    await make_user(db, "oper", Role.operator, "roads")
    await sign_in(client, "oper")
    for path in ("/console/overview", "/console/digest", "/console/digest.md"):
        r = await client.get(path)
        assert r.status_code == 403, (path, r.status_code)
    assert "/console/overview" not in (await client.get("/console")).text  # no nav link
