"""Issue 25's black-box re-check: the legal date runs on hold, «только просроченные» means any
running deadline passed, every console error is a Russian page, a stale cursor starts over,
and a number is found however it is spelt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from app.metrics.overdue_now import any_target
from app.models.common import Role
from tests.api.test_console import make_user, page_token, sign_in
from tests.api.test_console_operator import numbers_in, text_of
from tests.api.test_console_russian import foreign_words
from tests.support.builders import auth, make_key, make_ticket


async def test_the_legal_date_runs_while_a_59_fz_appeal_is_on_hold(db, client):
    appeal = await make_ticket(db, kind="fz59_appeal", channel="mail", department_code="roads")
    await make_user(db, "ivanova")
    await sign_in(client, "ivanova")
    url = f"/console/tickets/{appeal.id}"
    data = {"reason": "ждём ответа подрядчика", "csrf_token": await page_token(client, url)}
    assert (await client.post(url + "/hold", data=data)).status_code == 303
    page = text_of((await client.get(url)).text)
    assert "решение (срок по 59-ФЗ): на паузе" not in page
    assert "решение: на паузе, осталось" in page  # the department's clock stands still
    assert "срок по 59-ФЗ: осталось" in page  # the law's does not
    # Taken back into work, the two are one line again until the dates part.
    data = {"csrf_token": await page_token(client, url)}
    assert (await client.post(url + "/take", data=data)).status_code == 303
    page = text_of((await client.get(url)).text)
    assert "на паузе" not in page


async def test_only_overdue_means_any_running_deadline_passed(db, client):
    old = datetime.now(UTC) - timedelta(days=5)
    # The first answer is days late, the resolution weeks away: red on its row.
    late_post = await make_ticket(
        db, source="incident_management", kind="social_post", channel="vk",
        department_code="roads", now=old,
    )  # fmt: skip
    calm = await make_ticket(db, department_code="roads")
    await make_user(db, "ivanova")
    await sign_in(client, "ivanova")
    inbox = await client.get("/console", params={"overdue": "1"})
    assert inbox.status_code == 200
    assert numbers_in(inbox.text) == [late_post.number]
    assert calm.number not in inbox.text and "Обращений нет" not in inbox.text
    # The same rows the overview's «Сейчас просрочено» counts (app.metrics.overdue_now).
    async with db.sessionmaker() as session:
        rows = await session.exec(  # type: ignore[call-overload]
            text(
                f"SELECT t.number FROM tickets t WHERE t.department_code = 'roads' "
                f"AND {any_target()}"
            ),
            params={"now": datetime.now(UTC)},
        )
        assert sorted(r[0] for r in rows) == [late_post.number]
    # The API's `overdue` stays the resolution deadline only.
    key = await make_key(db, Role.operator, "roads")
    api = await client.get("/api/v1/tickets", params={"overdue": "true"}, headers=auth(key))
    assert api.status_code == 200 and api.json()["items"] == []


async def test_every_console_error_is_a_russian_page(db, client):
    await make_user(db, "ivanova")
    await sign_in(client, "ivanova")
    for path, status, heading in (
        ("/console/tickets/abc", 404, "Обращение не найдено"),
        ("/console/nope", 404, "Страница не найдена"),
        ("/console/tickets/99999999", 404, "Обращение не найдено"),
        ("/console/triage", 403, "Разбор вам недоступен"),
    ):
        r = await client.get(path)
        assert r.status_code == status, (path, r.text)
        assert r.headers["content-type"].startswith("text/html"), path
        assert f"<h1>{heading}</h1>" in r.text, (path, r.text)
        assert foreign_words(r.text) <= {"ivanova"}, path  # the login in the header
    triage = (await client.get("/console/triage")).text
    assert "Разбор доступен отделу «" in triage
    # The API keeps its problem+json.
    api = await client.get("/api/v1/tickets/abc")
    assert api.headers["content-type"].startswith("application/problem+json")


async def test_a_bad_or_stale_cursor_starts_from_the_first_page(db, client):
    ticket = await make_ticket(db, department_code="roads")
    await make_user(db, "ivanova")
    await sign_in(client, "ivanova")
    for cursor in ("garbage", "eyJzb3J0IjoiLWNyZWF0ZWRfYXQifQ"):
        r = await client.get("/console", params={"cursor": cursor})
        assert r.status_code == 200, r.text
        assert "Ссылка на эту страницу списка устарела — показана первая страница." in r.text
        assert ticket.number in r.text and "cursor is not" not in r.text
    # A cursor issued for one order, followed under another.
    for _ in range(26):
        await make_ticket(db, department_code="roads")
    first = await client.get("/console", params={"sort": "new"})
    cursor = first.text.split("cursor=", 1)[1].split("&", 1)[0].split('"', 1)[0]
    r = await client.get("/console", params={"sort": "resolution", "cursor": cursor})
    assert r.status_code == 200, r.text


async def test_a_number_is_found_with_a_number_sign_or_spaces(db, client):
    wanted = await make_ticket(db, department_code="roads")
    await make_ticket(db, department_code="roads")
    await make_user(db, "ivanova")
    await sign_in(client, "ivanova")
    prefix, year, seq = wanted.number.split("-")
    for q in (f"№ {wanted.number}", f"№{wanted.number}", f"{prefix} {year} {seq}",
              f"# {seq}", f"{year}/{seq}"):  # fmt: skip
        found = numbers_in((await client.get("/console", params={"q": q})).text)
        assert found == [wanted.number], (q, found)
