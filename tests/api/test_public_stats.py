"""Public figures: no key, per department and month, JSON and CSV, nothing personal."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import httpx

from app.config import get_settings
from app.main import create_app
from app.models.drafts import ApplicantDraft
from app.models.feedback import TicketFeedback
from app.models.tickets import Ticket
from tests.support.builders import make_ticket


# Noon in Vladivostok on the given day.
def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 2, 0, tzinfo=UTC)


TEXTS = [
    "Яма на дороге у школы номер три",
    "Сломан светофор на Советской",
    "Нет тротуара вдоль новой улицы",
    "Не убран снег на остановке автобуса",
    "Разбита дорога к кладбищу после дождей",
]


async def seed(db) -> None:
    person = ApplicantDraft(full_name="Смирнов Пётр Ильич", phone="+79245556677")
    # (created, answered, due, rating)
    plan = [
        (at(10, 5), at(10, 20), at(10, 25), "positive"),  # October, on time
        (at(10, 10), at(11, 2), at(10, 30), "negative"),  # answered late, in November
        (at(10, 12), None, at(11, 30), None),  # October, still open
        (at(11, 3), at(11, 10), at(11, 20), "positive"),  # November, on time
        (at(11, 4), at(11, 6), at(11, 30), None),  # November, on time
    ]
    for (created, answered, due, rating), text in zip(plan, TEXTS, strict=True):
        ticket = await make_ticket(
            db,
            text=text,
            created_at=created,
            now=created,
            applicant=person,
            address=f"ул. Ленина, {len(text)}",
        )
        async with db.sessionmaker() as session:
            row = await session.get(Ticket, ticket.id)
            assert row is not None and row.id is not None
            row.resolution_due_at = due
            if answered is not None:
                row.status, row.answered_at = "answered", answered
            if rating is not None:
                session.add(
                    TicketFeedback(
                        ticket_id=row.id,
                        answer_key=0,
                        source="api",
                        source_value=rating,
                        sentiment=rating,
                        department_code="roads",
                        actor="test",
                        created_at=answered,
                        updated_at=answered,
                    )
                )
            await session.commit()


async def test_monthly_figures_json_and_csv(client, db, app) -> None:
    app.state.clock = lambda: at(11, 25)
    await seed(db)
    response = await client.get("/public/v1/stats", params={"from": "2026-10", "to": "2026-11"})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"].startswith("public, max-age=")
    rows = {(r["month"], r["department"]): r for r in response.json()["months"]}
    october, november = rows[("2026-10", "roads")], rows[("2026-11", "roads")]
    # Expected from the plan above, counted by hand. On time is the SLA report's rule on the
    # tickets received in the month: October's late answer (given in November) is October's miss.
    assert (october["received"], october["answered"], october["answered_on_time"]) == (3, 1, 1)
    assert (october["answered_judged"], october["on_time_percent"]) == (2, 50.0)
    assert (november["received"], november["answered"], november["answered_on_time"]) == (2, 3, 2)
    assert november["on_time_percent"] == 100.0
    assert (october["ratings"], october["positive_percent"]) == (1, 100.0)
    assert (november["ratings"], november["positive_percent"]) == (2, 50.0)
    assert rows[("2026-11", "zhkh")]["received"] == 0
    assert rows[("2026-11", "zhkh")]["on_time_percent"] is None
    assert october["department_name"] == "Отдел дорог и транспорта"
    for leak in ("Смирнов", "79245556677", "Ленина", "Яма"):
        assert leak not in response.text

    as_csv = await client.get(
        "/public/v1/stats", params={"from": "2026-10", "to": "2026-11", "format": "csv"}
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    # Russian Excel: UTF-8 with a BOM, «;», decimal commas, a row per month and department.
    assert as_csv.content.startswith("\ufeff".encode())
    body = as_csv.content.decode("utf-8-sig")
    assert body.splitlines()[0].startswith("Месяц;Код отдела;Отдел;Поступило;Дано ответов;")
    table = list(csv.DictReader(io.StringIO(body), delimiter=";"))
    assert len(table) == len(response.json()["months"])
    line = next(r for r in table if r["Месяц"] == "2026-11" and r["Код отдела"] == "roads")
    percent, judged, on_time = (
        "Ответ в срок, % от поступивших с итогом", "Поступивших с итогом по сроку",
        "Из них ответ в срок",
    )  # fmt: skip
    assert (line["Поступило"], line["Дано ответов"], line[percent]) == ("2", "3", "100")
    assert (line[judged], line[on_time]) == ("2", "2")
    oct_line = next(r for r in table if r["Месяц"] == "2026-10" and r["Код отдела"] == "roads")
    assert (oct_line[judged], oct_line[on_time]) == ("2", "1")
    assert oct_line[percent] == "50"
    assert (line["Оценок"], line["Положительных оценок"], line["Довольны, %"]) == ("2", "1", "50")
    assert november["answered_judged"] == 2 and november["positive"] == 1


async def test_a_browser_gets_a_page_with_tables_and_charts(client, db, app) -> None:
    app.state.clock = lambda: at(11, 25)
    await seed(db)
    params = {"from": "2026-10", "to": "2026-11"}
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    page = await client.get("/public/v1/stats", params=params, headers=browser)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["vary"] == "Accept"
    assert "script-src" not in page.headers["content-security-policy"]  # none: default-src
    html = page.text
    assert '<html lang="ru">' in html and "<script" not in html
    assert html.count("<svg") == 2 and 'class="bar"' in html
    assert "100 % (2 из 2)" in html and "50 % (1 из 2)" in html  # counts behind every percent
    assert "ноябрь 2026" in html and "Отдел дорог и транспорта" in html
    assert 'href="/public/v1/stats?from=2026-10&amp;to=2026-11&amp;format=csv"' in html
    for leak in ("Смирнов", "79245556677", "Ленина", "Яма"):
        assert leak not in html
    same = await client.get("/public/v1/stats", params={**params, "format": "html"})
    assert same.text == html
    plain = await client.get("/public/v1/stats", params=params)  # no Accept: text/html
    assert plain.headers["content-type"] == "application/json"


async def test_default_window_validation_and_cache(db) -> None:
    settings = get_settings().model_copy(update={"public_stats_cache_seconds": 3600.0})
    app = create_app(db=db, settings=settings)
    app.state.clock = lambda: at(11, 25)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        months = {r["month"] for r in (await client.get("/public/v1/stats")).json()["months"]}
        assert min(months) == "2025-12" and max(months) == "2026-11" and len(months) == 12
        bad = await client.get("/public/v1/stats", params={"from": "2026-11", "to": "2026-01"})
        assert bad.status_code == 422
        assert (await client.get("/public/v1/stats?from=2020-01")).status_code == 422
        for edge in ("to=9999-12", "to=0001-01", "from=1999-12&to=2000-01"):
            assert (await client.get(f"/public/v1/stats?{edge}")).status_code == 422
        first = await client.get("/public/v1/stats?from=2026-11&to=2026-11")
        await make_ticket(db, text="Новая яма у рынка", created_at=at(11, 20), now=at(11, 20))
        cached = await client.get("/public/v1/stats?from=2026-11&to=2026-11")
        assert cached.json() == first.json()  # served from the cache until it expires
