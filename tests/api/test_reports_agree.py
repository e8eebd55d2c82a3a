"""Every report gives one figure: overdue now by any running target (first answer, 59-ФЗ
registration, resolution), a late answer stays late after a reopen, and a department's month
is «on time» by the same rule in the SLA report, the overview, /public/v1/stats and the
satisfaction report; the satisfaction report compares with the previous calendar month."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from app.config import get_settings
from app.models.common import Role
from app.models.tickets import Ticket
from tests.api.test_console import make_user, sign_in
from tests.support.builders import auth, make_key, make_ticket


def at(month: int, day: int, hour: int = 2) -> datetime:
    """``hour`` UTC; 02:00 UTC is noon in Vladivostok."""
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


CATEGORY = {"zhkh": "water", "roads": "roads"}


async def ticket(db, dept: str, created: datetime, due: datetime, **columns: Any) -> int:
    made = await make_ticket(
        db, department_code=dept, category_code=CATEGORY[dept], created_at=created, now=created
    )
    async with db.sessionmaker() as session:
        row = await session.get(Ticket, made.id)
        assert row is not None and row.id is not None
        row.resolution_due_at = due
        for name, value in columns.items():
            setattr(row, name, value)
        await session.commit()
        return row.id


async def answer(client, app, token: str, ticket_id: int, when: datetime) -> None:
    app.state.clock = lambda: when
    r = await client.post(
        f"/api/v1/tickets/{ticket_id}/answers",
        json={"text": "Сделано", "kind": "final"},
        headers=auth(token),
    )
    assert r.status_code == 201, r.text


async def sla_rows(client, admin: str, month: int) -> dict[str, dict[str, Any]]:
    to = f"2026-{month + 1:02d}-01" if month < 12 else "2027-01-01"
    params = {"from": f"2026-{month:02d}-01", "to": to}
    r = await client.get("/api/v1/reports/sla", params=params, headers=auth(admin))
    assert r.status_code == 200, r.text
    return {d["department"]: d for d in r.json()["departments"]}


def judged(row: dict[str, Any] | None, on_time: str, whole: str) -> tuple[int, int]:
    return (int(row[on_time]), int(row[whole])) if row else (0, 0)


async def test_a_late_answer_stays_late_after_a_bad_rating_reopens_it(client, db, app) -> None:
    operator, admin = await make_key(db, "operator", "zhkh"), await make_key(db, "admin")
    late = await ticket(db, "zhkh", at(10, 6), at(10, 16))  # a ПОС message, deadline 16.10
    on_time = await ticket(db, "zhkh", at(10, 8), at(10, 20))
    await answer(client, app, operator, on_time, at(10, 10))
    await answer(client, app, operator, late, at(10, 30))  # 14 days late
    app.state.clock = lambda: at(10, 31)
    r = await client.post(
        f"/api/v1/tickets/{late}/feedback",
        json={"score": 1, "sentiment": "negative"},
        headers=auth(operator),
    )
    assert r.status_code in (200, 201), r.text
    async with db.sessionmaker() as session:
        row = await session.get(Ticket, late)
        assert row is not None and row.status == "in_progress"  # reopened
        assert row.resolution_due_at is not None and row.resolution_due_at > at(11, 1)
        marks = (
            await session.exec(  # type: ignore[call-overload]
                text("SELECT target, level FROM sla_marks WHERE ticket_id = :id"),
                params={"id": late},
            )
        ).all()
    # the reopen recorded the verdict the sweeper had not reached yet
    assert ("resolution", "breached") in [tuple(m) for m in marks]

    app.state.clock = lambda: at(11, 1)
    zhkh = (await sla_rows(client, admin, 10))["zhkh"]
    assert (zhkh["on_time"], zhkh["missed"], zhkh["on_time_percent"]) == (1, 1, 50.0)
    stats = await client.get("/public/v1/stats", params={"from": "2026-10", "to": "2026-10"})
    october = {r["department"]: r for r in stats.json()["months"]}["zhkh"]
    assert (october["answered_on_time"], october["answered_judged"]) == (1, 2)
    csv_text = (
        await client.get(
            "/public/v1/stats", params={"from": "2026-10", "to": "2026-10", "format": "csv"}
        )
    ).content.decode("utf-8-sig")
    line = next(x for x in csv_text.splitlines() if ";zhkh;" in x)
    assert ";2;1;50;" in line  # поступивших с итогом по сроку 2, ответ в срок 1, 50 %
    satisfaction = await client.get(
        "/api/v1/reports/satisfaction",
        params={"from": "2026-10-01", "to": "2026-11-01"},
        headers=auth(admin),
    )
    rows = {(x["department"], x["month"]): x for x in satisfaction.json()["rows"]}
    assert judged(rows[("zhkh", "2026-10")], "answered_on_time", "answered_judged") == (1, 2)
    app.state.clock = lambda: at(11, 2)  # the overview: November and October
    await make_user(db, "glava", Role.admin, None)
    assert (await sign_in(client, "glava")).status_code == 303
    page = (await client.get("/console/overview")).text
    row = re.search(r"Отдел ЖКХ</th>(.*?)</tr>", page, re.S)
    assert row is not None and "50 % (1 из 2)" in row.group(1)


async def test_overdue_now_counts_every_running_target(client, db, app) -> None:
    now = at(11, 30, 0)  # 30.11, 10:00 in the city
    week = at(11, 30) + timedelta(days=30)
    # IM posts without an answer: first answer late, resolution far away
    for day in (24, 25, 26, 27):
        await ticket(db, "roads", at(11, day), week, first_response_due_at=at(11, day, 6))
    await ticket(db, "roads", at(11, 29), week, first_response_due_at=at(11, 29, 8))
    # a 59-ФЗ appeal not registered by its due date, and one late on every target
    await ticket(
        db, "zhkh", at(11, 20), week, registered_at=None, registration_due_at=at(11, 23),
        first_response_due_at=week,
    )  # fmt: skip
    await ticket(
        db, "zhkh", at(10, 1), at(11, 1), registered_at=None, registration_due_at=at(10, 4),
        first_response_due_at=at(10, 2),
    )  # fmt: skip
    # answered: nothing runs any more
    operator = await make_key(db, "operator", "roads")
    done = await ticket(db, "roads", at(11, 2), at(11, 5), first_response_due_at=at(11, 3))
    await answer(client, app, operator, done, at(11, 10))
    app.state.clock = lambda: now
    admin = await make_key(db, "admin")
    rows = await sla_rows(client, admin, 11)
    assert rows["roads"]["overdue_now"] == 5
    assert rows["roads"]["overdue_by_target"] == {
        "tickets": 5, "first_response": 5, "registration": 0, "resolution": 0,
    }  # fmt: skip
    assert rows["zhkh"]["overdue_now"] == 2  # each ticket once
    assert rows["zhkh"]["overdue_by_target"] == {
        "tickets": 2, "first_response": 1, "registration": 2, "resolution": 1,
    }  # fmt: skip

    await make_user(db, "glava", Role.admin, None)
    assert (await sign_in(client, "glava")).status_code == 303
    page = (await client.get("/console/overview")).text
    assert "Сейчас просрочено: <strong>7</strong>" in page
    assert "первый ответ: 6 · регистрация: 2 · решение: 1" in page
    roads = re.search(r"Отдел дорог и транспорта</th>(.*?)</tr>", page, re.S)
    assert roads is not None
    assert re.findall(r'<td class="num">([^<]*)</td>', roads.group(1))[0] == "5"
    assert "<td>первый ответ: 5</td>" in roads.group(1)

    digest = await client.get(
        "/api/v1/reports/weekly-digest", params={"week": "2026-W48"}, headers=auth(admin)
    )
    departments = {d["department"]: d for d in digest.json()["departments"]}
    assert departments["roads"]["overdue_open"] == 5
    assert departments["zhkh"]["overdue_open"] == 2

    # the metric's snapshot counts by the same rule
    from app.metrics.snapshots import refresh_overdue

    async with db.sessionmaker() as session:
        await refresh_overdue(session, now=now)
        gauges = (
            await session.exec(  # type: ignore[call-overload]
                text(
                    "SELECT labels, value FROM metric_counters "
                    "WHERE name = 'appeals_tickets_overdue' AND value <> 0"
                )
            )
        ).all()
        await session.rollback()
    found = {labels: value for labels, value in gauges}
    assert found[next(k for k in found if "roads" in k and "first_response" in k)] == 5.0
    assert found[next(k for k in found if "zhkh" in k and "registration" in k)] == 2.0


async def test_every_report_gives_one_on_time_figure(client, db, app) -> None:
    zhkh, roads = await make_key(db, "operator", "zhkh"), await make_key(db, "operator", "roads")
    admin = await make_key(db, "admin")
    # zhkh, October: on time, late, received in October and answered (on time) in November
    z_on_time = await ticket(db, "zhkh", at(10, 8), at(10, 20))
    z_late = await ticket(db, "zhkh", at(10, 9), at(10, 15))
    z_cross = await ticket(db, "zhkh", at(10, 25), at(11, 5))
    # zhkh, November: on time, open past its deadline, open and not yet due
    z_nov = await ticket(db, "zhkh", at(11, 2), at(11, 12))
    await ticket(db, "zhkh", at(11, 3), at(11, 10))
    await ticket(db, "zhkh", at(11, 16), at(11, 30))
    # roads, November: one on time, its merged duplicate (never judged), one late
    r_main = await ticket(db, "roads", at(11, 2), at(11, 12))
    r_late = await ticket(db, "roads", at(11, 3), at(11, 6))
    await ticket(
        db, "roads", at(11, 3, 3), at(11, 4), status="merged", duplicate_of_id=r_main,
        answered_at=at(11, 5),
    )  # fmt: skip
    for token, ticket_id, when in (
        (zhkh, z_on_time, at(10, 10)),
        (zhkh, z_late, at(10, 20)),
        (zhkh, z_cross, at(11, 3)),
        (zhkh, z_nov, at(11, 5)),
        (roads, r_main, at(11, 4)),
        (roads, r_late, at(11, 9)),
    ):
        await answer(client, app, token, ticket_id, when)
    app.state.clock = lambda: at(11, 20)
    # by hand: (department, month) → (on time, judged)
    expected = {
        ("zhkh", "2026-10"): (2, 3),
        ("zhkh", "2026-11"): (1, 2),
        ("roads", "2026-11"): (1, 2),
    }

    sla = {}
    for month in (10, 11):
        for dept, row in (await sla_rows(client, admin, month)).items():
            sla[(dept, f"2026-{month}")] = (row["on_time"], row["on_time"] + row["missed"])
    stats = await client.get("/public/v1/stats", params={"from": "2026-10", "to": "2026-11"})
    public = {
        (r["department"], r["month"]): judged(r, "answered_on_time", "answered_judged")
        for r in stats.json()["months"]
    }
    satisfaction = await client.get(
        "/api/v1/reports/satisfaction",
        params={"from": "2026-10-01", "to": "2026-12-01"},
        headers=auth(admin),
    )
    rows = satisfaction.json()["rows"]
    satisfied = {
        (r["department"], r["month"]): judged(r, "answered_on_time", "answered_judged")
        for r in rows
    }
    # the merged duplicate's answer is not an answer of the department's own
    assert {(r["department"], r["month"]): r["answered"] for r in rows}[("roads", "2026-11")] == 2
    await make_user(db, "glava", Role.admin, None)
    assert (await sign_in(client, "glava")).status_code == 303
    page = (await client.get("/console/overview")).text
    overview = {}
    for name, dept in (("Отдел ЖКХ", "zhkh"), ("Отдел дорог и транспорта", "roads")):
        row = re.search(rf"{name}</th>(.*?)</tr>", page, re.S)
        assert row is not None
        cells = re.findall(r'<td class="num">([^<]*)</td>', row.group(1))
        for caption, month in ((cells[1], "2026-11"), (cells[2], "2026-10")):
            counts = re.search(r"\((\d+) из (\d+)\)", caption)
            overview[(dept, month)] = (
                (int(counts.group(1)), int(counts.group(2))) if counts else (0, 0)
            )
    for key, want in expected.items():
        got = (sla.get(key), public.get(key), satisfied.get(key), overview.get(key))
        assert got == (want, want, want, want), key


async def test_previous_period_is_the_previous_calendar_month(client, db) -> None:
    admin = auth(await make_key(db, "admin"))
    tz = get_settings().tz

    async def previous(start: str, end: str) -> datetime:
        r = await client.get(
            "/api/v1/reports/satisfaction", params={"from": start, "to": end}, headers=admin
        )
        assert r.status_code == 200, r.text
        return datetime.fromisoformat(r.json()["previous_from"])

    assert await previous("2026-11-01", "2026-12-01") == datetime(2026, 10, 1, tzinfo=tz)
    assert await previous("2026-03-01", "2026-04-01") == datetime(2026, 2, 1, tzinfo=tz)
    assert await previous("2026-10-01", "2026-12-01") == datetime(2026, 8, 1, tzinfo=tz)
    assert await previous("2026-11-16", "2026-11-23") == datetime(2026, 11, 9, tzinfo=tz)
    assert await previous("2026-11-05", "2026-11-15") == datetime(2026, 10, 26, tzinfo=tz)
