"""The weekly digest: themes, growth, hot addresses, departments, scrubbed examples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.models.drafts import ApplicantDraft
from app.models.feedback import TicketFeedback
from app.models.tickets import Ticket
from app.reports.digest import parse_week
from app.reports.scrub import scrub_quote
from tests.support.builders import auth, make_key, make_ticket

WEEK_START = datetime(2026, 11, 15, 14, 0, tzinfo=UTC)  # Monday 16 Nov 00:00 in Vladivostok


def day(n: float) -> datetime:
    """Noon (city time) of day ``n`` of the digest week; negative: the week before."""
    return WEEK_START + timedelta(days=n, hours=12)


async def seed(db) -> dict[str, int]:
    person = ApplicantDraft(
        full_name="Петрова Ольга Игоревна", phone="+79240001122", email="olga@example.ru"
    )
    specs = [
        # this week
        (
            "a",
            "roads",
            "ул. Ленина, 5",
            0,
            "Меня зовут Петрова Ольга Игоревна, тел. "
            "+7 924 000-11-22, olga@example.ru. Огромная яма у подъезда, машины бьют колёса.",
            person,
        ),
        ("b", "roads", "ул. Советская, 12", 1, "Не работает светофор на перекрёстке", None),
        (
            "c",
            "roads",
            "ул. Парковая, 3",
            2,
            "Разбитый тротуар вдоль школы, Иванов И. И. обещал починить",
            None,
        ),
        ("d", "waste", "ул. Ленина, 5", 1, "Контейнерная площадка переполнена третий день", None),
        ("e", "waste", "ул. Цементная, 40", 3, "Свалка строительного мусора за гаражами", None),
        ("f", "heating", "ул. Садовая, 7", 2, "В квартире холодные батареи с понедельника", None),
        # the week before
        ("g", "roads", "ул. Вокзальная, 1", -5, "Лужа на остановке после дождя", None),
        ("h", "heating", "ул. Нагорная, 2", -4, "Нет отопления в подъезде дома", None),
        ("i", "heating", "ул. Матросова, 9", -3, "Течёт радиатор в квартире на втором этаже", None),
    ]
    ids = {}
    for name, category, address, n, text, applicant in specs:
        ticket = await make_ticket(
            db,
            category_code=category,
            address=address,
            text=text,
            created_at=day(n),
            now=day(n),
            applicant=applicant,
        )
        assert ticket.id is not None
        ids[name] = ticket.id
    async with db.sessionmaker() as session:
        # roads: one answered on time, one late; heating: one open past its deadline.
        for name, answered, due in (("a", day(2), day(4)), ("b", day(5), day(3))):
            ticket = await session.get(Ticket, ids[name])
            assert ticket is not None
            ticket.status, ticket.answered_at, ticket.resolution_due_at = "answered", answered, due
        overdue = await session.get(Ticket, ids["f"])
        assert overdue is not None
        overdue.resolution_due_at = day(4)
        session.add(
            TicketFeedback(
                ticket_id=ids["a"],
                answer_key=0,
                source="api",
                source_value="1",
                sentiment="negative",
                score=1,
                department_code="roads",
                actor="test",
                created_at=day(3),
                updated_at=day(3),
            )
        )
        await session.commit()
    return ids


def test_week_and_scrubbing() -> None:
    assert parse_week("2026-W47").isoformat() == "2026-11-16"
    text = "Звонила Сидорова Анна Петровна, +7 (924) 111-22-33, a@b.ru; А.П. Сидорова тоже"
    scrubbed = scrub_quote(text, [])
    for leak in ("Сидорова", "Анна", "924", "a@b.ru"):
        assert leak not in scrubbed


async def test_digest_figures_and_privacy(client, db, app) -> None:
    app.state.clock = lambda: day(9)
    await seed(db)
    admin = await make_key(db, "admin")
    response = await client.get("/api/v1/reports/weekly-digest?week=2026-W47", headers=auth(admin))
    assert response.status_code == 200, response.text
    digest = response.json()
    assert (digest["total"], digest["previous_total"]) == (6, 3)
    top = [(t["category"], t["count"], t["previous"]) for t in digest["top_themes"]]
    assert top == [("roads", 3, 1), ("waste", 2, 0), ("heating", 1, 2)]
    assert digest["top_themes"][0]["growth_percent"] == 200.0
    assert digest["dates"] == "16.11.2026–22.11.2026"
    # roads and waste grew, but they are top themes already: not repeated as «растущие».
    assert digest["growing_themes"] == []
    # a pothole and a bin at one house are two problems, not a hot address
    assert digest["hot_addresses"] == []
    departments = {d["department"]: d for d in digest["departments"]}
    assert departments["roads"]["answered_judged"] == 2
    assert departments["roads"]["on_time_percent"] == 50.0
    assert departments["roads"]["received"] == 3
    # at the week's end: f past its resolution deadline, and f, h, i (no first answer) past
    # their first-answer deadlines — any running target, each ticket once
    assert departments["zhkh"]["overdue_open"] == 3
    assert departments["zhkh"]["overdue_by_target"] == {
        "first_response": 3, "registration": 0, "resolution": 1,
    }  # fmt: skip
    assert (departments["roads"]["ratings"], departments["roads"]["positive_percent"]) == (1, 0.0)
    assert departments["zhkh"]["positive_percent"] is None
    assert digest["quotes"] is False
    assert all(t["examples"] == [] for t in digest["top_themes"])  # nobody quoted by default
    assert "Огромная яма у подъезда" not in response.text
    quoted = await client.get(
        "/api/v1/reports/weekly-digest?week=2026-W47&quotes=true", headers=auth(admin)
    )
    examples = quoted.json()["top_themes"][0]["examples"]
    assert len(examples) == 3 and len({e["number"] for e in examples}) == 3  # one per place
    for leak in ("Петрова", "Ольга", "Игоревна", "000-11-22", "olga@example.ru", "Иванов"):
        assert leak not in quoted.text
    assert "Огромная яма у подъезда" in quoted.text

    markdown = await client.get(
        "/api/v1/reports/weekly-digest",
        params={"week": "2026-W47"},
        headers={**auth(admin), "Accept": "text/markdown"},
    )
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.text.startswith("# Обращения за неделю 16.11.2026–22.11.2026 (2026-W47)")
    # c and g have no first answer past its deadline: overdue at the week's end
    # received 3, answered this week 2, on time 1 of the 2 with a deadline, overdue 2, ratings
    roads = "| Отдел дорог и транспорта | 3 | 2 | 50 % (1 из 2) | 2 | 0 % (0 из 1) |"
    assert roads in markdown.text
    for leak in ("Петрова", "olga@example.ru", "000-11-22"):
        assert leak not in markdown.text
    same = await client.get(
        "/api/v1/reports/weekly-digest?week=2026-W47&format=md", headers=auth(admin)
    )
    assert same.text == markdown.text


async def test_roles_and_scope(client, db, app) -> None:
    app.state.clock = lambda: day(9)
    await seed(db)
    url = "/api/v1/reports/weekly-digest?week=2026-W47"
    operator = await make_key(db, "operator", "roads")
    assert (await client.get(url, headers=auth(operator))).status_code == 403
    assert (await client.get(url)).status_code == 401
    roads = (await client.get(url, headers=auth(await make_key(db, "manager", "roads")))).json()
    assert roads["department"] == "roads" and roads["total"] == 3
    press = (await client.get(url, headers=auth(await make_key(db, "manager", "press")))).json()
    assert press["department"] is None and press["total"] == 6
    bad = await client.get("/api/v1/reports/weekly-digest?week=2026-W60", headers=auth(operator))
    assert bad.status_code in (403, 422)
    admin = await make_key(db, "admin")
    invalid = await client.get("/api/v1/reports/weekly-digest?week=2026-W60", headers=auth(admin))
    assert invalid.status_code == 422
